import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { parseAllowedList, isAllowed } from '@shared/protocol/allowed-list';
import { base64Paths, fromBase58, fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex } from '@shared/protocol/encoding';
import { decryptEnvelope, encryptEnvelope, parseEnvelope, type EncryptedEnvelope } from '@shared/protocol/envelope';
import { deriveScopedKey, parseKeyringConfig, parseScope } from '@shared/protocol/hkdf-keys';
import { eip191Recover, eip191Sign } from '@shared/protocol/eip191';
import { parseUrn, formatUrn } from '@shared/protocol/urn';
import { signMinerRequest, verifyMinerRequest } from '@shared/protocol/miner-request';
import { publicKeyFromHotkey, signCheckpoint, verifyCheckpoint } from '@shared/protocol/checkpoint-message';
import { pairFromSeed } from '@shared/protocol/identities';
import { signAction, verifyAction } from '@shared/protocol/miner-action';
import { certPub, pythonJsonDumps, signSmp, verifySmp } from '@shared/protocol/smp';
import { spkiFromCertificate, pemToDer } from '@shared/protocol/x509';
import { quoteStructureProblem } from '@shared/protocol/tee';
import { walletFromSeed } from '@shared/protocol/identities';

const fixtures = join(__dirname, '..', '..', 'fixtures');
const RUNS = { numRuns: 150 };

/** Runs fn; any throw must be an AppError. Returns whether it succeeded. */
function onlyAppError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof AppError)) throw new Error(`non-AppError thrown: ${String(e)}`);
    return false;
  }
}
async function onlyAppErrorAsync(fn: () => Promise<unknown>): Promise<AppError | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    if (!(e instanceof AppError)) throw new Error(`non-AppError thrown: ${String(e)}`);
    return e;
  }
}

const saved = { ...base64Paths };
afterEach(() => Object.assign(base64Paths, saved));

describe('encodings', () => {
  it('base64 round-trips on every path and the paths agree', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const fast = toBase64(bytes);
        expect(fast).toBe(Buffer.from(bytes).toString('base64'));
        Object.assign(base64Paths, { native: false, buffer: false });
        expect(toBase64(bytes)).toBe(fast);
        expect(fromBase64(fast, 'x')).toEqual(bytes);
        Object.assign(base64Paths, saved);
        expect(fromBase64(fast, 'x')).toEqual(bytes);
        for (const pad of [true, false]) expect(fromBase64Url(toBase64Url(bytes, pad), 'x', pad)).toEqual(bytes);
        expect(toBase64Url(bytes, false)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
      RUNS,
    );
  });
  it('strict decoders: fast and portable paths accept exactly the same strings', () => {
    const b64char = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n'.split(''));
    const near = fc.uint8Array({ minLength: 770, maxLength: 1500 }).chain((bytes) =>
      fc.tuple(fc.nat(4000), b64char).map(([i, c]) => {
        const s = Buffer.from(bytes).toString('base64');
        const at = i % (s.length + 1);
        return s.slice(0, at) + c + s.slice(at + 1);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(near, fc.string({ unit: b64char, minLength: 1024, maxLength: 1100 })), (s) => {
        const fastOk = onlyAppError(() => fromBase64(s, 'x'));
        Object.assign(base64Paths, { buffer: false });
        const portableOk = onlyAppError(() => fromBase64(s, 'x'));
        Object.assign(base64Paths, saved);
        expect(fastOk).toBe(portableOk);
        if (fastOk) expect(Buffer.from(fromBase64(s, 'x')).toString('base64')).toBe(s);
      }),
      { numRuns: 1500 },
    );
  });
  it('strict decoders agree for every single-character substitution of a long base64 string', () => {
    for (const n of [1026, 1027, 1028]) {
      const good = Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255)).toString('base64');
      for (let i = 0; i < good.length; i += 1) {
        for (const c of ['=', '-', '_', ' ', '\n', '*', '\u00e9', 'A', 'B']) {
          const s = good.slice(0, i) + c + good.slice(i + 1);
          const fastOk = onlyAppError(() => fromBase64(s, 'x'));
          Object.assign(base64Paths, { buffer: false });
          const portableOk = onlyAppError(() => fromBase64(s, 'x'));
          Object.assign(base64Paths, saved);
          if (fastOk !== portableOk) throw new Error(`paths disagree on substitution ${JSON.stringify(c)} at ${i} of ${n}`);
        }
      }
    }
  });
  it('hex, base64, base58 decoders throw only AppError on anything', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (v) => {
        onlyAppError(() => fromHex(v, 'x'));
        onlyAppError(() => fromHex(v, 'x', { prefix: 'optional', length: 32 }));
        onlyAppError(() => fromBase64(v, 'x'));
        onlyAppError(() => fromBase64Url(v, 'x', false));
        onlyAppError(() => fromBase58(v, 'x'));
        if (typeof v === 'string' && onlyAppError(() => fromHex(v, 'x'))) expect(toHex(fromHex(v, 'x'))).toBe(v);
      }),
      RUNS,
    );
  });
});

