/**
 * Private inference benchmark: Minerva's job loop (`minerva serve`, its own process, its SQLite
 * state machine, events, the competition's model container) against a baseline miner in the same
 * run (tests/bench/_inference-baseline.ts, also its own process) that makes the same router calls —
 * long poll, GET input, key (cached), decrypt, the same model container, encrypt, PUT, report —
 * with no app around them.
 *
 * Model: the text-ngram demo bundle in a locked-down Docker container for both (the app builds
 * and runs it as the competition's model; the baseline starts the same image through
 * core/runtime's ModelContainer). Both call `infer` with `{...params, prompt}`; the completions ask
 * for 2 tokens (`params.maxTokens`), so the model's own time is small and the loop around it shows.
 *
 * Both are measured the same way, by the practice router (in this process): per job, from the
 * lease (poll receipt) to the accepted result report; throughput = jobs / (last report − first
 * lease). Each run queues all its completions at once, after a warm-up, at concurrency 1, 8 and 32
 * (the app's own limit is 16 per competition: at 32 it runs 16 while the baseline runs 32).
 * Baseline and app alternate level by level, round by round; the ratio of each round's pair is
 * summarised as median, IQR and range (tests/bench/_rounds.ts), and the bench fails when it is too
 * noisy to judge.
 *
 * Run: `npm run bench -- inference` (needs Docker). Ends with
 * `inference: throughput at concurrency 8 = <ratio>x baseline (target >= 0.8x; p50 overhead <= 5 ms above baseline)`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundleImage, readBundle } from '@core/runtime/bundle';
import { connectEngine } from '@core/runtime/engine';
import { startPracticeNetwork } from '@devnet/index';
import { practiceApiToken } from '@devnet/router/router-config';
import { evmAddressOf } from '@shared/protocol/eip191';
import { toHex } from '@shared/protocol/encoding';
import { judge, machine, showSpread, spread } from './_rounds';
import { appTable, COMPETITION, createWalletAndJoin, makePrompts, PASSWORD, pool, removeOurContainers, SESSION, startUnlocked, stopApp } from '../integration/inference-soak/harness';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODEL_DIR = join(ROOT, 'resources', 'models', 'text-ngram');
const JOBS = Number(process.env.BENCH_INFERENCE_JOBS ?? 200);
const WARMUP = 20;
const ROUNDS = Number(process.env.BENCH_INFERENCE_ROUNDS ?? process.env.BENCH_ROUNDS ?? 3);
const POLL_WAIT_S = 1;
const LEVELS = [1, 8, 32];
/** inference.setConcurrency's upper bound (src-shared/contract/inference.ts). */
const APP_MAX_CONCURRENCY = 16;
/** Two tokens per answer: the model's own time stays small, so what is measured is the job loop around it. */
const MODEL_PARAMS = { maxTokens: 2 };

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

interface Figures {
  jobsPerS: number;
  p50: number;
  p99: number;
  mean: number;
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const engine = connectEngine();
  const status = await engine.probe();
  if (status.state !== 'running') {
    console.error(`inference bench: Docker Engine not available (${status.state}). ${status.problem ?? ''} ${status.fix ?? ''}`);
    process.exit(1);
  }
  const image = await buildBundleImage(engine.docker, await readBundle(MODEL_DIR));
  console.log(`engine ${status.version}, ${status.cpus} CPUs; node ${process.versions.node}; model ${image.reference}; ${JOBS} jobs per run after ${WARMUP} warm-up`);

