/**
 * kill -9 `minerva serve` at seeded random points while it answers private-inference jobs, start
 * it again, and check at the end that nothing was lost or done twice:
 *
 * - every completion sent to the router's `POST /api/v2/completion` answered 200, once, with what
 *   the text model computes for its prompt;
 * - the router's SQLite: one job per completion, each `done` with one result URN; no job withdrawn,
 *   failed or left open; no result report refused as `ALREADY_REPORTED` (a second, different
 *   result) — a repeated report of the same URN is the idempotent retry §2.6 allows;
 * - no orphaned result upload: a result goes up under a URN the app recorded first, so one uploaded
 *   when the process died is found at the next start and reported, never computed and stored again;
 * - the app's jobs table: exactly one row per router job, `reported`, with the router's result URN.
 *
 * The practice network runs in this test's process (it survives the kills); a recording proxy
 * (the fault proxy at rate 0) stands between the app and the router so every call is seen.
 * `npm test`: one trial of 60 jobs with 2 kills. `npm run test:soak` (MINERVA_SOAK=1): 3 trials of
 * 200 jobs with 4 kills each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../helpers/fault-proxy';
import type { ServeHandle } from '../../helpers/serve-process';
import { tempDataDir } from '../../helpers/serve-process';
import type { WsRpc } from '../../helpers/ws-rpc';
import { appTable, complete, COMPETITION, createWalletAndJoin, expectedOutput, kill9, makePrompts, routerJobs, startSoakNetwork, startUnlocked, stopApp, type CompletionReply, type SoakNetwork } from './harness';

const SOAK = Boolean(process.env.MINERVA_SOAK);
const TRIALS = SOAK ? 3 : 1;
const JOBS = SOAK ? 200 : 60;
const KILLS = SOAK ? 4 : 2;
const CONCURRENCY = 4;
const SEED = Number(process.env.MINERVA_SOAK_SEED ?? 20261124);
/** Short leases so that a job leased to a killed app returns to the queue soon. */
const LEASE_MS = 4000;

let dataDir: string;
let net: SoakNetwork;

beforeAll(async () => {
  dataDir = tempDataDir('minerva-inference-crash-');
  net = await startSoakNetwork({ dataDir, leaseMs: LEASE_MS });
  await createWalletAndJoin(dataDir);
});