describe('SMP message form', () => {
  it('python json.dumps output is ASCII and parses back to the same strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const text = pythonJsonDumps([
          ['cert_pub', a],
          ['hotkey', b],
        ]);
        expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
        expect(JSON.parse(text)).toEqual({ cert_pub: a, hotkey: b });
      }),
      { numRuns: 300 },
    );
  });
});

describe('parsers never crash', () => {
  it('allowed list, scope, keyring, URN', () => {
    const piece = fc.constantFrom('0x' + 'a'.repeat(40), '0x' + 'B'.repeat(40), '101', '9001', ':', ';', ',', '-', '0x', '01', ' ', '');
    const listish = fc.array(piece, { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(listish, fc.string(), fc.anything()), (v) => {
        if (onlyAppError(() => parseAllowedList(v))) expect(typeof isAllowed(parseAllowedList(v), '0x' + 'a'.repeat(40), 101, 9001)).toBe('boolean');
        onlyAppError(() => parseScope(v));
        onlyAppError(() => parseUrn(v));
        onlyAppError(() => parseKeyringConfig({ ENCRYPTION_SEED: typeof v === 'string' ? v : undefined, ENCRYPTION_LEGACY_SEEDS: typeof v === 'string' ? v : undefined }));
        onlyAppError(() => parseKeyringConfig(v as never));
        onlyAppError(() => parseKeyringConfig({ ENCRYPTION_SEED: '00'.repeat(32), ENCRYPTION_KEY_VERSION: v, ENCRYPTION_LEGACY_SEEDS: v } as never));
      }),
      { numRuns: 300 },
    );
  });
  it('URNs round-trip', () => {
    fc.assert(
      fc.property(fc.nat(), fc.uuid({ version: 4 }), (sid, uuid) => {
        expect(parseUrn(formatUrn(sid, uuid)).uuid).toBe(uuid.toLowerCase());
      }),
      RUNS,
    );
  });
  it('envelope parser on random JSON and on mutated envelopes', () => {
    const base = { version: 'v2', payload_type: 'encrypted', data: { alg: 'aes-256-gcm', scope_type: 'session', session_id: 1, task_id: null, key_version: 'v1', nonce: 'AAAAAAAAAAAAAAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==', ciphertext: '', created_at: '2026-01-01T00:00:00.000Z' } };
    const mutated = fc.tuple(fc.constantFrom(...Object.keys(base.data)), fc.jsonValue()).map(([k, v]) => ({ ...base, data: { ...base.data, [k]: v } }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), mutated), (v) => {
        onlyAppError(() => parseEnvelope(v));
      }),
      { numRuns: 300 },
    );
    expect(onlyAppError(() => parseEnvelope(base))).toBe(true);
  });
  it('certificate and quote parsers on random and mutated bytes', () => {
    const pem = readFileSync(join(fixtures, 'smp', 'runner.pem'), 'utf8');
    const der = pemToDer(pem);
    const quote = new Uint8Array(readFileSync(join(fixtures, 'tdx', 'tdx_quote')));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (random, at, x) => {
        onlyAppError(() => spkiFromCertificate(random));
        const m = der.slice();
        m[at % m.length]! ^= x;
        onlyAppError(() => spkiFromCertificate(m));
        expect(['string', 'undefined']).toContain(typeof quoteStructureProblem(random));
        const q = quote.slice();
        q[at % q.length]! ^= x;
        expect(['string', 'undefined']).toContain(typeof quoteStructureProblem(q));
      }),
      RUNS,
    );
    fc.assert(fc.property(fc.string(), (s) => void onlyAppError(() => spkiFromCertificate(s))), RUNS);
  });
});

