/**
 * Router faults: the app reaches the router only through the fault proxy, which answers 5xx,
 * hangs until the app gives up, or resets the connection on 20% of the calls — before the router
 * sees the call, or after it acted (a job leased, a result stored, a report accepted) with the
 * answer lost. Every job must still end reported with the right output, none lost, none reported
 * twice with different results, and the app's jobs table must hold one reported row per job.
 *
 * How the proxy gets in between: the app learns the router's address from the hub's catalogue,
 * which reads it from the practice network's state file; the harness records the proxy there
 * (see harness.ts). `npm test`: 60 jobs. `npm run test:soak`: 200 jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceStatus } from '@shared/contract/inference';
import type { FaultProxyOptions } from '../../helpers/fault-proxy';
import { tempDataDir } from '../../helpers/serve-process';
import { appTable, complete, COMPETITION, createWalletAndJoin, expectedOutput, makePrompts, routerJobs, startSoakNetwork, startUnlocked, stopApp, type SoakNetwork } from './harness';

const SOAK = Boolean(process.env.MINERVA_SOAK);
const JOBS = SOAK ? 200 : 60;
const CONCURRENCY = 4;
const SEED = Number(process.env.MINERVA_SOAK_SEED ?? 7);

/** Renewals well within the 4 s lease; a hung call given up after 3 s (MINERVA_INFERENCE_CALL_TIMEOUT_MS) so hangs cost seconds, not tens of seconds. */
const APP_ENV = { MINERVA_INFERENCE_LEASE_RENEW_MS: '1300', MINERVA_INFERENCE_CALL_TIMEOUT_MS: '3000' };

let dataDir: string;
let net: SoakNetwork;
/** Scripted faults for the test that needs a precise sequence (see FaultProxyOptions.script). */
let script: FaultProxyOptions['script'];

beforeAll(async () => {
  dataDir = tempDataDir('minerva-inference-faults-');
  net = await startSoakNetwork({ dataDir, leaseMs: 4000, proxy: { seed: SEED, rate: 0, script: (c) => script?.(c) } });
  await createWalletAndJoin(dataDir);
});

afterAll(async () => {
  await net?.stop();
});

