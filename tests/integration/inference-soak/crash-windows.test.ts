/**
 * The three crash windows of issue 19, part 4, each hit exactly: the recording proxy between the
 * app and the router lets one chosen call reach the router and holds the router's answer
 * (`timeout:after`), the test waits until the router has acted on it, then kill -9s
 * `minerva serve` and starts it again on the same data folder. Asserted on state, not on timing:
 *
 * (a) killed after the router took the report, before the app recorded it, and restarted after
 *     the job's deadline: the app's row is `reported` with the router's URN (it used to end
 *     `failed DEADLINE_PASSED`), and no second report is sent;
 * (b) killed after the upload reached the router, before its URN was stored: the restart finds
 *     the upload under the URN it recorded first and reports it — the router holds exactly one
 *     result for the job (it used to compute and upload again, leaving an orphan);
 * (c) killed with a job leased in a poll whose answer never arrived: the restart asks the router
 *     for our leases and finishes the job under its first lease — with the router's default 60 s
 *     lease and a 45 s completion, the caller is answered (it used to time out, the job waiting
 *     out the lease).
 *
 * `npm test`: each window once. `npm run test:soak` (MINERVA_SOAK=1): each three times.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerDir } from '@devnet/router/router-config';
import type { FaultName } from '../../helpers/fault-proxy';
import { tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import type { WsRpc } from '../../helpers/ws-rpc';
import { appTable, complete, createWalletAndJoin, expectedOutput, kill9, routerJobs, SESSION, startSoakNetwork, startUnlocked, stopApp, type SoakNetwork } from './harness';

const ROUNDS = process.env.MINERVA_SOAK ? 3 : 1;

/** The call the proxy holds the answer of (after the router acted), or null: pass everything. */
let hold: ((method: string, path: string) => boolean) | null = null;
let dataDir: string;
let net: SoakNetwork;
let app: { serve: ServeHandle; rpc: WsRpc } | undefined;

beforeAll(async () => {
  dataDir = tempDataDir('minerva-inference-windows-');
  // The router's default lease (60 s): window (c) must not be rescued by a short one.
  net = await startSoakNetwork({ dataDir, proxy: { seed: 1, rate: 0, script: ({ method, path }): FaultName | null => (hold?.(method, path) ? 'timeout:after' : null) } });
  await createWalletAndJoin(dataDir);
  app = await startUnlocked(dataDir);
  // The model container's first start is slow: warm it before any window's clock matters.
  const warm = await complete(net, 'the keeper climbed the stairs', 240);
  expect(warm.status, JSON.stringify(warm.json.error)).toBe(200);
}, 300_000);

