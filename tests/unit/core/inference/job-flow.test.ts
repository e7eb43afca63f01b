/**
 * The inference job as a flow on the kernel's engine, over a real SQLite file and a loopback
 * HTTP router: a job the app stopped (as a crash or a restart would) resumes at the step its row
 * says, in a new engine over the reopened file — the stored URN is reported without computing the
 * result again, a failure the router has not heard is told, and a job found mid-work first checks
 * that its lease is still ours.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '@core/create-core';
import { openDatabase, type Db } from '@core/db/open';
import { JobFlow, JOB_FLOW } from '@core/inference/job-flow';
import { JobsRepo, type JobRow } from '@core/inference/jobs.repo';
import { KeyCache } from '@core/inference/key-cache';
import { RouterClient } from '@core/inference/router-client';
import { FlowEngine } from '@core/kernel/flow-engine';
import { SimpleUnlockGate } from '@core/kernel/unlock-gate';
import type { ScopedLogger } from '@core/log/logger';
import { AppError } from '@shared/contract/errors';
import { eip191Sign, evmAddressOf, parsePrivateKey } from '@shared/protocol/eip191';

const KEY = parsePrivateKey(`0x${'22'.repeat(32)}`);
const JOB = '0a1b2c3d-1111-4222-8333-444455556666';
const URN = 'urn:cts:payload:v2:101:9f8e7d6c-1111-4222-8333-444455556666';
const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as ScopedLogger;

/** A router on loopback that records every call; `hold` keeps a path's answer back until released. */
interface Router {
  url: string;
  calls: { method: string; path: string; body: string }[];
  answer: (path: string, method: string) => { status: number; body: unknown } | 'hold';
  release(): void;
}

let dir: string;
let server: Server;
let router: Router;
const held: (() => void)[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'minerva-jobflow-'));
  router = {
    url: '',
    calls: [],
    answer: () => ({ status: 200, body: {} }),
    release: () => held.splice(0).forEach((f) => f()),
  };
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      router.calls.push({ method: req.method ?? 'GET', path, body });
      const reply = (): void => {
        const a = router.answer(path, req.method ?? 'GET');
        if (a === 'hold') return void held.push(reply);
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
      };
      reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  router.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  router.release();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** One "run of the app": the database file opened, an engine, the job flow, a worker's port. */
function app(gate = new SimpleUnlockGate(() => true)): { db: Db; repo: JobsRepo; engine: FlowEngine; jobs: JobFlow; modelCalls: number[] } {
  const db = openDatabase(join(dir, 'minerva.db'), MIGRATIONS);
  const repo = new JobsRepo(db);
  const engine = new FlowEngine({ gate, log, batchMs: 5 });
  const jobs = new JobFlow({ engine, repo, keys: new KeyCache(), gate, log, now: () => new Date(), config: { backoffBaseMs: 5, backoffMaxMs: 20, leaseRenewMs: 60_000 }, onChanged: () => undefined });
  const modelCalls: number[] = [];
  // As the vault's EOA signer after a restart: no address at all until the first unlock.
  const signer = {
    address: () => {
      if (!gate.isUnlocked()) throw new AppError('VAULT_MISSING', 'no address known yet');
      return evmAddressOf(KEY);
    },
    sign: (m: string) => eip191Sign(KEY, m).signature,
  };
  const client = new RouterClient({ baseUrl: router.url, signer, now: () => new Date(), timeoutMs: 5_000 });
  jobs.attach('c', {
    networkId: 'practice',
    client,
    model: {
      infer: () => {
        modelCalls.push(1);
        return Promise.resolve({ output: 'x', model: 'm', usage: null });
      },
    },
    keyRefused: () => undefined,
    keyGranted: () => undefined,
  });
  return { db, repo, engine, jobs, modelCalls };
}

