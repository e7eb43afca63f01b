/**
 * Coordinator-call accounting, beside the enrolment flow: each call the server answers or refuses
 * is queued, written to `runner_calls` in one transaction per batch (pruned to `keepCalls`), and
 * the competitions that got calls are told to the UI once per batch (`runner.changed`). This is
 * the runner's only timer-batched event source; enrolment changes come batched from the engine.
 */
import type { RunnerView } from '@shared/contract/runner';
import type { ScopedLogger } from '../log/logger';
import type { RunnerRepo } from './runner.repo';
import type { SmpCallRecord } from './smp-server';

type PendingCall = Parameters<RunnerRepo['insertCalls']>[0][number];

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 100) / 100;
}

export class RunnerCallLog {
  private pending: PendingCall[] = [];
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly o: {
      repo: RunnerRepo;
      log: ScopedLogger;
      now: () => Date;
      keepCalls: number;
      batchMs: number;
      /** The competitions that got calls since the last batch. */
      changed(competitionIds: string[]): void;
    },
  ) {}

  record(competitionId: string, r: SmpCallRecord): void {
    this.pending.push({ competitionId, at: this.o.now().toISOString(), method: r.method, outcome: r.outcome, reason: r.reason, status: r.status, ms: r.ms });
    this.dirty.add(competitionId);
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.o.batchMs);
    this.timer.unref?.();
  }

  /** Writes the queued calls now (before a read of `runner_calls`, and at close). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    try {
      this.o.repo.insertCalls(batch);
      for (const id of new Set(batch.map((c) => c.competitionId))) this.o.repo.pruneCalls(id, this.o.keepCalls);
    } catch (error) {
      this.o.log.warn('runner calls could not be stored', { error });
    }
    const ids = [...this.dirty];
    this.dirty.clear();
    if (ids.length > 0 && !this.closed) this.o.changed(ids);
  }

  close(): void {
    this.flush();
    this.closed = true;
  }

  /** Counts and latency percentiles of a competition's stored calls. */
  stats(competitionId: string): RunnerView['calls'] {
    const s = this.o.repo.callStats(competitionId);
    const sorted = [...s.msAccepted].sort((a, b) => a - b);
    return { accepted: s.accepted, refused: s.refused, refusedByReason: s.refusedByReason, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), lastCallAt: s.lastCallAt };
  }
}