describe('router faults', () => {
  it('a report the router accepted but whose answer was lost still ends reported, even when a lease renewal hears ALREADY_REPORTED meanwhile', async () => {
    // The first report reaches the router and its answer is reset; the next three retries get 5xx,
    // so the app's lease renewals (every 1.3 s here) run while the router already holds the result.
    script = ({ method, path, nth }) => (method === 'POST' && path.endsWith('/result') ? (nth === 0 ? 'reset:after' : nth <= 3 ? '5xx:before' : undefined) : undefined);
    const since = Date.now();
    const { serve, rpc } = await startUnlocked(dataDir, APP_ENV);
    try {
      const prompt = makePrompts(SEED + 1, 1, 'lost')[0]!;
      const answer = await complete(net, prompt, 120);
      expect(answer.status, JSON.stringify(answer.json.error)).toBe(200);
      expect(answer.json.output).toEqual(expectedOutput(prompt));
      const [job] = routerJobs(dataDir).filter((j) => j.created_at >= since);
      const until = Date.now() + 30_000;
      const row = (): Record<string, unknown> | undefined => appTable(dataDir, 'SELECT state, result_urn, router_done, error_code FROM inference_jobs WHERE job_id = ?', job!.job_id)[0];
      while (row()?.router_done !== 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      const calls = net.proxy
        .records()
        .filter((c) => c.path.includes(job!.job_id))
        .map((c) => `${c.path.split('/').pop()}:${c.upstreamStatus ?? '-'}${c.upstreamCode ? `/${c.upstreamCode}` : ''}${c.fault ? `(${c.fault})` : ''}`);
      expect(row(), `the job's calls: ${calls.join(' ')}`).toMatchObject({ state: 'reported', result_urn: job!.result_urn, router_done: 1, error_code: null });
    } finally {
      script = undefined;
      rpc.close();
      await stopApp(serve);
    }
  });

  it(`on 20% of calls: ${JOBS} jobs through 5xx, hangs and resets, all reported once, none lost`, { timeout: SOAK ? 900_000 : 170_000 }, async () => {
    const progress = setInterval(() => {
      const states: Record<string, number> = {};
      for (const j of routerJobs(dataDir).filter((x) => x.created_at >= since)) states[j.state] = (states[j.state] ?? 0) + 1;
      const open = appTable(dataDir, 'SELECT state, COUNT(*) AS n FROM inference_jobs WHERE router_done = 0 GROUP BY state');
      process.stderr.write(`faults: router jobs ${JSON.stringify(states)}; proxy ${JSON.stringify(net.proxy.counts().faults)}; app open ${open.map((r) => `${String(r.state)}:${String(r.n)}`).join(',')}\n`);
    }, 15_000);
    const since = Date.now();
    const { serve, rpc } = await startUnlocked(dataDir, APP_ENV);
    const states = new Set<string>();
    const watching = rpc.waitFor<InferenceStatus>(
      'inference.statusChanged',
      (s) => {
        for (const w of s.workers) states.add(w.state);
        return false;
      },
      600_000,
    );
    watching.catch(() => undefined);
    await rpc.call('inference.setConcurrency', { competitionId: COMPETITION, concurrency: CONCURRENCY });
    net.proxy.setRate(0.2);
    const prompts = makePrompts(SEED, JOBS, 'f');
    const answers = await Promise.all(prompts.map((p) => complete(net, p, 400)));
    net.proxy.setRate(0);
    clearInterval(progress);

    // The app's table settles once the last report's answer got through (or was retried).
    const until = Date.now() + 60_000;
    const open = (): number => appTable(dataDir, 'SELECT COUNT(*) AS n FROM inference_jobs WHERE router_done = 0 AND received_ms >= ?', since - 1000)[0]?.n as number;
    while (open() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    rpc.close();
    const exitedCleanly = await stopApp(serve);

    const counts = net.proxy.counts();
    console.log(`faults: ${JSON.stringify(counts.faults)} over ${counts.calls} calls; worker states seen: ${[...states].join(', ')}; by path: ${JSON.stringify(counts.byPath)}`);
    expect(counts.faults['5xx:before'] + counts.faults['5xx:after']).toBeGreaterThan(0);
    expect(counts.faults['timeout:before'] + counts.faults['timeout:after']).toBeGreaterThan(0);
    expect(counts.faults['reset:before'] + counts.faults['reset:after']).toBeGreaterThan(0);

    for (const [i, a] of answers.entries()) {
      expect(a.status, `completion ${i}: ${a.transportError ?? JSON.stringify(a.json.error)}`).toBe(200);
      expect(a.json.output).toEqual(expectedOutput(prompts[i]!));
    }
    const jobs = routerJobs(dataDir).filter((j) => j.created_at >= since);
    expect(jobs).toHaveLength(JOBS);
    expect(jobs.filter((j) => j.state !== 'done').map((j) => `${j.task_id}:${j.state}`)).toEqual([]);

    const reports = net.proxy.records().filter((c) => c.method === 'POST' && /\/result$/.test(c.path));
    expect(reports.filter((c) => c.upstreamCode === 'ALREADY_REPORTED' || c.upstreamCode === 'LEASE_LOST')).toEqual([]);

    const rows = appTable(dataDir, 'SELECT job_id, state, result_urn, router_done, error_code, error_message FROM inference_jobs WHERE received_ms >= ?', since - 1000);
    for (const job of jobs) {
      const mine = rows.filter((r) => r.job_id === job.job_id);
      expect(mine, `app rows for task ${job.task_id}`).toHaveLength(1);
      const calls = net.proxy
        .records()
        .filter((c) => c.path.includes(job.job_id))
        .map((c) => `${c.path.split('/').pop()}:${c.upstreamStatus ?? '-'}${c.upstreamCode ? `/${c.upstreamCode}` : ''}${c.fault ? `(${c.fault})` : ''}`);
      expect(mine[0], `task ${job.task_id}: ${String(mine[0]?.error_code)} ${String(mine[0]?.error_message)}; its calls: ${calls.join(' ')}`).toMatchObject({ state: 'reported', result_urn: job.result_urn, router_done: 1 });
    }
    expect(rows).toHaveLength(JOBS);
    expect(exitedCleanly, 'minerva serve exits within 20 s of SIGTERM').toBe(true);
  });
});
