import * as nodeCrypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { aesGcmBackend, useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { isAllowed, isAllowedAnywhere, parseAllowedList } from '@shared/protocol/allowed-list';
import { decryptEnvelope, encryptEnvelope, envelopeAad, openEnvelopeBytes, parseEnvelope, plainEnvelope, type EncryptedEnvelope, type EnvelopeScope } from '@shared/protocol/envelope';
import { deriveScopedKey } from '@shared/protocol/hkdf-keys';
import { formatUrn, parseUrn, uuidV4 } from '@shared/protocol/urn';
import { signMinerRequest, verifyMinerRequest, minerRequestMessage } from '@shared/protocol/miner-request';
import { MemoryReplayStore } from '@shared/protocol/replay-store';
import { eoaFromMnemonic } from '@shared/protocol/identities';
import { eip191Recover } from '@shared/protocol/eip191';

const seed = new Uint8Array(32).map((_, i) => i * 3);
const sessionScope: EnvelopeScope = { scopeType: 'session', sessionId: 101, taskId: null, keyVersion: 'v3' };
const taskScope: EnvelopeScope = { scopeType: 'task', sessionId: 101, taskId: 9001, keyVersion: 'v3' };

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).code;
  }
  throw new Error('expected an AppError');
}

describe('allowed list (§2.2)', () => {
  const A = `0x${'a'.repeat(40)}`;
  const B = `0x${'B'.repeat(40)}`;
  const C = `0x${'c'.repeat(40)}`;
  const D = `0x${'d'.repeat(40)}`;
  it('parses the spec example and decides per scope', () => {
    const list = parseAllowedList(`${A};101:${B},${D};101-9001:${C}`);
    expect(isAllowed(list, A.toUpperCase().replace('0X', '0x'), 555)).toBe(true);
    expect(isAllowed(list, B.toLowerCase(), 101)).toBe(true);
    expect(isAllowed(list, B, 101, 7)).toBe(true);
    expect(isAllowed(list, B, 102)).toBe(false);
    expect(isAllowed(list, C, 101)).toBe(false);
    expect(isAllowed(list, C, 101, 9001)).toBe(true);
    expect(isAllowed(list, C, 101, 9002)).toBe(false);
    expect(isAllowedAnywhere(list, C)).toBe(true);
    expect(isAllowedAnywhere(list, `0x${'e'.repeat(40)}`)).toBe(false);
  });
  it('empty list is valid and allows nobody', () => {
    expect(isAllowed(parseAllowedList(''), A, 1)).toBe(false);
  });
  it.each([
    [`${A};;${B}`, 2],
    [`${A};`, 2],
    [`${A}; ${B}`, 2],
    [`101:${A};x:${B}`, 2],
    [`01:${A}`, 1],
    [`101-:${A}`, 1],
    [`101:${A},0x123`, 1],
    [`${A},`, 1],
  ])('%s → error naming entry %i', (text, position) => {
    try {
      parseAllowedList(text);
      throw new Error('accepted');
    } catch (e) {
      expect((e as AppError).code).toBe('ALLOWED_LIST_INVALID');
      expect((e as AppError).message).toContain(`entry ${position}`);
    }
  });
});