function received(repo: JobsRepo, patch: Partial<JobRow> = {}): JobRow {
  const now = Date.now();
  const row = repo.receive({ networkId: 'practice', competitionId: 'c', routerUrl: router.url, jobId: JOB, sessionId: 101, taskId: 7, inputUrn: URN, deadline: new Date(now + 600_000).toISOString(), leaseExpiresAt: new Date(now + 60_000).toISOString(), nowMs: now });
  return Object.keys(patch).length > 0 ? repo.update(row.seq, patch, now) : row;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

const resultCalls = (): string[] => router.calls.filter((c) => c.path.endsWith('/result')).map((c) => (JSON.parse(c.body) as { result_urn: string }).result_urn);
const STATE_PATH = `/api/v2/miner/jobs/${JOB}`;
const lease = (): { status: number; body: unknown } => ({ status: 200, body: { job_id: JOB, lease_expires_at: new Date(Date.now() + 60_000).toISOString() } });
/** The router's answer to `GET /api/v2/miner/jobs/<id>` (the job's state, issue 19). */
const stateOf = (state: string, mine: boolean, resultUrn: string | null = null): { status: number; body: unknown } => ({
  status: 200,
  body: { job_id: JOB, state, mine, result_urn: resultUrn, lease_expires_at: state === 'leased' && mine ? new Date(Date.now() + 60_000).toISOString() : null },
});
const offchainCalls = (): number => router.calls.filter((c) => c.path.startsWith('/api/v2/offchain')).length;

describe('the inference job flow on the engine', () => {
  it('resumes at the stored report step after an engine restart: the stored URN is reported, nothing is computed again', async () => {
    router.answer = (path) => (path.endsWith('/result') ? 'hold' : { status: 200, body: {} });
    const first = app();
    const row = received(first.repo, { state: 'report', result_urn: URN, upload_ms: 3 });
    const running = first.jobs.run(row, false);
    await until(() => resultCalls().length === 1);
    await first.engine.close(); // the app stops mid-report: the router has not answered
    await running;
    expect(first.repo.get(row.seq)).toMatchObject({ state: 'report', result_urn: URN, router_done: 0 });
    first.db.close();

    router.answer = (path) => (path === STATE_PATH ? stateOf('leased', true) : path.endsWith('/result') ? { status: 200, body: { job_id: JOB, state: 'done' } } : lease());
    const second = app();
    expect(second.repo.unfinished().map((r) => r.seq)).toEqual([row.seq]);
    await second.jobs.run(second.repo.unfinished()[0]!, true);
    expect(second.repo.get(row.seq)).toMatchObject({ state: 'reported', router_done: 1, result_urn: URN, upload_ms: 3 });
    expect(resultCalls()).toEqual([URN, URN]);
    expect(offchainCalls()).toBe(0);
    expect(second.modelCalls).toEqual([]);
    expect(second.engine.status(JOB_FLOW).length).toBeLessThanOrEqual(1);
    await second.engine.close();
    second.db.close();
  });

  it('a job resumed while the wallet is still locked waits on the unlock gate, then reports', async () => {
    const first = app();
    const row = received(first.repo, { state: 'report', result_urn: URN });
    await first.engine.close();
    first.db.close();

    router.answer = (path) => (path === STATE_PATH ? stateOf('leased', true) : { status: 200, body: { job_id: JOB, state: 'done' } });
    let unlocked = false;
    let waiting = 0;
    const gate = new SimpleUnlockGate(() => unlocked);
    const whenUnlocked = gate.whenUnlocked.bind(gate);
    gate.whenUnlocked = (signal) => ((waiting += 1), whenUnlocked(signal));
    const second = app(gate);
    const running = second.jobs.run(second.repo.unfinished()[0]!, true);
    await until(() => waiting > 0); // the job waits on the gate instead of failing on VAULT_MISSING
    expect(router.calls).toEqual([]);
    expect(second.repo.get(row.seq)).toMatchObject({ state: 'report', router_done: 0, error_code: null });
    unlocked = true;
    gate.notify();
    await running;
    expect(second.repo.get(row.seq)).toMatchObject({ state: 'reported', router_done: 1 });
    expect(resultCalls()).toEqual([URN]);
    await second.engine.close();
    second.db.close();
  });

  it('tells the router of a failure it has not heard, after a restart', async () => {
    const first = app();
    const row = received(first.repo, { state: 'failed', error_code: 'MODEL_FAILED', error_message: 'The model could not answer (MODEL_FAILED).', router_done: 0, finished_ms: Date.now() });
    await first.engine.close();
    first.db.close();

    router.answer = () => ({ status: 200, body: { job_id: JOB, state: 'failed' } });
    const second = app();
    await second.jobs.run(second.repo.unfinished()[0]!, true);
    expect(second.repo.get(row.seq)).toMatchObject({ state: 'failed', error_code: 'MODEL_FAILED', router_done: 1 });
    const fail = router.calls.filter((c) => c.path.endsWith('/fail'));
    expect(fail.map((c) => JSON.parse(c.body) as unknown)).toEqual([{ code: 'MODEL_FAILED', message: 'The model could not answer (MODEL_FAILED).' }]);
    await second.engine.close();
    second.db.close();
  });

  it('a job found mid-work checks its lease first, and ends without the input when another miner holds it (a router without the job-state call)', async () => {
    const first = app();
    const row = received(first.repo, { state: 'run', key_ms: 4, decrypt_ms: 1 });
    await first.engine.close();
    first.db.close();

    router.answer = (path) =>
      path === STATE_PATH
        ? { status: 404, body: { error: { code: 'NOT_FOUND', message: 'No such endpoint.' } } }
        : path.endsWith('/lease')
          ? { status: 409, body: { error: { code: 'LEASE_LOST', message: 'held by another miner' } } }
          : { status: 500, body: {} };
    const second = app();
    await second.jobs.run(second.repo.unfinished()[0]!, true);
    expect(second.repo.get(row.seq)).toMatchObject({ state: 'failed', error_code: 'LEASE_LOST', router_done: 1 });
    expect(router.calls.map((c) => c.path)).toEqual([STATE_PATH, `/api/v2/miner/jobs/${JOB}/lease`]);
    expect(second.modelCalls).toEqual([]);
    await second.engine.close();
    second.db.close();
  });

  it('a job whose report the router took before the kill is recorded reported at restart, even past its deadline, and not reported again', async () => {
    const first = app();
    const row = received(first.repo, { state: 'report', result_urn: URN, upload_ms: 3 });
    // The app was down past the job's deadline (the completion's caller had its answer long ago).
    first.db.prepare('UPDATE inference_jobs SET deadline = ? WHERE seq = ?').run(new Date(Date.now() - 5_000).toISOString(), row.seq);
    await first.engine.close();
    first.db.close();

    router.answer = (path) => (path === STATE_PATH ? stateOf('done', true, URN) : { status: 500, body: {} });
    const second = app();
    await second.jobs.run(second.repo.unfinished()[0]!, true);
    expect(second.repo.get(row.seq)).toMatchObject({ state: 'reported', router_done: 1, result_urn: URN, error_code: null });
    expect(router.calls.map((c) => c.path)).toEqual([STATE_PATH]);
    expect(resultCalls()).toEqual([]);
    await second.engine.close();
    second.db.close();
  });

  it('a result uploaded under its recorded URN before the kill is found at restart and reported: nothing computed or uploaded again', async () => {
    const UPLOADED = 'urn:cts:payload:v2:101:5a5a5a5a-1111-4222-8333-444455556666';
    const first = app();
    const row = received(first.repo, { state: 'upload', upload_urn: UPLOADED, encrypt_ms: 1 });
    await first.engine.close();
    first.db.close();

    router.answer = (path, method) =>
      path === STATE_PATH
        ? stateOf('leased', true)
        : path.endsWith('/lease')
          ? lease()
          : method === 'GET' && path === `/api/v2/offchain/${encodeURIComponent(UPLOADED)}`
            ? { status: 200, body: {} }
            : path.endsWith('/result')
              ? { status: 200, body: { job_id: JOB, state: 'done' } }
              : { status: 500, body: {} };
    const second = app();
    await second.jobs.run(second.repo.unfinished()[0]!, true);
    expect(second.repo.get(row.seq)).toMatchObject({ state: 'reported', router_done: 1, result_urn: UPLOADED });
    expect(resultCalls()).toEqual([UPLOADED]);
    expect(router.calls.filter((c) => c.method === 'PUT')).toEqual([]);
    expect(second.modelCalls).toEqual([]);
    await second.engine.close();
    second.db.close();
  });
});