  const dataDir = mkdtempSync(join(tmpdir(), 'minerva-bench-inference-'));
  const baselineKey = randomBytes(32);
  const baselineAddress = evmAddressOf(baselineKey);
  const leased = new Map<string, number>();
  const reported = new Map<string, number>();
  const log = {
    info(msg: string, fields?: Record<string, unknown>) {
      if (msg === 'job leased') leased.set(String(fields?.job), now());
      else if (msg === 'job reported') reported.set(String(fields?.job), now());
    },
    warn() {},
    error() {},
  };
  const network = await startPracticeNetwork({
    dataDir,
    parties: ['chain', 'hub', 'router', 'validator', 'coordinator'],
    blockTimeMs: 1000,
    log,
    // The baseline miner is allowed by the list; the app by the chain, after it joins (§2.9).
    router: { env: { ENCRYPTION_ALLOWED_LIST: baselineAddress } },
  });
  const routerUrl = network.endpoints.router!;
  const token = practiceApiToken(dataDir);
  const router = network.router!;

  /** Sends the prompts at once; returns the router job ids of the answered ones. */
  const send = async (prompts: string[]): Promise<string[]> => {
    const tasks = await pool(prompts, prompts.length, async (prompt) => {
      const res = await fetch(`${routerUrl}/api/v2/completion`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: SESSION, prompt, params: MODEL_PARAMS, timeout_s: 300 }),
      });
      const json = (await res.json()) as { task_id?: number; error?: { code: string } };
      if (res.status !== 200) throw new Error(`completion answered ${res.status} ${json.error?.code}`);
      return json.task_id!;
    });
    return tasks.map((t) => router.repository.jobByTask(SESSION, t)!.job_id);
  };
  const figures = (jobIds: string[]): Figures => {
    const spans = jobIds.map((id) => reported.get(id)! - leased.get(id)!).sort((a, b) => a - b);
    const first = Math.min(...jobIds.map((id) => leased.get(id)!));
    const last = Math.max(...jobIds.map((id) => reported.get(id)!));
    return { jobsPerS: jobIds.length / ((last - first) / 1000), p50: pct(spans, 50), p99: pct(spans, 99), mean: spans.reduce((a, b) => a + b, 0) / spans.length };
  };

  const runBaseline = async (c: number, round: number): Promise<Figures> => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests', 'bench', '_inference-baseline.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.tests.json'),
        BENCH_ROUTER_URL: routerUrl,
        BENCH_EOA_KEY: toHex(baselineKey),
        BENCH_IMAGE_ID: image.imageId,
        BENCH_SCOPE: `bench-inference-${process.pid}`,
        BENCH_CONCURRENCY: String(c),
        BENCH_JOBS: String(WARMUP + JOBS),
        BENCH_POLL_WAIT_S: String(POLL_WAIT_S),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)));
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await ready;
    await send(makePrompts(round * 100 + c * 10 + 1, WARMUP, `bw${round}${c}`));
    const ids = await send(makePrompts(round * 100 + c * 10 + 2, JOBS, `bm${round}${c}`));
    await exited;
    return figures(ids);
  };

  const runs: { c: number; round: number; who: 'baseline' | 'app'; figures: Figures }[] = [];
  const steps: Record<string, number[]> = {};
  try {
    // The app: one wallet, joined. Its worker is paused (wallet locked) while the baseline runs,
    // so the two alternate under the same background load.
    await createWalletAndJoin(dataDir);
    const { serve, rpc } = await startUnlocked(dataDir, { MINERVA_INFERENCE_POLL_WAIT_S: String(POLL_WAIT_S) });
    const appIds: string[] = [];
    try {
      for (let round = 1; round <= ROUNDS; round += 1) {
        for (const c of LEVELS) {
          await rpc.call('vault.lock', {});
          // A poll in flight at the lock returns within POLL_WAIT_S; nothing is leased to the app after it.
          await new Promise((r) => setTimeout(r, POLL_WAIT_S * 1000 + 500));
          runs.push({ c, round, who: 'baseline', figures: await runBaseline(c, round) });
          await rpc.call('vault.unlock', { password: PASSWORD });
          await rpc.call('inference.setConcurrency', { competitionId: COMPETITION, concurrency: Math.min(c, APP_MAX_CONCURRENCY) });
          await send(makePrompts(round * 100 + c * 10 + 3, WARMUP, `aw${round}${c}`));
          const ids = await send(makePrompts(round * 100 + c * 10 + 4, JOBS, `am${round}${c}`));
          appIds.push(...ids);
          runs.push({ c, round, who: 'app', figures: figures(ids) });
        }
      }
    } finally {
      rpc.close();
      if (!(await stopApp(serve))) console.log('note: minerva serve did not exit within 20 s of SIGTERM (killed)');
    }
    // Where the app's time goes, from its own jobs table (ms per step, medians).
    const wanted = new Set(appIds);
    const rows = appTable(dataDir, 'SELECT job_id, key_ms, decrypt_ms, run_ms, encrypt_ms, upload_ms, report_ms, total_ms FROM inference_jobs').filter((r) => wanted.has(String(r.job_id)));
    for (const col of ['key_ms', 'decrypt_ms', 'run_ms', 'encrypt_ms', 'upload_ms', 'report_ms', 'total_ms']) steps[col] = rows.map((r) => Number(r[col] ?? 0)).sort((a, b) => a - b);
  } finally {
    await removeOurContainers();
    await network.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  console.log('\nevery run:');
  for (const r of runs) console.log(`  round ${r.round} c=${r.c} ${r.who.padEnd(8)} ${r.figures.jobsPerS.toFixed(2)} jobs/s, p50 ${r.figures.p50.toFixed(2)} ms, p99 ${r.figures.p99.toFixed(2)} ms`);
  console.log(`app steps, median ms: ${Object.entries(steps).map(([k, v]) => `${k.replace('_ms', '')} ${pct(v, 50)}`).join(', ')}`);

  // Per level: each round's app run against the baseline run just before it.
  const pairs = (c: number): { baseline: Figures; app: Figures }[] =>
    Array.from({ length: ROUNDS }, (_, i) => ({ baseline: runs.find((r) => r.c === c && r.round === i + 1 && r.who === 'baseline')!.figures, app: runs.find((r) => r.c === c && r.round === i + 1 && r.who === 'app')!.figures }));
  console.log(`\nper job, poll receipt (lease) -> result reported, as the router sees it; ${machine()}`);
  const throughput = new Map<number, number[]>();
  for (const c of LEVELS) {
    const p = pairs(c);
    throughput.set(c, p.map((x) => x.app.jobsPerS / x.baseline.jobsPerS));
    const appNote = c > APP_MAX_CONCURRENCY ? ` (the app runs at most ${APP_MAX_CONCURRENCY} at once)` : '';
    console.log(`  concurrency ${c}${appNote}:`);
    console.log(`    baseline jobs/s ${showSpread(spread(p.map((x) => x.baseline.jobsPerS)))}, p50 ${showSpread(spread(p.map((x) => x.baseline.p50)), 1, ' ms')}`);
    console.log(`    app      jobs/s ${showSpread(spread(p.map((x) => x.app.jobsPerS)))}, p50 ${showSpread(spread(p.map((x) => x.app.p50)), 1, ' ms')}`);
    console.log(`    throughput ratio ${showSpread(spread(throughput.get(c)!))}; p50 overhead ${showSpread(spread(p.map((x) => x.app.p50 - x.baseline.p50)), 2, ' ms')}`);
  }
  const overhead = (c: number): number => spread(pairs(c).map((x) => x.app.p50 - x.baseline.p50)).median;
  judge({
    bench: 'inference',
    figure: 'throughput at concurrency 8',
    ratios: throughput.get(8)!,
    target: '>= 0.8x; p50 overhead <= 5 ms above baseline',
    meets: (m) => m >= 0.8 && overhead(1) <= 5 && overhead(8) <= 5,
    also: `at 1 = ${spread(throughput.get(1)!).median.toFixed(2)}x, at 32 = ${spread(throughput.get(32)!).median.toFixed(2)}x; p50 overhead ${overhead(1).toFixed(2)} ms (c=1), ${overhead(8).toFixed(2)} ms (c=8)`,
  });
}

await main();