afterAll(async () => {
  hold = null;
  app?.rpc.close();
  if (app) await stopApp(app.serve);
  await net?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined | null | false, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until the router has answered a held call matching `match` (made after `since`), then kill -9s the app. */
async function killOnceRouterActed(since: number, match: (method: string, path: string, status: number) => boolean): Promise<string> {
  const record = await until('the router to act on the held call', () => net.proxy.records().find((r) => r.at >= since && r.upstreamStatus !== null && match(r.method, r.path, r.upstreamStatus)));
  app!.rpc.close();
  await kill9(app!.serve);
  hold = null;
  return record.path;
}

async function restart(): Promise<void> {
  app = await startUnlocked(dataDir);
}

/** Each window starts with a running app (a window that failed may have left it killed). */
async function ensureRunning(): Promise<void> {
  hold = null;
  if (app && app.serve.process.exitCode === null && app.serve.process.signalCode === null) return;
  await restart();
}

function appRow(jobId: string): Record<string, unknown> | undefined {
  return appTable(dataDir, 'SELECT * FROM inference_jobs WHERE job_id = ?', jobId)[0];
}

/** Result payloads the router stored for jobs created at or after `sinceMs`: every one not an input. */
function storedResults(sinceMs: number): string[] {
  const jobs = routerJobs(dataDir).filter((j) => j.created_at >= sinceMs);
  const inputs = new Set(jobs.map((j) => j.input_urn));
  const db = new Database(join(routerDir(dataDir), 'router.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT urn FROM payloads WHERE session_id = ? AND created_at >= ?').all(SESSION, sinceMs) as { urn: string }[];
    return rows.map((r) => r.urn).filter((u) => !inputs.has(u));
  } finally {
    db.close();
  }
}

const isReport = (method: string, path: string): boolean => method === 'POST' && /^\/api\/v2\/miner\/jobs\/[^/]+\/result$/.test(path);
const isUpload = (method: string, path: string): boolean => method === 'PUT' && path.startsWith('/api/v2/offchain');
const isPoll = (method: string, path: string): boolean => method === 'GET' && path === '/api/v2/miner/jobs';

describe('inference crash windows, each by a kill -9 at that step (issue 19, part 4)', () => {
  for (let round = 1; round <= ROUNDS; round += 1) {
    it(`(a) report taken by the router, not recorded; restart after the deadline → reported, not reported again (round ${round})`, { timeout: 180_000 }, async () => {
      await ensureRunning();
      // A restart before this one started a fresh model container: warm it before the 12 s clock.
      expect((await complete(net, 'the old lamp', 240)).status).toBe(200);
      const since = Date.now();
      hold = isReport;
      const prompt = `lamp sea night window a${round}`;
      const reply = await complete(net, prompt, 12);
      // The router took the report, so the caller has its answer; the app never heard the 200.
      expect(reply.status, JSON.stringify(reply.json.error)).toBe(200);
      expect(reply.json.output).toEqual(expectedOutput(prompt));
      const path = await killOnceRouterActed(since, (m, p, status) => isReport(m, p) && status === 200);
      const jobId = path.split('/')[5]!;
      const job = routerJobs(dataDir).find((j) => j.job_id === jobId)!;
      expect(job.state).toBe('done');
      expect(appRow(jobId)).toMatchObject({ state: 'report', router_done: 0 });
      // Down past the job's deadline: the row must not end DEADLINE_PASSED on its own clock.
      await until('the job deadline to pass', () => Date.now() > job.deadline + 500, 60_000);
      const restartedAt = Date.now();
      await restart();
      const row = await until('the row to settle', () => {
        const r = appRow(jobId);
        return r && r.router_done === 1 ? r : undefined;
      });
      expect(row).toMatchObject({ state: 'reported', result_urn: job.result_urn, error_code: null });
      const again = net.proxy.records().filter((r) => r.at >= restartedAt && isReport(r.method, r.path) && r.path.includes(jobId));
      expect(again, 'a second report after the restart').toEqual([]);
    });

    it(`(b) upload stored by the router, its URN not recorded → found at restart and reported, no orphan (round ${round})`, { timeout: 180_000 }, async () => {
      await ensureRunning();
      const since = Date.now();
      hold = isUpload;
      const prompt = `ship storm harbour window b${round}`;
      const reply = complete(net, prompt, 90);
      const path = await killOnceRouterActed(since, (m, p, status) => isUpload(m, p) && status === 201);
      const job = await until('the router job', () => routerJobs(dataDir).find((j) => j.created_at >= since));
      expect(storedResults(since)).toHaveLength(1);
      await restart();
      const answer = await reply;
      expect(answer.status, JSON.stringify(answer.json.error)).toBe(200);
      expect(answer.json.output).toEqual(expectedOutput(prompt));
      const done = await until('the router job to be done', () => routerJobs(dataDir).find((j) => j.job_id === job.job_id && j.state === 'done'));
      // The held upload is the result: the router holds one result payload for the job, and it is the reported one.
      expect(storedResults(since)).toEqual([done.result_urn]);
      expect(decodeURIComponent(path)).toBe(`/api/v2/offchain/${done.result_urn}`);
      const row = await until('the row to settle', () => {
        const r = appRow(job.job_id);
        return r && r.router_done === 1 ? r : undefined;
      });
      expect(row).toMatchObject({ state: 'reported', result_urn: done.result_urn, upload_urn: done.result_urn });
    });

    it(`(c) job leased in a poll whose answer never arrived → taken back at restart under its first lease (round ${round})`, { timeout: 180_000 }, async () => {
      await ensureRunning();
      const armed = Date.now();
      hold = isPoll;
      // The poll in flight before arming passes; wait for one made after it, so the job goes to a held poll.
      await until('a poll made after arming', () => net.proxy.records().some((r) => r.at >= armed && isPoll(r.method, r.path)), 30_000);
      const since = Date.now();
      const prompt = `old tower waves window c${round}`;
      // 45 s: less than the router's 60 s lease, so only taking the lease back answers it in time.
      const reply = complete(net, prompt, 45);
      await killOnceRouterActed(armed, (m, p, status) => isPoll(m, p) && status === 200);
      const job = await until('the leased router job', () => routerJobs(dataDir).find((j) => j.created_at >= since && j.state === 'leased'));
      expect(appRow(job.job_id)).toBeUndefined();
      await restart();
      const answer = await reply;
      expect(answer.status, JSON.stringify(answer.json.error)).toBe(200);
      expect(answer.json.output).toEqual(expectedOutput(prompt));
      const row = await until('the row to settle', () => {
        const r = appRow(job.job_id);
        return r && r.router_done === 1 ? r : undefined;
      });
      expect(row).toMatchObject({ state: 'reported', attempts: 0 });
      const leases = net.proxy.records().filter((r) => r.at >= since && r.method === 'GET' && r.path === '/api/v2/miner/leases' && r.upstreamStatus === 200);
      expect(leases.length).toBeGreaterThan(0);
    });
  }
});
