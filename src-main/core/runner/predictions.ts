/**
 * The model's predictions as coordinator calls reveal them: each accepted `Call("predict")` is
 * stored with the tick count since `Setup`; the next `Call("tick")` reveals the value it aimed at,
 * scored like the coordinator scores (1 / (1 + |error|)).
 */
import type { RunnerRepo } from './runner.repo';

export class PredictionTracker {
  private lastPrediction: { id: number; value: number } | null = null;
  private ticks = 0;

  constructor(
    private readonly repo: RunnerRepo,
    private readonly competitionId: string,
    private readonly now: () => Date,
    /** Predictions kept per competition (the newest). */
    private readonly keep: number,
  ) {}

  /** A new Setup starts the tick count again. */
  setup(): void {
    this.ticks = 0;
  }

  observe(method: string, args: unknown[], result: unknown): void {
    if (method === 'tick') {
      this.ticks += 1;
      const payload = args[0];
      const truth = typeof payload === 'number' ? payload : typeof (payload as { value?: unknown } | null)?.value === 'number' ? (payload as { value: number }).value : undefined;
      if (truth !== undefined && this.lastPrediction) {
        this.repo.scorePrediction(this.lastPrediction.id, 1 / (1 + Math.abs(this.lastPrediction.value - truth)));
        this.lastPrediction = null;
      }
    } else if (method === 'predict') {
      const value = predictionNumber(result);
      const id = this.repo.insertPrediction(this.competitionId, this.now().toISOString(), this.ticks, value);
      this.lastPrediction = value === null ? null : { id, value };
      this.repo.prunePredictions(this.competitionId, this.keep);
    }
  }
}

/** A number from a model's prediction: a plain number, or the demo model's `predictions.value.mean[0]`. */
export function predictionNumber(result: unknown): number | null {
  if (typeof result === 'number' && Number.isFinite(result)) return result;
  const mean = (result as { predictions?: { value?: { mean?: unknown } } } | null)?.predictions?.value?.mean;
  const first: unknown = Array.isArray(mean) ? mean[0] : undefined;
  return typeof first === 'number' && Number.isFinite(first) ? first : null;
}
