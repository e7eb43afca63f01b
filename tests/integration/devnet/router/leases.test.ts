/**
 * The SessionQueue's leases and §2.2's task entries, on a router alone (no chain: the allowed list
 * decides) with a 400 ms lease, task-scoped inputs and its own SQLite in a temp dir.
 */
import * as nodeCrypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterNode, type RouterOptions } from '@devnet/router/router-server';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { parsePrivateKey } from '@shared/protocol/eip191';
import { parseEnvelope } from '@shared/protocol/envelope';
import { model, TestMiner, type Reply } from './miner-client';

useNodeCryptoAesGcm(nodeCrypto);

const TOKEN = 'lease-test-token-0123456789';
const key = (n: number): Uint8Array => parsePrivateKey(`0x${n.toString(16).padStart(2, '0').repeat(32)}`);
const A_KEY = key(0x41);
const B_KEY = key(0x42);
const T_KEY = key(0x43);

let dataDir: string;
let router: RouterNode;
let A: TestMiner;
let B: TestMiner;
let T: TestMiner;
const waiters: { message: string; resolve: () => void }[] = [];
/** Resolves when the router logs `message` (it logs each decision as it makes it). */
function logged(message: string): Promise<void> {
  return new Promise((resolve) => waiters.push({ message, resolve }));
}
const onLog = (message: string): void => {
  for (const w of waiters.splice(0)) {
    if (w.message === message) w.resolve();
    else waiters.push(w);
  }
};

function options(): RouterOptions {
  const a = new TestMiner('', A_KEY).address;
  const b = new TestMiner('', B_KEY).address;
  const t = new TestMiner('', T_KEY).address;
  return {
    dataDir,
    chainUrl: null,
    sessions: [{ session_id: 7, private: true, competition_id: null }],
    env: { ENCRYPTION_SEED: '44'.repeat(32), ROUTER_API_TOKENS: TOKEN, ENCRYPTION_ALLOWED_LIST: `7:${a},${b};7-2:${t}` },
    leaseMs: 400,
    log: { info: onLog, warn: onLog, error: onLog },
    taskScopedInputs: true,
  };
}

async function start(): Promise<void> {
  router = new RouterNode(options());
  const url = await router.start();
  A = new TestMiner(url, A_KEY);
  B = new TestMiner(url, B_KEY);
  T = new TestMiner(url, T_KEY);
}

function complete(prompt: string, signal?: AbortSignal): Promise<Reply> {
  return fetch(`${router.url}/api/v2/completion`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: 7, prompt, timeout_s: 30 }),
    ...(signal ? { signal } : {}),
  }).then(async (res) => ({ status: res.status, json: (await res.json()) as Reply['json'] }));
}

/** Waits (through the router's own long poll) until `miner` is leased `n` jobs. */
async function leaseJobs(miner: TestMiner, n: number): ReturnType<TestMiner['poll']> {
  const jobs = [];
  while (jobs.length < n) jobs.push(...(await miner.poll(5, n - jobs.length)).jobs);
  return { status: 200, jobs };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-router-leases-'));
  await start();
});

afterAll(async () => {
  await router.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('task entries and task-scoped inputs', () => {
  it('a task-only address is leased only its task, gets only its task key, and can serve it', async () => {
    const first = complete('first task');
    const second = complete('second task');
    // Both jobs are queued once A's poll sees one and T's sees its own.
    const t = await leaseJobs(T, 1);
    expect(t.jobs.map((j) => j.task_id)).toEqual([2]);
    expect((await T.key(7, null)).status).toBe(403);
    expect((await T.key(7, 1)).status).toBe(403);
    const input = parseEnvelope(await T.getEnvelope(t.jobs[0]!.input_urn));
    expect(input).toMatchObject({ payload_type: 'encrypted', data: { scope_type: 'task', session_id: 7, task_id: 2, key_version: 'v1' } });
    expect((await T.report(t.jobs[0]!.job_id, await T.compute(t.jobs[0]!))).status).toBe(200);
    expect((await second).json).toMatchObject({ task_id: 2, ...model('second task') });
    const a = await leaseJobs(A, 1);
    expect(a.jobs.map((j) => j.task_id)).toEqual([1]);
    expect((await A.report(a.jobs[0]!.job_id, await A.compute(a.jobs[0]!))).status).toBe(200);
    expect((await first).json).toMatchObject({ task_id: 1, ...model('first task') });
  });
});

describe('leases', () => {
  it('an expired lease returns the job to the queue; the first holder then gets LEASE_LOST', async () => {
    const pending = complete('lease me twice');
    const [job] = (await leaseJobs(A, 1)).jobs;
    const urnA = await A.compute(job!);
    // B's long poll is answered when A's lease runs out (400 ms), without any re-queue call.
    const t0 = Date.now();
    const [again] = (await leaseJobs(B, 1)).jobs;
    expect(again!.job_id).toBe(job!.job_id);
    expect(Date.now() - t0).toBeLessThan(5000);
    const lost = await A.report(job!.job_id, urnA);
    expect([lost.status, lost.json.error?.code]).toEqual([409, 'LEASE_LOST']);
    expect((await A.call('POST', `/api/v2/miner/jobs/${job!.job_id}/lease`)).json.error?.code).toBe('LEASE_LOST');
    expect((await B.call('POST', `/api/v2/miner/jobs/${job!.job_id}/lease`)).status).toBe(200);
    expect((await B.report(job!.job_id, await B.compute(again!))).status).toBe(200);
    expect((await pending).json).toMatchObject(model('lease me twice'));
  });

  it('a long poll is answered as soon as a completion arrives', async () => {
    const poll = A.poll(20, 1);
    const pending = complete('wake the poller');
    const { jobs } = await poll;
    expect(jobs).toHaveLength(1);
    expect((await A.report(jobs[0]!.job_id, await A.compute(jobs[0]!))).status).toBe(200);
    expect((await pending).status).toBe(200);
  });

  it('a caller that goes away withdraws its job; a report then is JOB_WITHDRAWN', async () => {
    const gone = new AbortController();
    const pending = complete('abandon me', gone.signal).catch((e: unknown) => e);
    const { jobs } = await leaseJobs(A, 1);
    const withdrawn = logged('completion withdrawn');
    gone.abort();
    await pending;
    await withdrawn;
    const r = await A.report(jobs[0]!.job_id, await A.compute(jobs[0]!));
    expect([r.status, r.json.error?.code]).toEqual([409, 'JOB_WITHDRAWN']);
  });

  it('after a restart, jobs nobody waits for any more are withdrawn, not leased', async () => {
    const pending = complete('restart under me').catch((e: unknown) => e);
    const { jobs } = await leaseJobs(A, 1);
    expect(jobs).toHaveLength(1);
    await router.stop();
    await pending;
    await start();
    expect((await B.poll(0, 5)).status).toBe(204);
    const r = await A.report(jobs[0]!.job_id, await A.compute(jobs[0]!));
    expect(r.json.error?.code).toBe('JOB_WITHDRAWN');
  });
});
