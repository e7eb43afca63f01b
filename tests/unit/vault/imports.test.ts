import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bip39Seed, deriveSubstrate, eoaFromSeed, ss58, substrateMiniSecret } from '@core/vault/derive';
import {
  decryptNaclColdkey,
  exportPolkadotJson,
  importBtcliWallet,
  importEthereumKey,
  importMnemonic,
  importPolkadotJson,
  importSeed,
  importSolanaKeypair,
  importWatchOnlyColdkey,
} from '@core/vault/imports';
import { secretbox } from '@noble/ciphers/salsa.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { argon2i } from 'hash-wasm';
import { signatureVerify } from '@polkadot/util-crypto';
import { signBytes } from '@core/vault/sign';

const TEST_JUNK = 'test test test test test test test test test test test junk';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const code = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minerva-vault-import-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('mnemonic and seed', () => {
  it('normalises spacing and case, rejects a bad checksum', async () => {
    const r = importMnemonic(`  ${TEST_JUNK.toUpperCase().replace(/ /g, '   ')} `);
    expect(r.root?.kind).toBe('mnemonic');
    expect(await code(() => importMnemonic(TEST_JUNK.replace('junk', 'test')))).toBe('IMPORT_FAILED');
    expect(await code(() => importMnemonic('test test test'))).toBe('IMPORT_FAILED');
  });

  it('names a mistyped word by its position (never the word), then the count, then the checksum', () => {
    const words = TEST_JUNK.split(' ');
    const message = (phrase: string) => {
      try {
        importMnemonic(phrase);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    const typo = [...words];
    typo[4] = 'tesst';
    expect(message(typo.join(' '))).toContain('Word 5 is not in the BIP-39 English word list');
    expect(message(typo.join(' '))).not.toContain('tesst');
    typo[11] = 'junkk';
    expect(message(typo.join(' '))).toContain('Words 5 and 12 are not in the BIP-39 English word list');
    expect(message(words.slice(0, 11).join(' '))).toContain('has 11 words; it must have 12 or 24');
    expect(message(TEST_JUNK.replace('junk', 'test'))).toContain('checksum does not match');
  });

  it('raw seed: 32 bytes of hex, 0x optional', async () => {
    expect(importSeed(`0x${'11'.repeat(32)}`).root?.kind).toBe('seed');
    expect(await code(() => importSeed('11'.repeat(31)))).toBe('IMPORT_FAILED');
    expect(await code(() => importSeed('zz'.repeat(32)))).toBe('IMPORT_FAILED');
  });
});

describe('polkadot-js keyring JSON v3', () => {
  it('imports a file made by @polkadot/keyring itself', async () => {
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const pair = keyring.addFromUri(`${TEST_JUNK}//hotkey//3`);
    const json = JSON.stringify(pair.toJson('export-pass-123'));
    const parsed = JSON.parse(json) as { encoding: { type: string[]; content: string[]; version: string } };
    expect(parsed.encoding).toEqual({ content: ['pkcs8', 'sr25519'], type: ['scrypt', 'xsalsa20-poly1305'], version: '3' });
    const r = importPolkadotJson(json, 'export-pass-123', 'hotkey');
    const key = r.keys[0]!;
    expect(key.role).toBe('hotkey');
    expect(ss58(key.pair.publicKey)).toBe(pair.address);
    const sig = signBytes(key.pair, new TextEncoder().encode('x'));
    expect(signatureVerify(new TextEncoder().encode('x'), sig, pair.publicKey).isValid).toBe(true);
    expect(await code(() => importPolkadotJson(json, 'wrong-pass-123'))).toBe('AUTH_FAILED');
    expect(await code(() => importPolkadotJson('{"encoded":1}', 'x'))).toBe('IMPORT_FAILED');
  });

  it('round trip: our export is read by @polkadot/keyring and by our import', () => {
    for (const scheme of ['sr25519', 'ed25519'] as const) {
      const derived = deriveSubstrate(substrateMiniSecret(TEST_JUNK), scheme, '//submit//0');
      const json = exportPolkadotJson(derived, 'another-pass-9', 'test');
      const keyring = new Keyring({ type: scheme, ss58Format: 42 });
      const pair = keyring.addFromJson(JSON.parse(json) as never);
      pair.decodePkcs8('another-pass-9');
      expect(pair.address).toBe(ss58(derived.publicKey));
      const msg = new TextEncoder().encode('round trip');
      expect(signatureVerify(msg, pair.sign(msg), derived.publicKey).isValid).toBe(true);
      const back = importPolkadotJson(json, 'another-pass-9').keys[0]!;
      expect(hex(back.pair.publicKey)).toBe(hex(derived.publicKey));
      expect(back.pair.scheme).toBe(scheme);
    }
  });
});

describe('btcli wallet directory', () => {
  it('decrypts a $NACL coldkey made with the documented parameters and reads a plaintext hotkey', async () => {
    const wallet = join(dir, '.bittensor', 'wallets', 'miner');
    mkdirSync(join(wallet, 'hotkeys'), { recursive: true });
    const coldPair = deriveSubstrate(substrateMiniSecret(TEST_JUNK), 'sr25519', '');
    const coldJson = JSON.stringify({ secretPhrase: TEST_JUNK, publicKey: `0x${hex(coldPair.publicKey)}`, ss58Address: ss58(coldPair.publicKey) });
    const nonce = new Uint8Array(24).fill(7);
    // built here from the documented parameters, independently of the code under test
    const key = await argon2i({
      password: 'btcli-pass',
      salt: Uint8Array.from([0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1]),
      iterations: 8,
      memorySize: 512 * 1024,
      parallelism: 1,
      hashLength: 32,
      outputType: 'binary',
    });
    const file = Buffer.concat([Buffer.from('$NACL'), nonce, secretbox(key, nonce).seal(new TextEncoder().encode(coldJson))]);
    expect(Buffer.from(file.subarray(0, 5)).toString()).toBe('$NACL');
    writeFileSync(join(wallet, 'coldkey'), file);
    const hotSeed = new Uint8Array(32).fill(9);
    const hotPair = new Keyring({ type: 'sr25519' }).addFromSeed(hotSeed);
    writeFileSync(join(wallet, 'hotkeys', 'default'), JSON.stringify({ secretSeed: `0x${hex(hotSeed)}`, publicKey: `0x${hex(hotPair.publicKey)}`, ss58Address: hotPair.address }));

    expect(await code(decryptNaclColdkey(file, 'not-it'))).toBe('AUTH_FAILED');

    const r = await importBtcliWallet(wallet, 'btcli-pass');
    expect(r.keys.map((k) => [k.role, k.hasSecret])).toEqual([
      ['coldkey', true],
      ['hotkey', true],
    ]);
    expect(ss58(r.keys[0]!.pair.publicKey)).toBe(ss58(coldPair.publicKey));
    expect(ss58(r.keys[1]!.pair.publicKey)).toBe(hotPair.address);

    // without a password: watch-only coldkey from coldkeypub.txt
    writeFileSync(join(wallet, 'coldkeypub.txt'), JSON.stringify({ ss58Address: ss58(coldPair.publicKey) }));
    const watch = await importBtcliWallet(wallet, undefined);
    expect(watch.keys[0]).toMatchObject({ role: 'coldkey', hasSecret: false, source: 'watch-only' });
    expect(await code(importBtcliWallet(join(dir, 'nope'), 'x'))).toBe('IMPORT_FAILED');
  }, 120_000);
});

describe('single-key formats', () => {
  it('Solana keypair file (secret ‖ public)', async () => {
    const secret = new Uint8Array(32).fill(5);
    const arr = [...secret, ...ed25519.getPublicKey(secret)];
    const r = importSolanaKeypair(JSON.stringify(arr));
    expect(r.keys[0]).toMatchObject({ role: 'runner-wallet', source: 'solana-keypair' });
    arr[40] = (arr[40]! + 1) % 256;
    expect(await code(() => importSolanaKeypair(JSON.stringify(arr)))).toBe('IMPORT_FAILED');
    expect(await code(() => importSolanaKeypair('[1,2,3]'))).toBe('IMPORT_FAILED');
  });

  it('Ethereum private key', async () => {
    const eoa = eoaFromSeed(bip39Seed(TEST_JUNK));
    const r = importEthereumKey(`0x${hex(eoa.secretKey)}`);
    expect(hex(r.keys[0]!.pair.publicKey)).toBe(hex(eoa.publicKey));
    expect(await code(() => importEthereumKey('00'.repeat(32)))).toBe('IMPORT_FAILED');
  });

  it('watch-only coldkey from an SS58 address or hex public key', async () => {
    const r = importWatchOnlyColdkey('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
    expect(r.keys[0]).toMatchObject({ role: 'coldkey', hasSecret: false });
    expect(r.keys[0]!.pair.secretKey.length).toBe(0);
    expect(hex(importWatchOnlyColdkey(`0x${hex(r.keys[0]!.pair.publicKey)}`).keys[0]!.pair.publicKey)).toBe(hex(r.keys[0]!.pair.publicKey));
    expect(await code(() => importWatchOnlyColdkey('not-an-address'))).toBe('IMPORT_FAILED');
  });
});
