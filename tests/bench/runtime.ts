/**
 * Runtime benchmark: the cost of running a model in a locked-down container and talking to it
 * over the attached-stdio JSON-lines channel, against the same model called in-process in the
 * same run (the baseline).
 *
 * - cold start: create + attach + start + first `health` answered (median of 5);
 * - warm round trip: 1,000 `infer` calls of the demo text model (text-ngram, 8 tokens each),
 *   p50/p99, through the container and in-process (direct call; also JSON-encoded both ways, to
 *   show what serialisation alone costs).
 *
 * Run: `npx tsx tests/bench/runtime.ts` (needs a running Docker Engine). Ends with one line:
 * `runtime: warm p50 overhead <x> ms = <ratio>x baseline (target overhead <= 2 ms)`.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundleImage, readBundle } from '@core/runtime/bundle';
import { currentOwner } from '@core/runtime/container-spec';
import { connectEngine } from '@core/runtime/engine';
import { listManagedContainers, removeManagedContainer } from '@core/runtime/managed';
import { ModelContainer } from '@core/runtime/model-container';
import { LABEL } from '@core/runtime/types';
import { alternate, judge, machine, roundsFromEnv, showSpread, spread } from './_rounds';

const CALLS = 1000;
const COLD_RUNS = 5;
const ROUNDS = roundsFromEnv(10);
const MODEL_DIR = fileURLToPath(new URL('../../resources/models/text-ngram/', import.meta.url));

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (x: number) => x.toFixed(3);
const stats = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const paramsFor = (i: number) => ({ prompt: 'The keeper climbed the stairs', maxTokens: 8, seed: i });

async function main(): Promise<void> {
  const engine = connectEngine();
  const status = await engine.probe();
  if (status.state !== 'running') {
    console.error(`runtime bench: Docker Engine not available (${status.state}). ${status.problem ?? ''} ${status.fix ?? ''}`);
    process.exit(1);
  }
  const docker = engine.docker;
  const scope = `bench-${randomUUID().slice(0, 12)}`;
  const owner = currentOwner(scope, randomUUID());
  console.log(`engine ${status.version} (API ${status.apiVersion}), ${status.cpus} CPUs; node ${process.versions.node}`);

  try {
    let t = now();
    const image = await buildBundleImage(docker, await readBundle(MODEL_DIR));
    console.log(`image ${image.reference} ready in ${(now() - t).toFixed(0)} ms (cached layers reused when unchanged)`);

    const make = () =>
      new ModelContainer({ docker, spec: { imageId: image.imageId, owner, role: { job: 'bench' } }, redact: (s) => s, healthIntervalMs: 0, callTimeoutMs: 10_000 });

    // Cold start
    const cold: number[] = [];
    for (let i = 0; i < COLD_RUNS; i += 1) {
      const m = make();
      t = now();
      await m.start();
      cold.push(now() - t);
      await m.stop();
    }
    const coldStats = stats(cold);
    console.log(`cold start (create+attach+start+health, incl. trigram training at start-up): median ${coldStats.p50.toFixed(0)} ms over ${COLD_RUNS}`);

    // Warm: the container and the same model in-process (direct; and JSON-encoded both ways, to
    // show what serialisation alone costs), alternating blocks of calls round by round.
    const model = make();
    await model.start();
    const require = createRequire(import.meta.url);
    const local = (require(join(MODEL_DIR, 'model.cjs')) as { createModel(o: unknown): { infer(p: unknown): unknown } }).createModel({ dir: MODEL_DIR });
    for (let i = 0; i < 100; i += 1) {
      await model.call('infer', paramsFor(i)); // warm-up
      local.infer(paramsFor(i));
    }
    const remote: number[] = [];
    const direct: number[] = [];
    const json: number[] = [];
    const block = Math.ceil(CALLS / ROUNDS);
    const { baseline: directP50, app: remoteP50 } = await alternate({
      rounds: ROUNDS,
      baseline: () => {
        const mine: number[] = [];
        for (let i = 0; i < block; i += 1) {
          t = now();
          local.infer(paramsFor(i));
          mine.push(now() - t);
          t = now();
          const req = JSON.parse(JSON.stringify({ id: i, method: 'infer', params: paramsFor(i) })) as { params: unknown };
          JSON.parse(JSON.stringify({ id: i, result: local.infer(req.params) }));
          json.push(now() - t);
        }
        direct.push(...mine);
        return stats(mine).p50;
      },
      app: async () => {
        const mine: number[] = [];
        for (let i = 0; i < block; i += 1) {
          t = now();
          await model.call('infer', paramsFor(i));
          mine.push(now() - t);
        }
        remote.push(...mine);
        return stats(mine).p50;
      },
    });
    await model.stop();

    const r = stats(remote);
    const d = stats(direct);
    const j = stats(json);
    console.log(`warm infer, ${ROUNDS} rounds of ${block} calls each, alternating; ${machine()}:  p50      p99     mean (ms)`);
    console.log(`  container (stdio channel)   ${ms(r.p50).padStart(8)} ${ms(r.p99).padStart(8)} ${ms(r.mean).padStart(8)}`);
    console.log(`  in-process, direct call     ${ms(d.p50).padStart(8)} ${ms(d.p99).padStart(8)} ${ms(d.mean).padStart(8)}   <- baseline`);
    console.log(`  in-process, JSON both ways  ${ms(j.p50).padStart(8)} ${ms(j.p99).padStart(8)} ${ms(j.mean).padStart(8)}`);
    const overheads = remoteP50.map((x, i) => x - directP50[i]!);
    console.log(`p50 overhead per round: ${showSpread(spread(overheads), 3, ' ms')}`);
    const overhead = spread(overheads).median;
    judge({
      bench: 'runtime',
      figure: `warm p50 overhead ${overhead.toFixed(3)} ms`,
      // The noise test on the overhead itself (the in-process call is too small for a ratio to mean much).
      ratios: overheads,
      unit: ' ms',
      target: 'overhead <= 2 ms',
      meets: () => overhead <= 2,
    });
  } finally {
    for (const c of await listManagedContainers(docker, [`${LABEL.scope}=${scope}`])) await removeManagedContainer(docker, c.id, { stopTimeoutS: 0 });
  }
}

await main();
