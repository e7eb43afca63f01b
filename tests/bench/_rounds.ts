/**
 * The one way every bench in this folder measures: app and baseline alternately, round after
 * round (the order swapped each round, so neither always runs first or last), a ratio per round
 * from the pair that ran side by side, and the median of those ratios printed with its spread.
 * A machine shared with other work shifts both sides of a round alike; what it cannot hide is a
 * wide spread, and then the bench says so and fails instead of printing a ratio nobody should
 * believe.
 *
 * Files starting with `_` are helpers, not benches (scripts/bench.mjs skips them).
 */
import { cpus, loadavg } from 'node:os';

export interface Spread {
  n: number;
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/** Median, quartiles (linear interpolation) and range of `xs`. */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) throw new Error('spread of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number): number => {
    const i = p * (s.length - 1);
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
  };
  return { n: s.length, median: at(0.5), q1: at(0.25), q3: at(0.75), min: s[0]!, max: s.at(-1)! };
}

/** `0.93 (IQR 0.90–0.95, range 0.85–0.99, 7 rounds)` */
export function showSpread(s: Spread, digits = 2, unit = ''): string {
  const f = (x: number): string => `${x.toFixed(digits)}${unit}`;
  return `${f(s.median)} (IQR ${f(s.q1)}–${f(s.q3)}, range ${f(s.min)}–${f(s.max)}, ${s.n} rounds)`;
}

/** `load 1.23 on 2 CPUs`: printed by every bench, since the figures mean little without it. */
export function machine(): string {
  return `load ${loadavg()[0]!.toFixed(2)} on ${cpus().length} CPUs, node ${process.versions.node}`;
}

/** Rounds from BENCH_ROUNDS, else the bench's own default. */
export function roundsFromEnv(fallback: number): number {
  const n = Number(process.env.BENCH_ROUNDS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Runs `baseline` and `app` once per round, alternately (baseline first in odd rounds, app first
 * in even ones), after `warmup` unrecorded rounds of each. Each returns its measurement (a
 * duration, a rate, a record: the caller decides).
 */
export async function alternate<T>(options: { rounds: number; warmup?: number; baseline: (round: number) => Promise<T> | T; app: (round: number) => Promise<T> | T; onRound?: (round: number, baseline: T, app: T) => void }): Promise<{ baseline: T[]; app: T[] }> {
  for (let w = 0; w < (options.warmup ?? 0); w += 1) {
    await options.baseline(-1 - w);
    await options.app(-1 - w);
  }
  const baseline: T[] = [];
  const app: T[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    let b: T;
    let a: T;
    if (round % 2 === 0) {
      b = await options.baseline(round);
      a = await options.app(round);
    } else {
      a = await options.app(round);
      b = await options.baseline(round);
    }
    baseline.push(b);
    app.push(a);
    options.onRound?.(round, b, a);
  }
  return { baseline, app };
}

export interface Verdict {
  /** The bench's name: the line starts with it (scripts/bench.mjs's contract). */
  bench: string;
  /** What the ratio is of, e.g. `sha256 1GiB throughput`. */
  figure: string;
  /** One ratio per round, app against baseline, higher is better for the app (e.g. baseline ms / app ms); or, with `unit`, one figure per round. */
  ratios: readonly number[];
  /** The target in words, e.g. `>= 1.0x`. */
  target: string;
  /** Whether the median ratio meets the target. */
  meets: (median: number) => boolean;
  /** The widest IQR, relative to the median, that still allows a verdict (default 0.25). */
  maxRelativeIqr?: number;
  /** Extra words after the target (other figures of the same bench). */
  also?: string;
  /** When the samples are not ratios but a figure with a unit (e.g. ` ms`): printed as such. */
  unit?: string;
}

/**
 * Prints the bench's last line — `<bench>: <figure> = <median>x baseline (IQR …, range …, N rounds)
 * (target …)` — and sets a failing exit code, with the reason in words, when the spread is too
 * wide to judge or the target is missed.
 */
export function judge(v: Verdict): boolean {
  const s = spread(v.ratios);
  const relativeIqr = (s.q3 - s.q1) / s.median;
  const limit = v.maxRelativeIqr ?? 0.25;
  const what = v.unit === undefined ? `${v.figure} = ${s.median.toFixed(2)}x baseline` : v.figure;
  const u = v.unit ?? '';
  const line = `${v.bench}: ${what} (IQR ${s.q1.toFixed(2)}${u}–${s.q3.toFixed(2)}${u}, range ${s.min.toFixed(2)}${u}–${s.max.toFixed(2)}${u}, ${s.n} rounds) (target ${v.target})${v.also ? `; ${v.also}` : ''}`;
  if (!(relativeIqr <= limit)) {
    console.log(line);
    console.log(
      `${v.bench}: TOO NOISY TO JUDGE — the ratio's middle half spans ${(relativeIqr * 100).toFixed(0)}% of its median (limit ${(limit * 100).toFixed(0)}%); ${machine()}. ` +
        'Run it again on a quieter machine, or with more rounds (BENCH_ROUNDS=N).',
    );
    process.exitCode = 1;
    return false;
  }
  const ok = v.meets(s.median);
  console.log(`${line}${ok ? '' : ' — OUT OF TARGET'}`);
  if (!ok) process.exitCode = 1;
  return ok;
}