describe.each(['webcrypto', 'node:crypto'] as const)('envelope v2 (§2.4) with %s', (backend) => {
  afterEach(() => useNodeCryptoAesGcm(undefined));
  const setBackend = () => useNodeCryptoAesGcm(backend === 'node:crypto' ? nodeCrypto : undefined);

  it('round-trips session and task scope, with the AAD of §2.4', async () => {
    setBackend();
    expect(aesGcmBackend()).toBe(backend);
    for (const scope of [sessionScope, taskScope]) {
      const key = deriveScopedKey(seed, scope.taskId === null ? '101' : '101:9001');
      const data = { prompt: 'héllo 😀', params: { t: 1 }, metadata: {} };
      const env = await encryptEnvelope(key, scope, data, new Date('2026-01-01T00:00:00Z'));
      expect(env.data.created_at).toBe('2026-01-01T00:00:00.000Z');
      expect(env.data.task_id).toBe(scope.taskId);
      expect(Buffer.from(env.data.nonce, 'base64')).toHaveLength(12);
      expect(await decryptEnvelope(key, JSON.parse(JSON.stringify(env)))).toEqual(data);
      // Independent check with node:crypto and the AAD string written out by hand.
      const aad = scope.taskId === null ? 'cts:v0:session:101:v3' : 'cts:v0:task:101:9001:v3';
      expect(Buffer.from(envelopeAad(scope)).toString()).toBe(aad);
      const d = nodeCrypto.createDecipheriv('aes-256-gcm', key, Buffer.from(env.data.nonce, 'base64'));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(Buffer.from(env.data.tag, 'base64'));
      const pt = Buffer.concat([d.update(Buffer.from(env.data.ciphertext, 'base64')), d.final()]);
      expect(JSON.parse(pt.toString())).toEqual(data);
    }
  });

  it('fresh nonce every time', async () => {
    setBackend();
    const key = deriveScopedKey(seed, '101');
    const a = await encryptEnvelope(key, sessionScope, { prompt: 'x' });
    const b = await encryptEnvelope(key, sessionScope, { prompt: 'x' });
    expect(a.data.nonce).not.toBe(b.data.nonce);
  });

  it('each tampering fails alone with its own error', async () => {
    setBackend();
    const key = deriveScopedKey(seed, '101');
    const env = await encryptEnvelope(key, sessionScope, { prompt: 'secret' });
    const mutate = (f: (e: EncryptedEnvelope) => void): EncryptedEnvelope => {
      const copy = structuredClone(env);
      f(copy);
      return copy;
    };
    expect(await code(decryptEnvelope(deriveScopedKey(seed, '102'), env))).toBe('DECRYPT_FAILED');
    expect(await code(decryptEnvelope(key, mutate((e) => (e.data.key_version = 'v4'))))).toBe('DECRYPT_FAILED');
    expect(await code(decryptEnvelope(key, mutate((e) => (e.data.session_id = 102))))).toBe('DECRYPT_FAILED');
    expect(await code(decryptEnvelope(key, mutate((e) => Object.assign(e.data, { scope_type: 'task', task_id: 1 }))))).toBe('DECRYPT_FAILED');
    expect(await code(decryptEnvelope(key, mutate((e) => (e.data.tag = Buffer.alloc(16).toString('base64')))))).toBe('DECRYPT_FAILED');
    expect(await code(decryptEnvelope(key, mutate((e) => (e.data.nonce = Buffer.alloc(12).toString('base64')))))).toBe('DECRYPT_FAILED');
    const ct = Buffer.from(env.data.ciphertext, 'base64');
    ct[0]! ^= 1;
    expect(await code(decryptEnvelope(key, mutate((e) => (e.data.ciphertext = ct.toString('base64')))))).toBe('DECRYPT_FAILED');
    expect(await code(decryptEnvelope(key, mutate((e) => Object.assign(e, { version: 'v1' }))))).toBe('ENVELOPE_MALFORMED');
    expect(await code(decryptEnvelope(key, mutate((e) => Object.assign(e.data, { alg: 'aes-128-gcm' }))))).toBe('ENVELOPE_MALFORMED');
    expect(await code(decryptEnvelope(key, mutate((e) => delete (e.data as Partial<EncryptedEnvelope['data']>).created_at)))).toBe('ENVELOPE_MALFORMED');
    expect(await code(decryptEnvelope(key, mutate((e) => Object.assign(e.data, { extra: 1 }))))).toBe('ENVELOPE_MALFORMED');
    expect(await code(decryptEnvelope(key, mutate((e) => (e.data.task_id = 5))))).toBe('ENVELOPE_MALFORMED');
    expect(await code(decryptEnvelope(key, mutate((e) => (e.data.ciphertext = `${e.data.ciphertext} `))))).toBe('ENVELOPE_MALFORMED');
    expect(await code(decryptEnvelope(key, mutate((e) => (e.data.nonce = Buffer.alloc(8).toString('base64')))))).toBe('ENVELOPE_MALFORMED');
    expect(await code(decryptEnvelope(key, plainEnvelope({ prompt: 'x' })))).toBe('ENVELOPE_MALFORMED');
    expect(await code(openEnvelopeBytes(key, null))).toBe('ENVELOPE_MALFORMED');
    expect(await code(decryptEnvelope(new Uint8Array(16), env))).toBe('KEY_INVALID');
  });

  it('the decrypted plaintext must be a JSON object', async () => {
    setBackend();
    const key = deriveScopedKey(seed, '101');
    const { sealEnvelopeBytes } = await import('@shared/protocol/envelope');
    const arr = await sealEnvelopeBytes(key, sessionScope, Buffer.from('[1,2]'));
    expect(await code(decryptEnvelope(key, arr))).toBe('ENVELOPE_MALFORMED');
    const bad = await sealEnvelopeBytes(key, sessionScope, Uint8Array.of(0xff, 0xfe));
    expect(await code(decryptEnvelope(key, bad))).toBe('ENVELOPE_MALFORMED');
  });
});

describe('plain envelope and parsing', () => {
  it('accepts the plain form and refuses a non-object data', () => {
    expect(parseEnvelope({ version: 'v2', payload_type: 'plain', data: { prompt: 'p', params: {}, metadata: {} } }).payload_type).toBe('plain');
    expect(() => parseEnvelope({ version: 'v2', payload_type: 'plain', data: 'x' })).toThrow(expect.objectContaining({ code: 'ENVELOPE_MALFORMED' }));
    expect(() => parseEnvelope({ version: 'v2', payload_type: 'zip', data: {} })).toThrow(expect.objectContaining({ code: 'ENVELOPE_MALFORMED' }));
  });
});