afterAll(async () => {
  await net?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Jobs of the router created at or after `sinceMs`, by state. */
function finishedSince(sinceMs: number): number {
  return routerJobs(dataDir).filter((j) => j.created_at >= sinceMs && j.state === 'done').length;
}

async function startApp(): Promise<{ serve: ServeHandle; rpc: WsRpc }> {
  // Renew well within the short lease.
  const app = await startUnlocked(dataDir, { MINERVA_INFERENCE_LEASE_RENEW_MS: String(LEASE_MS / 3) });
  await app.rpc.call('inference.setConcurrency', { competitionId: COMPETITION, concurrency: CONCURRENCY });
  return app;
}

describe('private inference survives kill -9', () => {
  for (let trial = 1; trial <= TRIALS; trial += 1) {
    it(`trial ${trial}: ${JOBS} jobs, ${KILLS} kills — each answered once, right, reported once`, { timeout: SOAK ? 900_000 : 150_000 }, async () => {
      const random = seededRandom(SEED + trial);
      const prompts = makePrompts(SEED + trial, JOBS, `c${trial}`);
      // Kill points: after k jobs are done at the router, plus a few ms to land inside a step.
      const points = Array.from({ length: KILLS }, () => Math.floor(random() * (JOBS - 10)) + 3).sort((a, b) => a - b);
      const delays = points.map(() => Math.floor(random() * 40));
      const downMs = points.map(() => Math.floor(random() * 1500));
      const since = Date.now();
      const recordsBefore = net.proxy.records().length;

      let app = await startApp();
      let settled = 0;
      const replies: Promise<CompletionReply>[] = prompts.map((p) => complete(net, p).finally(() => (settled += 1)));
      const killedWhile: string[] = [];
      for (let i = 0; i < points.length; i += 1) {
        const until = Date.now() + 90_000;
        while (finishedSince(since) < points[i]! && Date.now() < until) await sleep(5);
        await sleep(delays[i]!);
        const open = appTable(dataDir, "SELECT state FROM inference_jobs WHERE router_done = 0 AND received_ms >= ?", since).map((r) => String(r.state));
        killedWhile.push(open.join(',') || 'idle');
        app.rpc.close();
        await kill9(app.serve);
        await sleep(downMs[i]!);
        app = await startApp();
      }
      // Progress on stderr (a stuck trial shows where it stands before its timeout).
      const progress = setInterval(() => {
        const states: Record<string, number> = {};
        for (const j of routerJobs(dataDir).filter((x) => x.created_at >= since)) states[j.state] = (states[j.state] ?? 0) + 1;
        process.stderr.write(`crash trial ${trial}: ${settled}/${JOBS} answered; router jobs ${JSON.stringify(states)}\n`);
      }, 15_000);
      const answers = await Promise.all(replies).finally(() => clearInterval(progress));
      app.rpc.close();
      const exitedCleanly = await stopApp(app.serve);
      console.log(`trial ${trial}: killed after ${points.join(', ')} done jobs; states in flight at each kill: ${killedWhile.map((s) => `[${s}]`).join(' ')}`);

      // 1. Every completion answered once, with what the model computes for its prompt.
      for (const [i, a] of answers.entries()) {
        expect(a.status, `completion ${i}: ${a.transportError ?? JSON.stringify(a.json.error)}`).toBe(200);
        expect(a.json.output).toEqual(expectedOutput(prompts[i]!));
      }
      const taskIds = answers.map((a) => a.json.task_id!);
      expect(new Set(taskIds).size).toBe(JOBS);

      // 2. The router: one job per completion, all done, none withdrawn, failed or open.
      const jobs = routerJobs(dataDir).filter((j) => j.created_at >= since);
      expect(jobs).toHaveLength(JOBS);
      expect(jobs.filter((j) => j.state !== 'done').map((j) => `${j.task_id}:${j.state}`)).toEqual([]);
      expect(new Set(jobs.map((j) => j.task_id))).toEqual(new Set(taskIds));
      const byId = new Map(jobs.map((j) => [j.job_id, j]));

      // 3. What the app sent: no second, different result for any job; orphaned uploads bounded.
      const calls = net.proxy.records().slice(recordsBefore);
      const reports = calls.filter((c) => c.method === 'POST' && /\/api\/v2\/miner\/jobs\/[^/]+\/result$/.test(c.path));
      expect(reports.filter((c) => c.upstreamCode === 'ALREADY_REPORTED' || c.upstreamCode === 'LEASE_LOST')).toEqual([]);
      const reportedIds = new Set(reports.filter((c) => c.upstreamStatus === 200).map((c) => c.path.split('/')[5]!));
      expect([...byId.keys()].filter((id) => !reportedIds.has(id))).toEqual([]);
      // Results go up under a URN the app recorded first; the same URN again is 200, not a new payload.
      const puts = calls.filter((c) => c.method === 'PUT' && c.path.startsWith('/api/v2/offchain') && c.upstreamStatus === 201).length;
      const repeatedReports = reports.length - reportedIds.size;
      console.log(`trial ${trial}: ${reports.length} result reports for ${JOBS} jobs (${repeatedReports} idempotent repeats), ${puts} result uploads (${puts - JOBS} orphaned by the kills)`);
      expect(puts - JOBS, 'results stored at the router but never reported (orphans)').toBe(0);

      // 4. The app's jobs table: exactly one row per router job, reported, with the router's result URN.
      const rows = appTable(dataDir, 'SELECT job_id, state, result_urn, router_done FROM inference_jobs WHERE received_ms >= ?', since - 1000);
      const rowsByJob = new Map<string, Record<string, unknown>[]>();
      for (const r of rows) rowsByJob.set(String(r.job_id), [...(rowsByJob.get(String(r.job_id)) ?? []), r]);
      for (const [jobId, job] of byId) {
        const mine = rowsByJob.get(jobId) ?? [];
        expect(mine, `app rows for task ${job.task_id}`).toHaveLength(1);
        expect(mine[0]).toMatchObject({ state: 'reported', result_urn: job.result_urn, router_done: 1 });
      }
      expect(rows.filter((r) => !byId.has(String(r.job_id)))).toEqual([]);

      // 5. The last app stops when asked.
      expect(exitedCleanly, 'minerva serve exits within 20 s of SIGTERM').toBe(true);
    });
  }
});
