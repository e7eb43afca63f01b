/**
 * The practice router (PROTOCOLS §2) against a real chain from startPracticeNetwork (100 ms
 * blocks), its own SQLite and blob store in a temp dir, and miners written in the test
 * (miner-client.ts) that speak only the wire formats.
 */
import * as nodeCrypto from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { authorityKey } from '@devnet/common/keys';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { eip191Sign, parsePrivateKey } from '@shared/protocol/eip191';
import { encryptEnvelope } from '@shared/protocol/envelope';
import { fromHex, toHex } from '@shared/protocol/encoding';
import { deriveScopedKey } from '@shared/protocol/hkdf-keys';
import { pairFromSuri } from '@shared/protocol/identities';
import { signMinerRequest } from '@shared/protocol/miner-request';
import { model, TestMiner, type Reply } from './miner-client';

useNodeCryptoAesGcm(nodeCrypto);

const SEED_V1 = '11'.repeat(32);
const SEED_V2 = '22'.repeat(32);
const TOKEN = 'router-test-token-0123456789';
const key = (n: number): Uint8Array => parsePrivateKey(`0x${n.toString(16).padStart(2, '0').repeat(32)}`);
const G_KEY = key(0x31); // global entry
const S_KEY = key(0x32); // session 101 entry
const M_KEY = key(0x33); // chain member of session 101
const X_KEY = key(0x34); // nobody

let dataDir: string;
let net: PracticeNetwork;
let routerUrl: string;
let chain: ChainClient;
const logLines: string[] = [];
let G: TestMiner;
let S: TestMiner;
let M: TestMiner;
let X: TestMiner;

async function complete(body: Record<string, unknown>, token = TOKEN, signal?: AbortSignal): Promise<Reply> {
  const res = await fetch(`${routerUrl}/api/v2/completion`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return { status: res.status, json: (await res.json()) as Reply['json'] };
}

/** Polls until a job arrives (the long poll waits for it; no sleeping). */
async function nextJob(miner: TestMiner): ReturnType<TestMiner['poll']> {
  for (;;) {
    const r = await miner.poll(5, 1);
    if (r.jobs.length > 0) return r;
  }
}

async function membership(kind: 'add_session_member' | 'remove_session_member', eoa: string): Promise<void> {
  const hub = authorityKey(dataDir, 'hub');
  const args = kind === 'add_session_member' ? { competition_id: 'practice-inference', session_id: 101, eoa, hotkey: pairFromSuri('//Alice', 'sr25519').address } : { competition_id: 'practice-inference', session_id: 101, eoa };
  const { tx_id } = await chain.sendTx(kind, args, hub);
  expect((await chain.waitForTx(tx_id)).state).toBe('included');
}

beforeAll(async () => {
  await cryptoWaitReady();
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-router-'));
  const capture = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    logLines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  G = new TestMiner('', G_KEY);
  S = new TestMiner('', S_KEY);
  M = new TestMiner('', M_KEY);
  X = new TestMiner('', X_KEY);
  net = await startPracticeNetwork({
    dataDir,
    parties: ['chain', 'router'],
    blockTimeMs: 100,
    log: { info: capture('info'), warn: capture('warn'), error: capture('error') },
    router: {
      env: {
        ENCRYPTION_SEED: SEED_V2,
        ENCRYPTION_KEY_VERSION: 'v2',
        ENCRYPTION_LEGACY_SEEDS: `v1:${SEED_V1}`,
        ENCRYPTION_ALLOWED_LIST: `${G.address};101:${S.address}`,
        ROUTER_API_TOKENS: `other-token-abcdefghijkl,${TOKEN}`,
      },
      membershipTtlMs: 0,
      maxPayloadBytes: 64 * 1024,
    },
  });
  routerUrl = net.endpoints.router!;
  for (const m of [G, S, M, X]) (m as { baseUrl: string }).baseUrl = routerUrl;
  chain = new ChainClient(net.endpoints.chain);
  const alice = pairFromSuri('//Alice', 'sr25519');
  const { tx_id } = await chain.sendTx('register_hotkey', { competition_id: 'practice-inference', hotkey: alice.address, coldkey: pairFromSuri('//Cold', 'sr25519').address }, alice);
  expect((await chain.waitForTx(tx_id)).state).toBe('included');
});

afterAll(async () => {
  await net?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('practice network', () => {
  it('starts the router by default-listed party, records it in the state file and answers /health', async () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'devnet', 'state.json'), 'utf8')) as { parties: Record<string, { url: string }> };
    expect(state.parties.router?.url).toBe(routerUrl);
    expect(await (await fetch(`${routerUrl}/health`)).json()).toMatchObject({ ok: true, party: 'router' });
    expect(logLines.some((l) => l.includes('router keyring') && l.includes('"active":"v2"'))).toBe(true);
  });
});

