/**
 * Rounds of the practice coordinator (PROTOCOLS §5 "a typical round"): a deterministic demo time
 * series is revealed one tick at a time; after each tick the runner predicts the next value, and
 * the prediction is scored when that value is revealed. Score of a round: the mean over its
 * predictions of 1 / (1 + |prediction − truth|), in (0, 1]; a missing or non-numeric prediction
 * scores 0. The last tick's prediction has no truth within the round and is not scored.
 */
import type { VariantValue } from './smp-grpc';
import { driveRound, RunnerCallError, type RunnerClient } from './runner-client';

/** Values of the demo series from tick `start`: a slow sine with a drift, 4 decimals. */
export function demoSeries(start: number, length: number): number[] {
  return Array.from({ length }, (_, i) => {
    const t = start + i;
    return Math.round((10 * Math.sin(t / 5) + 0.05 * t) * 10_000) / 10_000;
  });
}

/**
 * A prediction as a number: a DOUBLE or INT Variant, or a JSON forecast of the demo model's form
 * (`{"predictions": {"value": {"mean": [next, …]}}}`, the `value` series' next step).
 */
export function numericPrediction(v: VariantValue | null): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && 'json' in v) {
    const mean = (v.json as { predictions?: { value?: { mean?: unknown } } } | null)?.predictions?.value?.mean;
    const first: unknown = Array.isArray(mean) ? mean[0] : undefined;
    if (typeof first === 'number' && Number.isFinite(first)) return first;
  }
  return undefined;
}

/** `predictions[i]` (made after tick i) against `truth[i + 1]`. */
export function scoreRound(predictions: readonly (VariantValue | null)[], truth: readonly number[]): number {
  const n = truth.length - 1;
  if (n <= 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i += 1) {
    const p = numericPrediction(predictions[i] ?? null);
    if (p !== undefined) sum += 1 / (1 + Math.abs(p - truth[i + 1]!));
  }
  return sum / n;
}

export interface ScoredRound {
  score: number;
  /** `ok`, or why the round stopped: `auth:<n>:<check>`, `tls`, `grpc:<code>`, `status:<call>:<code>`. */
  verdict: string;
  predictions: (VariantValue | null)[];
}

/** Drives one round on a runner and scores it; a refused or failing runner scores 0 with its verdict. */
export async function runScoredRound(client: RunnerClient, className: string, series: readonly number[]): Promise<ScoredRound> {
  try {
    const round = await driveRound(
      client,
      className,
      series.map((value, tick) => ({ tick, value })),
    );
    const bad = round.statuses.find((s) => !s.endsWith(':SUCCESS'));
    if (bad) return { score: bad.startsWith('Setup:') ? 0 : scoreRound(round.predictions, series), verdict: `status:${bad}`, predictions: round.predictions };
    return { score: scoreRound(round.predictions, series), verdict: 'ok', predictions: round.predictions };
  } catch (error) {
    if (!(error instanceof RunnerCallError)) throw error;
    return { score: 0, verdict: error.kind === 'auth' ? `auth:${error.reason}` : error.kind === 'tls' ? 'tls' : `grpc:${error.reason}`, predictions: [] };
  }
}