describe('no mutated signature or ciphertext is ever accepted', () => {
  const flip = (hex: string, at: number, x: number): string => {
    const b = Buffer.from(hex.slice(2), 'hex');
    b[at % b.length]! ^= x;
    return `0x${b.toString('hex')}`;
  };
  const byteFlip = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }));

  it('envelope ciphertext, tag and nonce', async () => {
    const key = deriveScopedKey(new Uint8Array(32).fill(1), '1');
    const env = await encryptEnvelope(key, { scopeType: 'session', sessionId: 1, taskId: null, keyVersion: 'v1' }, { prompt: 'hello world, this is secret' });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('ciphertext', 'tag', 'nonce'), byteFlip, async (field, [at, x]) => {
        const bytes = Buffer.from(env.data[field], 'base64');
        bytes[at % bytes.length]! ^= x;
        const copy: EncryptedEnvelope = { ...env, data: { ...env.data, [field]: bytes.toString('base64') } };
        const err = await onlyAppErrorAsync(() => decryptEnvelope(key, copy));
        expect(err?.code).toBe('DECRYPT_FAILED');
      }),
      RUNS,
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 3 }), fc.nat(), async (ins, at) => {
        const s = env.data.ciphertext;
        const i = at % (s.length + 1);
        const copy = { ...env, data: { ...env.data, ciphertext: s.slice(0, i) + ins + s.slice(i) } };
        const err = await onlyAppErrorAsync(() => decryptEnvelope(key, copy));
        expect(err).toBeDefined();
      }),
      RUNS,
    );
  });

  it('EIP-191: a mutated signature never recovers the signer; random input only AppError', () => {
    const key = new Uint8Array(32).fill(3);
    const { address, signature } = eip191Sign(key, 'scope');
    fc.assert(
      fc.property(byteFlip, ([at, x]) => {
        const bad = flip(signature, at, x);
        if (onlyAppError(() => eip191Recover('scope', bad))) expect(eip191Recover('scope', bad)).not.toBe(address);
      }),
      RUNS,
    );
    fc.assert(fc.property(fc.anything(), fc.string(), (sig, msg) => void onlyAppError(() => eip191Recover(msg, sig))), RUNS);
  });

  it('miner request headers', () => {
    const key = new Uint8Array(32).fill(4);
    const now = 1_700_000_000;
    const req = { method: 'GET', path: '/api/v2/miner/jobs' };
    const h = signMinerRequest(key, { ...req, timestamp: String(now) });
    fc.assert(
      fc.property(byteFlip, ([at, x]) => {
        expect(onlyAppError(() => verifyMinerRequest({ ...h, 'X-Miner-Signature': flip(h['X-Miner-Signature'], at, x) }, req, { nowSeconds: now }))).toBe(false);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('X-Miner-Address', 'x-miner-nonce', 'X-Miner-Timestamp', 'X-Miner-Signature', 'other'), fc.oneof(fc.string(), fc.array(fc.string()), fc.anything())), (headers) => {
        const merged = { ...h, ...(headers as Record<string, string>) };
        const ok = onlyAppError(() => verifyMinerRequest(merged, req, { nowSeconds: now }));
        // Accepted only when nothing that matters changed (an empty array adds no value).
        const harmless = Object.entries(headers).every(([k, v]) => k === 'other' || v === undefined || (Array.isArray(v) && v.length === 0) || v === (h as Record<string, string>)[k]);
        if (ok) expect(harmless).toBe(true);
      }),
      RUNS,
    );
  });

  it('checkpoint messages', () => {
    for (const scheme of ['ed25519', 'sr25519'] as const) {
      const msg = signCheckpoint(pairFromSeed(new Uint8Array(32).fill(2), scheme), { expert_group: 1, checkpoint_url: 'https://x/y', block_number: 5 }, { scheme, padded: true });
      const opts = { profile: { scheme, padded: true }, publicKeyOf: publicKeyFromHotkey };
      fc.assert(
        fc.property(byteFlip, ([at, x]) => {
          const sig = Buffer.from(msg.signature, 'base64url');
          sig[at % 64]! ^= x;
          expect(verifyCheckpoint({ ...msg, signature: sig.toString('base64url') + '==' }, opts).valid).toBe(false);
        }),
        { numRuns: 60 },
      );
      fc.assert(
        fc.property(fc.constantFrom('hotkey', 'expert_group', 'checkpoint_url', 'block_number', 'signature'), fc.jsonValue(), (k, v) => {
          fc.pre(JSON.stringify(v) !== JSON.stringify(msg[k]));
          expect(verifyCheckpoint({ ...msg, [k]: v }, opts).valid).toBe(false);
        }),
        { numRuns: 60 },
      );
    }
    fc.assert(fc.property(fc.anything(), (v) => void verifyCheckpoint(v, { publicKeyOf: publicKeyFromHotkey, currentBlock: 3 })), RUNS);
  });

  it('miner actions', () => {
    const signer = pairFromSeed(new Uint8Array(32).fill(8), 'sr25519');
    const target = { netuid: 1, slug: 's', method: 'POST', path: '/join' };
    const now = 1_700_000_000;
    const h = signAction(signer, target, { timestamp: String(now) });
    fc.assert(
      fc.property(byteFlip, ([at, x]) => {
        expect(onlyAppError(() => verifyAction({ ...h, 'X-Signature': flip(h['X-Signature'], at, x) }, target, { nowSeconds: now }))).toBe(false);
      }),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(fc.constantFrom('X-Hotkey', 'X-Nonce', 'X-Timestamp', 'X-Signature'), fc.string(), (k, v) => {
        fc.pre(v !== h[k]);
        expect(onlyAppError(() => verifyAction({ ...h, [k]: v }, target, { nowSeconds: now }))).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('SMP containers', () => {
    const pem = readFileSync(join(fixtures, 'smp', 'runner.pem'), 'utf8');
    const seed = new Uint8Array(32).fill(5);
    const { container } = signSmp(seed, { cert_pub: certPub(pem), hotkey: 'hk', model_id: 'm' });
    const expectRunner = { role: 'runner' as const, expectedWallet: walletFromSeed(seed).publicKey, peerCert: pem, expectedHotkey: 'hk', expectedModelId: 'm' };
    expect(verifySmp(container, expectRunner).valid).toBe(true);
    fc.assert(
      fc.property(fc.constantFrom('message_b64', 'signature_b64'), byteFlip, (field, [at, x]) => {
        const b = Buffer.from(container[field], 'base64');
        b[at % b.length]! ^= x;
        expect(verifySmp({ ...container, [field]: b.toString('base64') }, expectRunner).valid).toBe(false);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(verifySmp(v, expectRunner).valid).toBe(false);
      }),
      RUNS,
    );
  });
});
