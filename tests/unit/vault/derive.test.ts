import { Keyring } from '@polkadot/keyring';
import { describe, expect, it } from 'vitest';
import {
  bip39Seed,
  deriveSubstrate,
  ed25519FromSeed,
  eip55Address,
  eoaFromSeed,
  runnerWalletFromSeed,
  slip10Ed25519,
  ss58,
  substrateMiniSecret,
} from '@core/vault/derive';
import { recoverPersonalSigner, personalSign, signBytes } from '@core/vault/sign';
import { ed25519 } from '@noble/curves/ed25519.js';
import { signatureVerify } from '@polkadot/util-crypto';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const TEST_JUNK = 'test test test test test test test test test test test junk';
const DEV_PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';

describe('PROTOCOLS §1 vectors', () => {
  it('EOA of the hardhat phrase at m/44\'/60\'/0\'/0/0', () => {
    const pair = eoaFromSeed(bip39Seed(TEST_JUNK));
    expect(eip55Address(pair.publicKey)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  });

  it('sr25519 //Alice of the dev phrase', () => {
    const pair = deriveSubstrate(substrateMiniSecret(DEV_PHRASE), 'sr25519', '//Alice');
    expect(ss58(pair.publicKey)).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
  });

  it('coldkey, hotkey N, checkpoint signer and SMP hotkey match polkadot-js addFromUri', () => {
    const mini = substrateMiniSecret(TEST_JUNK);
    const sr = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const ed = new Keyring({ type: 'ed25519', ss58Format: 42 });
    expect(ss58(deriveSubstrate(mini, 'sr25519', '').publicKey)).toBe(sr.addFromUri(TEST_JUNK).address);
    expect(ss58(deriveSubstrate(mini, 'sr25519', '//hotkey//0').publicKey)).toBe(sr.addFromUri(`${TEST_JUNK}//hotkey//0`).address);
    expect(ss58(deriveSubstrate(mini, 'sr25519', '//hotkey//7').publicKey)).toBe(sr.addFromUri(`${TEST_JUNK}//hotkey//7`).address);
    expect(ss58(deriveSubstrate(mini, 'ed25519', '//submit//0').publicKey)).toBe(ed.addFromUri(`${TEST_JUNK}//submit//0`).address);
    expect(ss58(deriveSubstrate(mini, 'sr25519', '//submit//1').publicKey)).toBe(sr.addFromUri(`${TEST_JUNK}//submit//1`).address);
    expect(hex(deriveSubstrate(mini, 'ed25519', '//smp//2').publicKey)).toBe(hex(ed.addFromUri(`${TEST_JUNK}//smp//2`).publicKey));
    // different indices give different keys
    expect(hex(deriveSubstrate(mini, 'sr25519', '//hotkey//0').publicKey)).not.toBe(hex(deriveSubstrate(mini, 'sr25519', '//hotkey//1').publicKey));
  });
});

describe('SLIP-0010 ed25519 published vectors', () => {
  const seed1 = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
  const cases: [string, string | null, string, string | null][] = [
    ['m', '90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb', '2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7', 'a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed'],
    ["m/0'", '8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69', '68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3', '8c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c'],
    ["m/0'/1'", 'a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14', 'b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2', null],
    ["m/0'/1'/2'/2'/1000000000'", null, '8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793', '3c24da049451555d51a7014a37337aa4e12d41e485abccfa46b47dfb2af54b7a'],
  ];
  it.each(cases)('vector 1 %s', (path, chain, priv, pub) => {
    const { key, chainCode } = slip10Ed25519(seed1, path);
    if (chain) expect(hex(chainCode)).toBe(chain);
    expect(hex(key)).toBe(priv);
    // the published public keys carry a 0x00 prefix byte
    if (pub) expect(hex(ed25519FromSeed(key).publicKey)).toBe(pub);
  });

  it('vector 2 master key', () => {
    const seed2 = Buffer.from('fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542', 'hex');
    expect(hex(slip10Ed25519(seed2, 'm').key)).toBe('171cb88b1b3c1db25add599712e36245d75bc65a1a5c9e18d76f9f2b1eab4012');
  });

  it('refuses non-hardened indices', () => {
    expect(() => slip10Ed25519(seed1, 'm/0')).toThrow(/hardened/);
  });

  it('runner wallet uses m/44\'/501\'/0\'/0\' of the BIP-39 seed', () => {
    const seed = bip39Seed(TEST_JUNK);
    const pair = runnerWalletFromSeed(seed);
    expect(hex(pair.secretKey.subarray(0, 32))).toBe(hex(slip10Ed25519(seed, "m/44'/501'/0'/0'").key));
    expect(hex(pair.publicKey)).toBe(hex(ed25519.getPublicKey(pair.secretKey.subarray(0, 32))));
  });
});

describe('signatures', () => {
  it('EIP-191 personal_sign recovers to the EOA address', () => {
    const pair = eoaFromSeed(bip39Seed(TEST_JUNK));
    const sig = personalSign(pair, new TextEncoder().encode('hello'));
    expect(sig.length).toBe(65);
    expect([27, 28]).toContain(sig[64]);
    expect(recoverPersonalSigner(new TextEncoder().encode('hello'), sig)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(recoverPersonalSigner(new TextEncoder().encode('hellO'), sig)).not.toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  });

  it('EIP-191 matches the well-known hardhat signature of "hello"', () => {
    const pair = eoaFromSeed(bip39Seed(TEST_JUNK));
    // ethers: new Wallet(hardhat key 0).signMessage('hello') (RFC 6979 deterministic)
    expect(hex(personalSign(pair, new TextEncoder().encode('hello')))).toBe(
      'f16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311c',
    );
  });

  it('sr25519 and ed25519 signatures verify with polkadot-js', () => {
    const mini = substrateMiniSecret(TEST_JUNK);
    for (const scheme of ['sr25519', 'ed25519'] as const) {
      const pair = deriveSubstrate(mini, scheme, '//hotkey//0');
      const msg = new TextEncoder().encode('minerva');
      const sig = signBytes(pair, msg);
      expect(signatureVerify(msg, sig, pair.publicKey).isValid).toBe(true);
      expect(signatureVerify(new TextEncoder().encode('minervA'), sig, pair.publicKey).isValid).toBe(false);
    }
  });
});