describe('§2.3 key issuance', () => {
  it('gives a global address the active key K(scope, v2), and v1 on request', async () => {
    const r = await G.key(101, null);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ payload_enc_key: toHex(deriveScopedKey(fromHex(SEED_V2, 's'), '101')), key_version: 'v2', scope: '101', scope_type: 'session' });
    const old = await G.key(101, null, 'v1');
    expect(old.json.payload_enc_key).toBe(toHex(deriveScopedKey(fromHex(SEED_V1, 's'), '101')));
    expect((await G.key(100, null)).status).toBe(200);
  });

  it('410 for a version the keyring does not hold', async () => {
    const r = await G.key(101, null, 'v3');
    expect([r.status, r.json.error?.code]).toEqual([410, 'KEY_VERSION_RETIRED']);
  });

  it('a session entry gets that session only; nobody else gets anything', async () => {
    expect((await S.key(101, null)).status).toBe(200);
    expect((await S.key(100, null)).status).toBe(403);
    const x = await X.key(101, null);
    expect([x.status, x.json.error?.code]).toEqual([403, 'NOT_ALLOWED']);
  });

  it('checks in order: 400 before 401 before 403 before 404', async () => {
    const post = async (endpoint: string, body: unknown): Promise<Reply> => {
      const res = await fetch(`${routerUrl}/api/v1/auth/payload_enc_key/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Reply['json'] };
    };
    const good = eip191Sign(G_KEY, '101');
    expect((await post('session', { address: good.address, signature: good.signature, session_id: 101, task_id: 1 })).status).toBe(400);
    expect((await post('session', { address: good.address, signature: good.signature, session_id: '101' })).status).toBe(400);
    const stolen = await post('session', { address: X.address, signature: good.signature, session_id: 101 });
    expect([stolen.status, stolen.json.error?.code]).toEqual([401, 'SIGNATURE_INVALID']);
    // Not allowed and unknown session: 403, so the caller learns nothing about session 999.
    expect((await X.key(999, null)).status).toBe(403);
    expect((await S.key(999, null)).status).toBe(403);
    const unknown = await G.key(999, null);
    expect([unknown.status, unknown.json.error?.code]).toEqual([404, 'UNKNOWN_SESSION']);
    const noTask = await G.key(101, 424242);
    expect([noTask.status, noTask.json.error?.code]).toEqual([404, 'UNKNOWN_TASK']);
  });

  it('follows the chain: a session member gets the key while it is a member, not before or after', async () => {
    expect((await M.key(101, null)).status).toBe(403);
    await membership('add_session_member', M.address);
    expect((await M.key(101, null)).status).toBe(200);
    expect((await M.key(100, null)).status).toBe(403);
    await membership('remove_session_member', M.address);
    expect((await M.key(101, null)).status).toBe(403);
  });
});

describe('§2.5 offchain store and §2.6 signatures', () => {
  const sealed = async (sessionId = 101) => encryptEnvelope(deriveScopedKey(fromHex(SEED_V2, 's'), String(sessionId)), { scopeType: 'session', sessionId, taskId: null, keyVersion: 'v2' }, { output: 'x' });

  it('stores an encrypted envelope and serves it under its URN, raw or percent-encoded', async () => {
    const env = await sealed();
    const put = await G.call('PUT', '/api/v2/offchain', env);
    expect(put.status).toBe(201);
    const urn = put.json.urn as string;
    expect(urn).toMatch(/^urn:cts:payload:v2:101:[0-9a-f-]{36}$/);
    expect((await G.call('GET', `/api/v2/offchain/${urn}`)).json).toEqual(env);
    expect((await G.call('GET', `/api/v2/offchain/${encodeURIComponent(urn)}`)).json).toEqual(env);
    const app = await fetch(`${routerUrl}/api/v2/offchain/${urn}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await app.json()).toEqual(env);
    expect((await fetch(`${routerUrl}/api/v2/offchain/${urn}`)).status).toBe(401);
    expect((await fetch(`${routerUrl}/api/v2/offchain/${urn}`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
  });

  it('refuses plaintext on a private session, malformed URNs before lookup, unknown URNs, oversize bodies and strangers', async () => {
    const plain = await G.call('PUT', '/api/v2/offchain?session_id=101', { version: 'v2', payload_type: 'plain', data: { prompt: 'p' } });
    expect([plain.status, plain.json.error?.code]).toEqual([400, 'PLAINTEXT_REFUSED']);
    expect((await G.call('PUT', '/api/v2/offchain?session_id=100', { version: 'v2', payload_type: 'plain', data: { prompt: 'p' } })).status).toBe(201);
    const bad = await G.call('GET', '/api/v2/offchain/urn:cts:payload:v2:101:not-a-uuid');
    expect([bad.status, bad.json.error?.code]).toEqual([400, 'URN_MALFORMED']);
    const missing = await G.call('GET', `/api/v2/offchain/urn:cts:payload:v2:101:${nodeCrypto.randomUUID()}`);
    expect(missing.status).toBe(404);
    const big = await G.call('PUT', '/api/v2/offchain', { ...(await sealed()), pad: 'x'.repeat(70 * 1024) });
    expect([big.status, big.json.error?.code]).toEqual([413, 'TOO_LARGE']);
    const stranger = await X.call('PUT', '/api/v2/offchain', await sealed());
    expect([stranger.status, stranger.json.error?.code]).toEqual([403, 'NOT_ALLOWED']);
    expect((await S.call('PUT', '/api/v2/offchain', await sealed(100))).status).toBe(403);
  });

  it('stores under the uploader’s own URN: 201, the same URN again 200 with the first envelope kept, another uploader 409, a foreign session 400', async () => {
    const urn = `urn:cts:payload:v2:101:${nodeCrypto.randomUUID()}`;
    const first = await sealed();
    const put = await G.call('PUT', `/api/v2/offchain/${encodeURIComponent(urn)}`, first);
    expect([put.status, put.json.urn]).toEqual([201, urn]);
    const again = await G.call('PUT', `/api/v2/offchain/${encodeURIComponent(urn)}`, await sealed());
    expect([again.status, again.json.urn]).toEqual([200, urn]);
    expect((await G.call('GET', `/api/v2/offchain/${urn}`)).json).toEqual(first);
    const taken = await S.call('PUT', `/api/v2/offchain/${encodeURIComponent(urn)}`, await sealed());
    expect([taken.status, taken.json.error?.code]).toEqual([409, 'URN_TAKEN']);
    const foreign = await G.call('PUT', `/api/v2/offchain/urn:cts:payload:v2:100:${nodeCrypto.randomUUID()}`, await sealed());
    expect([foreign.status, foreign.json.error?.code]).toEqual([400, 'MALFORMED']);
    const bad = await G.call('PUT', '/api/v2/offchain/urn:cts:payload:v2:101:not-a-uuid', await sealed());
    expect([bad.status, bad.json.error?.code]).toEqual([400, 'URN_MALFORMED']);
    expect((await X.call('PUT', `/api/v2/offchain/urn:cts:payload:v2:101:${nodeCrypto.randomUUID()}`, await sealed())).status).toBe(403);
  });

  it('401 for missing, stale or forged signatures; 409 for a replayed nonce', async () => {
    expect((await fetch(`${routerUrl}/api/v2/miner/jobs`)).status).toBe(401);
    const stale = signMinerRequest(G_KEY, { method: 'GET', path: '/api/v2/miner/jobs', timestamp: String(Math.floor(Date.now() / 1000) - 301) });
    const s = await fetch(`${routerUrl}/api/v2/miner/jobs`, { headers: stale });
    expect([s.status, ((await s.json()) as Reply['json']).error?.code]).toEqual([401, 'STALE_TIMESTAMP']);
    const forged = { ...signMinerRequest(X_KEY, { method: 'GET', path: '/api/v2/miner/jobs' }), 'X-Miner-Address': G.address };
    expect((await fetch(`${routerUrl}/api/v2/miner/jobs`, { headers: forged })).status).toBe(401);
    const once = signMinerRequest(G_KEY, { method: 'GET', path: '/api/v2/miner/jobs' });
    expect((await fetch(`${routerUrl}/api/v2/miner/jobs`, { headers: once })).status).toBe(204);
    const again = await fetch(`${routerUrl}/api/v2/miner/jobs`, { headers: once });
    expect([again.status, ((await again.json()) as Reply['json']).error?.code]).toEqual([409, 'NONCE_REPLAYED']);
    const x = await X.poll();
    expect(x.status).toBe(403);
  });
});

describe('§2.7 completion end to end', () => {
  it('answers a private completion with the decrypted output of a miner loop; task ids increase', async () => {
    const stop = new AbortController();
    const loop = G.loop(stop.signal);
    const a = await complete({ session_id: 101, prompt: 'hello private world', params: { temperature: 0 }, timeout_s: 30 });
    const b = await complete({ session_id: 101, prompt: 'second prompt' });
    stop.abort();
    await loop;
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ session_id: 101, task_id: expect.any(Number) as number, ...model('hello private world') });
    expect(b.json).toMatchObject({ session_id: 101, ...model('second prompt') });
    expect(b.json.task_id as number).toBeGreaterThan(a.json.task_id as number);
    // The task now exists: its task key is issued (to the session entry) and is K("101:<task>").
    const t = await S.key(101, a.json.task_id as number);
    expect(t.json.payload_enc_key).toBe(toHex(deriveScopedKey(fromHex(SEED_V2, 's'), `101:${String(a.json.task_id)}`)));
  });

  it('shows the app what it holds for a task, as it is: URNs, sizes, versions and states, no content', async () => {
    const get = async (path: string, token = TOKEN): Promise<Reply> => {
      const res = await fetch(`${routerUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, json: (await res.json()) as Reply['json'] };
    };
    expect((await get('/api/v2/sessions')).json.sessions).toEqual([
      { session_id: 100, private: false, competition_id: null },
      { session_id: 101, private: true, competition_id: 'practice-inference' },
    ]);
    const view = await get('/api/v2/sessions/101/tasks/1');
    expect(view.json).toMatchObject({
      session_id: 101,
      task_id: 1,
      state: 'done',
      input: { urn: expect.stringMatching(/^urn:cts:payload:v2:101:/) as string, payload_type: 'encrypted', key_version: 'v2', bytes: expect.any(Number) as number },
      result: { payload_type: 'encrypted', key_version: 'v2' },
    });
    expect(JSON.stringify(view.json)).not.toContain('hello private world');
    expect((await get('/api/v2/sessions/101/tasks/999999')).status).toBe(404);
    expect((await get('/api/v2/sessions/101/tasks/1', 'wrong-token-0123456789')).status).toBe(401);
  });

  it('keeps non-private sessions working with plain payloads', async () => {
    const stop = new AbortController();
    const loop = S.loop(stop.signal); // S serves 101 only: the public session needs G
    const loopG = G.loop(stop.signal);
    const r = await complete({ session_id: 100, prompt: 'plain please' });
    stop.abort();
    await Promise.all([loop, loopG]);
    expect(r.json).toEqual({ session_id: 100, task_id: expect.any(Number) as number, ...model('plain please') });
  });

  it('refuses bad tokens, malformed bodies, unknown sessions and streaming on private sessions', async () => {
    expect((await complete({ session_id: 101, prompt: 'p' }, 'nope-nope-nope-nope')).status).toBe(401);
    expect((await complete({ session_id: 101 })).status).toBe(400);
    expect((await complete({ session_id: 101, prompt: 'p', timeout_s: 601 })).status).toBe(400);
    expect((await complete({ session_id: 999, prompt: 'p' })).json.error?.code).toBe('UNKNOWN_SESSION');
    const s = await complete({ session_id: 101, prompt: 'p', stream: true });
    expect([s.status, s.json.error?.code]).toEqual([400, 'STREAMING_UNSUPPORTED']);
  });

  it('times out with 504 and withdraws the job', async () => {
    const r = await complete({ session_id: 101, prompt: 'nobody listens', timeout_s: 0.3 });
    expect([r.status, r.json.error?.code]).toEqual([504, 'TIMEOUT']);
    expect((await G.poll(0, 10)).status).toBe(204);
  });

  it('reports are idempotent; a different result is ALREADY_REPORTED; another miner is LEASE_LOST', async () => {
    const pending = complete({ session_id: 101, prompt: 'report me once' });
    const { jobs } = await nextJob(G);
    const job = jobs[0]!;
    expect(job).toMatchObject({ session_id: 101, input_urn: expect.stringMatching(/^urn:cts:payload:v2:101:/) as string });
    expect(Date.parse(job.lease_expires_at) - Date.now()).toBeGreaterThan(50_000);
    const lease = await G.call('POST', `/api/v2/miner/jobs/${job.job_id}/lease`);
    expect(lease.status).toBe(200);
    const urn = await G.compute(job);
    const thief = await S.report(job.job_id, urn);
    expect([thief.status, thief.json.error?.code]).toEqual([409, 'LEASE_LOST']);
    const notMine = await G.report(job.job_id, job.input_urn);
    expect([notMine.status, notMine.json.error?.code]).toEqual([400, 'RESULT_URN_INVALID']);
    expect((await G.report(job.job_id, urn)).status).toBe(200);
    expect((await pending).json).toMatchObject(model('report me once'));
    expect((await G.report(job.job_id, urn)).status).toBe(200);
    const other = await G.report(job.job_id, await G.compute(job));
    expect([other.status, other.json.error?.code]).toEqual([409, 'ALREADY_REPORTED']);
    expect((await G.report(nodeCrypto.randomUUID(), urn)).status).toBe(404);
  });

  it('tells a miner a job’s state and its own leases: leased and mine, then done with its URN; another miner sees not-mine and no URN', async () => {
    const pending = complete({ session_id: 101, prompt: 'what state am I in' });
    const { jobs } = await nextJob(G);
    const job = jobs[0]!;
    const leased = await G.call('GET', `/api/v2/miner/jobs/${job.job_id}`);
    expect(leased.json).toEqual({ job_id: job.job_id, state: 'leased', mine: true, result_urn: null, lease_expires_at: job.lease_expires_at });
    const leases = await G.call('GET', '/api/v2/miner/leases');
    expect((leases.json.jobs as { job_id: string }[]).map((j) => j.job_id)).toContain(job.job_id);
    expect(((await S.call('GET', '/api/v2/miner/leases')).json.jobs as { job_id: string }[]).map((j) => j.job_id)).not.toContain(job.job_id);
    expect((await S.call('GET', `/api/v2/miner/jobs/${job.job_id}`)).json).toMatchObject({ state: 'leased', mine: false, result_urn: null, lease_expires_at: null });
    const urn = await G.compute(job);
    expect((await G.report(job.job_id, urn)).status).toBe(200);
    await pending;
    expect((await G.call('GET', `/api/v2/miner/jobs/${job.job_id}`)).json).toEqual({ job_id: job.job_id, state: 'done', mine: true, result_urn: urn, lease_expires_at: null });
    expect((await S.call('GET', `/api/v2/miner/jobs/${job.job_id}`)).json).toMatchObject({ state: 'done', mine: false, result_urn: null });
    expect(((await G.call('GET', '/api/v2/miner/leases')).json.jobs as { job_id: string }[]).map((j) => j.job_id)).not.toContain(job.job_id);
    const unknown = await G.call('GET', `/api/v2/miner/jobs/${nodeCrypto.randomUUID()}`);
    expect([unknown.status, unknown.json.error?.code]).toEqual([404, 'UNKNOWN_JOB']);
    expect((await X.call('GET', '/api/v2/miner/leases')).status).toBe(403);
  });

  it('a failed job answers 502 MINER_FAILED; a result that does not decrypt answers 502 RESULT_UNDECRYPTABLE', async () => {
    const failing = complete({ session_id: 101, prompt: 'fail me' });
    const j1 = (await nextJob(G)).jobs[0]!;
    expect((await G.call('POST', `/api/v2/miner/jobs/${j1.job_id}/fail`, { code: 'MODEL_FAILED', message: 'the model crashed' })).status).toBe(200);
    expect((await G.call('POST', `/api/v2/miner/jobs/${j1.job_id}/fail`, { code: 'MODEL_FAILED', message: 'again' })).status).toBe(200);
    const f = await failing;
    expect([f.status, f.json.error?.code]).toEqual([502, 'MINER_FAILED']);

    const garbled = complete({ session_id: 101, prompt: 'garble me' });
    const j2 = (await nextJob(G)).jobs[0]!;
    // Encrypted under the right scope but the wrong seed: stored fine, cannot be opened.
    const wrong = await encryptEnvelope(deriveScopedKey(fromHex('33'.repeat(32), 's'), '101'), { scopeType: 'session', sessionId: 101, taskId: null, keyVersion: 'v2' }, { output: 'x', model: 'm' });
    const put = await G.call('PUT', '/api/v2/offchain', wrong);
    expect((await G.report(j2.job_id, put.json.urn as string)).status).toBe(200);
    const g = await garbled;
    expect([g.status, g.json.error?.code]).toEqual([502, 'RESULT_UNDECRYPTABLE']);
  });

  it('privacy: no prompt or output byte sequence rests in the router data dir or its log', async () => {
    const prompt = `secret prompt ${nodeCrypto.randomUUID()}`;
    const stop = new AbortController();
    const loop = G.loop(stop.signal);
    const r = await complete({ session_id: 101, prompt });
    stop.abort();
    await loop;
    expect(r.json.output).toBe(model(prompt).output);
    const needles = [prompt, model(prompt).output, 'hello private world', model('hello private world').output].map((s) => Buffer.from(s));
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(join(dataDir, 'devnet', 'router'));
    expect(files.some((f) => f.endsWith('router.db'))).toBe(true);
    expect(files.filter((f) => f.includes('blobs')).length).toBeGreaterThan(3);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const n of needles) expect(bytes.includes(n), `${f} holds plaintext`).toBe(false);
    }
    const log = Buffer.from(logLines.join('\n'));
    for (const n of needles) expect(log.includes(n)).toBe(false);
    for (const secret of [SEED_V1, SEED_V2, TOKEN]) expect(log.includes(secret)).toBe(false);
    expect(logLines.some((l) => l.includes('completion answered'))).toBe(true);
  });
});
