import { createHash, createHmac, createPrivateKey, createPublicKey, hkdfSync, pbkdf2Sync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveScopedKey, hkdfSha256, parseKeyringConfig, seedFingerprint } from '@shared/protocol/hkdf-keys';
import { eip191Recover, eip191Sign, checksumAddress, personalMessageHash } from '@shared/protocol/eip191';
import { eoaFromMnemonic, pairFromSeed, pairFromSuri, slip10Ed25519, solanaFromMnemonic, walletFromSeed } from '@shared/protocol/identities';
import { fromHex, toHex } from '@shared/protocol/encoding';
import { certPub, certificateHash, smpMessageBytes, pythonJsonDumps } from '@shared/protocol/smp';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''), 'test', { lowercase: false });
const fixtures = join(__dirname, '..', '..', 'fixtures');

describe('HKDF-SHA256 (RFC 5869)', () => {
  it('test case 1', () => {
    const okm = hkdfSha256(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(toHex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
  it('test case 3 (empty salt and info, as K uses an empty salt)', () => {
    const okm = hkdfSha256(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), new Uint8Array(0), new Uint8Array(0), 42);
    expect(toHex(okm)).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });
  it('K(scope) matches node:crypto hkdf with info "cts:v0:<scope>"', () => {
    const seed = new Uint8Array(32).map((_, i) => i);
    for (const scope of ['101', '101:9001', '0']) {
      const expected = Buffer.from(hkdfSync('sha256', seed, new Uint8Array(0), `cts:v0:${scope}`, 32));
      expect(toHex(deriveScopedKey(seed, scope))).toBe(expected.toString('hex'));
    }
  });
  it('refuses short seeds and bad scopes', () => {
    expect(() => deriveScopedKey(new Uint8Array(31), '1')).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
    for (const scope of ['01', '1:', ' 1', '1:02', '1:2:3', '', '-1']) expect(() => deriveScopedKey(new Uint8Array(32), scope)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
  it('seed fingerprint is the first 8 bytes of SHA-256', () => {
    const seed = new Uint8Array(32).fill(7);
    expect(seedFingerprint(seed)).toBe(createHash('sha256').update(seed).digest('hex').slice(0, 16));
  });
  it('keyring config names the variable, never the value', () => {
    const seed = 'ab'.repeat(32);
    const ring = parseKeyringConfig({ ENCRYPTION_SEED: seed, ENCRYPTION_KEY_VERSION: 'v3', ENCRYPTION_LEGACY_SEEDS: `v1:${'cd'.repeat(32)},v2:${'ef'.repeat(40)}` });
    expect(ring.active).toBe('v3');
    expect([...ring.seeds.keys()]).toEqual(['v3', 'v1', 'v2']);
    const short = 'ab'.repeat(31);
    expect(() => parseKeyringConfig({ ENCRYPTION_SEED: short })).toThrow(/ENCRYPTION_SEED/);
    try {
      parseKeyringConfig({ ENCRYPTION_SEED: short });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(short);
    }
    expect(() => parseKeyringConfig({ ENCRYPTION_SEED: seed, ENCRYPTION_KEY_VERSION: 'v3', ENCRYPTION_LEGACY_SEEDS: `v1:${seed},v1:${seed}` })).toThrow(/entry 2 repeats/);
    expect(() => parseKeyringConfig({ ENCRYPTION_SEED: seed, ENCRYPTION_KEY_VERSION: 'v2', ENCRYPTION_LEGACY_SEEDS: `v2:${seed}` })).toThrow(/entry 1 repeats/);
    expect(() => parseKeyringConfig({ ENCRYPTION_SEED: seed, ENCRYPTION_LEGACY_SEEDS: 'garbage' })).toThrow(/ENCRYPTION_LEGACY_SEEDS entry 1/);
  });
});

describe('identities (§1 vectors)', () => {
  const mnemonic = 'test test test test test test test test test test test junk';
  it('EOA m/44\'/60\'/0\'/0/0 of the test mnemonic', () => {
    expect(eoaFromMnemonic(mnemonic).address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  });
  it('sr25519 //Alice', () => {
    expect(pairFromSuri('bottom drive obey lake curtain smoke basket hold race lonely fit walk//Alice', 'sr25519').address).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
  });
  it('SLIP-0010 ed25519 test vector 1 (seed 000102…0f)', () => {
    const seed = hex('000102030405060708090a0b0c0d0e0f');
    const m = slip10Ed25519(seed, 'm');
    expect(toHex(m.chainCode)).toBe('90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb');
    expect(toHex(m.key)).toBe('2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7');
    const d = slip10Ed25519(seed, "m/0'/1'/2'/2'/1000000000'");
    expect(toHex(d.chainCode)).toBe('68789923a0cac2cd5a29172a475fe9e0fb14cd6adb5ad98a3fa70333e7afa230');
    expect(toHex(d.key)).toBe('8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793');
    expect(toHex(walletFromSeed(d.key).publicKey)).toBe('3c24da049451555d51a7014a37337aa4e12d41e485abccfa46b47dfb2af54b7a');
  });
  it('SLIP-0010 ed25519 test vector 2 (seed fffcf9…)', () => {
    const seed = hex('fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542');
    const d = slip10Ed25519(seed, "m/0'/2147483647'/1'/2147483646'/2'");
    expect(toHex(d.chainCode)).toBe('5d70af781f3a37b829f0d060924d5e960bdc02e85423494afc0b1a41bbe196d4');
    expect(toHex(d.key)).toBe('551d333177df541ad876a60ea71f00447931c0a9da16f227c11ea080d7391b8d');
    expect(() => slip10Ed25519(seed, "m/0'/1")).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
  });
  it('Solana wallet of the test mnemonic equals an independent SLIP-0010 + ed25519 computation with node:crypto', () => {
    const seed = pbkdf2Sync(mnemonic, 'mnemonic', 2048, 64, 'sha512');
    let I = createHmac('sha512', 'ed25519 seed').update(seed).digest();
    for (const index of [44, 501, 0, 0]) {
      const data = Buffer.concat([Buffer.alloc(1), I.subarray(0, 32), Buffer.from([((index | 0x80000000) >>> 24) & 255, (index >>> 16) & 255, (index >>> 8) & 255, index & 255])]);
      I = createHmac('sha512', I.subarray(32)).update(data).digest();
    }
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), I.subarray(0, 32)]);
    const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
    const w = solanaFromMnemonic(mnemonic);
    expect(toHex(w.seed)).toBe(I.subarray(0, 32).toString('hex'));
    expect(toHex(w.publicKey)).toBe(spki.subarray(12).toString('hex'));
  });
});

describe('ed25519 signing (RFC 8032 test 1) as used by checkpoints and SMP', () => {
  it('seed → public key, signature over the empty message', () => {
    const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    expect(toHex(walletFromSeed(seed).publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const sig = pairFromSeed(seed, 'ed25519').sign(new Uint8Array(0));
    expect(toHex(sig)).toBe('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
  });
});

describe('EIP-191', () => {
  const mnemonic = 'test test test test test test test test test test test junk';
  it('signs as the test account and recovers it', () => {
    const { privateKey, address } = eoaFromMnemonic(mnemonic);
    const sig = eip191Sign(privateKey, '101:9001');
    expect(sig.address).toBe(address);
    expect(sig.signature).toMatch(/^0x[0-9a-f]{130}$/);
    expect(['1b', '1c']).toContain(sig.signature.slice(-2));
    expect(eip191Recover('101:9001', sig.signature)).toBe(address);
    expect(eip191Recover('101:9002', sig.signature)).not.toBe(address);
  });
  it('published vectors: hashMessage("hello"), and viem\'s signMessage("hello world") by Hardhat account 0', () => {
    expect(toHex(personalMessageHash('hello'))).toBe('50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750');
    expect(toHex(personalMessageHash('hello world'))).toBe('d9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68');
    const { privateKey } = eoaFromMnemonic(mnemonic);
    expect(toHex(privateKey)).toBe('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    const expected = '0xa461f509887bd19e312c0c58467ce8ff8e300d3c1a90b608a760c5b80318eaf15fe57c96f9175d6cd4daad4663763baa7e78836e067d0163e9a2ccf2ff753f5b1b';
    expect(eip191Sign(privateKey, 'hello world').signature).toBe(expected);
    expect(eip191Recover('hello world', expected)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  });
  it('refuses v other than 27/28, high-S and wrong lengths', () => {
    const { privateKey } = eoaFromMnemonic(mnemonic);
    const sig = eip191Sign(privateKey, 'x').signature;
    expect(() => eip191Recover('x', `${sig.slice(0, -2)}00`)).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    expect(() => eip191Recover('x', sig.slice(0, -2))).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    const s = BigInt(`0x${sig.slice(66, 130)}`);
    const highS = (n - s).toString(16).padStart(64, '0');
    const flippedV = sig.slice(-2) === '1b' ? '1c' : '1b';
    expect(() => eip191Recover('x', `${sig.slice(0, 66)}${highS}${flippedV}`)).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
  });
  it('EIP-55 checksum of a published example', () => {
    expect(checksumAddress(hex('5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'))).toBe('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
  });
});

describe('SMP message bytes (Python json.dumps form)', () => {
  const pem = readFileSync(join(fixtures, 'smp', 'runner.pem'), 'utf8');
  it('cert_pub is the SPKI DER of the certificate, byte for byte (checked against openssl/node)', async () => {
    const { X509Certificate } = await import('node:crypto');
    const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
    expect(certPub(pem)).toBe(spki.toString('base64'));
    expect(certificateHash(pem)).toBe('7bf43ed941142891d50f5bb769411c7e73d51b4dcca4d53284afd6dbee9e597c');
  });
  it('runner message for the fixed certificate hashes as Python produced it', () => {
    const bytes = smpMessageBytes({ cert_pub: certPub(pem), hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', model_id: 'demo' });
    expect(bytes).toHaveLength(490);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('c223ec74aa0bf8365f611e2e6a874acf49e5ae615ff4176d0d3f47bee359a59a');
    expect(Buffer.from(bytes).toString('utf8').startsWith('{"cert_pub": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAkg')).toBe(true);
  });
  it('escapes like ensure_ascii (output of python3 json.dumps)', () => {
    const out = pythonJsonDumps([
      ['cert_pub', 'x'],
      ['hotkey', 'h\u00e9"\\\n\u007f\u{1F600}\t/'],
      ['model_id', 'm\u2028'],
    ]);
    expect(out).toBe('{"cert_pub": "x", "hotkey": "h\\u00e9\\"\\\\\\n\\u007f\\ud83d\\ude00\\t/", "model_id": "m\\u2028"}');
  });
});

describe('SMP json.dumps: 40 random messages dumped by python3 (tests/fixtures/smp/python-json-dumps.json)', () => {
  const cases = JSON.parse(readFileSync(join(fixtures, 'smp', 'python-json-dumps.json'), 'utf8')) as { fields: { cert_pub: string; hotkey: string; model_id?: string }; dumps: string }[];
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    expect(Buffer.from(smpMessageBytes(c.fields)).toString('latin1')).toBe(c.dumps);
  });
});