describe('URNs (§2.5)', () => {
  it('formats and parses, raw or percent-encoded', () => {
    const uuid = uuidV4();
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const urn = formatUrn(101, uuid);
    expect(urn).toBe(`urn:cts:payload:v2:101:${uuid}`);
    expect(parseUrn(urn)).toEqual({ sessionId: 101, uuid, urn });
    expect(parseUrn(encodeURIComponent(urn)).urn).toBe(urn);
    expect(parseUrn(urn.toUpperCase().replace('URN:CTS:PAYLOAD:V2', 'urn:cts:payload:v2')).urn).toBe(urn);
  });
  it.each([
    'urn:cts:payload:v1:101:9f1c1d7e-2b6a-4c3d-8e9f-0a1b2c3d4e5f',
    'urn:cts:payload:v2:0101:9f1c1d7e-2b6a-4c3d-8e9f-0a1b2c3d4e5f',
    'urn:cts:payload:v2:101:9f1c1d7e-2b6a-1c3d-8e9f-0a1b2c3d4e5f',
    'urn:cts:payload:v2:101:9f1c1d7e-2b6a-4c3d-ce9f-0a1b2c3d4e5f',
    'urn:cts:payload:v2:101:../../etc/passwd',
    'urn:cts:payload:v2:101:9f1c1d7e-2b6a-4c3d-8e9f-0a1b2c3d4e5f ',
    '%E0%A4%A',
  ])('refuses %s', (text) => {
    expect(() => parseUrn(text)).toThrow(expect.objectContaining({ code: 'URN_MALFORMED' }));
  });
});

describe('signed miner requests (§2.6)', () => {
  const { privateKey, address } = eoaFromMnemonic('test test test test test test test test test test test junk');
  const now = 1_800_000_000;
  const req = { method: 'post', path: '/api/v2/miner/jobs/abc/result?x=1', body: Buffer.from('{"result_urn":"u"}') };

  it('signs the canonical string of §2.6 and verifies', () => {
    const h = signMinerRequest(privateKey, { ...req, nonce: 'n-1', timestamp: String(now) });
    const body = nodeCrypto.createHash('sha256').update(req.body).digest('hex');
    const expected = `cts-miner-v0:POST:/api/v2/miner/jobs/abc/result:${address}:n-1:${now}:${body}`;
    expect(minerRequestMessage({ ...req, address, nonce: 'n-1', timestamp: String(now) })).toBe(expected);
    expect(eip191Recover(expected, h['X-Miner-Signature'])).toBe(address);
    expect(verifyMinerRequest(h, req, { nowSeconds: now })).toBe(address);
    const empty = signMinerRequest(privateKey, { method: 'GET', path: '/api/v2/miner/jobs?wait=30', nonce: 'n', timestamp: String(now) });
    expect(eip191Recover(`cts-miner-v0:GET:/api/v2/miner/jobs:${address}:n:${now}:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`, empty['X-Miner-Signature'])).toBe(address);
  });

  it('each check fails alone, in order', () => {
    const h = signMinerRequest(privateKey, { ...req, timestamp: String(now) });
    const store = new MemoryReplayStore();
    const fail = (headers: Record<string, string>, options: Partial<Parameters<typeof verifyMinerRequest>[2]> = {}, r = req) => {
      try {
        verifyMinerRequest(headers, r, { nowSeconds: now, ...options });
      } catch (e) {
        return (e as AppError).code;
      }
      return 'ok';
    };
    const { 'X-Miner-Nonce': _n, ...noNonce } = h;
    expect(fail(noNonce)).toBe('UNAUTHENTICATED');
    expect(fail({ ...h, 'X-Miner-Timestamp': 'soon' })).toBe('STALE_TIMESTAMP');
    expect(fail(h, { nowSeconds: now + 301 })).toBe('STALE_TIMESTAMP');
    expect(fail(h, { nowSeconds: now - 301 })).toBe('STALE_TIMESTAMP');
    expect(fail(h, { nowSeconds: now + 300 })).toBe('ok');
    expect(fail(h, {}, { ...req, body: Buffer.from('{}') })).toBe('SIGNATURE_INVALID');
    expect(fail(h, {}, { ...req, path: '/api/v2/miner/jobs/abd/result' })).toBe('SIGNATURE_INVALID');
    expect(fail({ ...h, 'X-Miner-Address': `0x${'1'.repeat(40)}` })).toBe('SIGNATURE_INVALID');
    // A bad signature does not burn the nonce; a good one does.
    expect(fail({ ...h, 'X-Miner-Signature': `0x${'00'.repeat(65)}` }, { replayStore: store })).toBe('SIGNATURE_INVALID');
    expect(fail(h, { replayStore: store })).toBe('ok');
    expect(fail(h, { replayStore: store })).toBe('NONCE_REPLAYED');
    expect(fail(h, { replayStore: store, nowSeconds: now + 299 })).toBe('NONCE_REPLAYED');
    expect(fail({ ...h, 'x-miner-nonce': h['X-Miner-Nonce'] })).toBe('UNAUTHENTICATED');
  });
});
