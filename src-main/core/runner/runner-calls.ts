/**
 * Coordinator-call accounting, beside the enrolment flow: each call the server answers or refuses
 * is queued, written to `runner_calls` in one transaction per batch (pruned to `keepCalls`), and
 * the competitions that got calls are told to the UI once per batch (`runner.changed`). This is
 * the runner's only timer-batched event source; enrolment changes come batched from the engine.
 */
import type { RunnerCallView, RunnerView } from '@shared/contract/runner';
import type { ScopedLogger } from '../log/logger';
import type { RunnerRepo } from './runner.repo';
import type { SmpCallRecord } from './smp-server';

/** Calls carried by one event per competition (the renderer's table shows 50). */
const RECENT_CALLS = 50;

type PendingCall = Parameters<RunnerRepo['insertCalls']>[0][number];

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 100) / 100;
}

export class RunnerCallLog {
  private pending: PendingCall[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly o: {
      repo: RunnerRepo;
      log: ScopedLogger;
      now: () => Date;
      keepCalls: number;
      batchMs: number;
      /** The competitions that got calls since the last batch, with those calls (newest first). */
      changed(batch: Map<string, RunnerCallView[]>): void;
    },
  ) {}

  record(competitionId: string, r: SmpCallRecord): void {
    this.pending.push({ competitionId, at: this.o.now().toISOString(), method: r.method, outcome: r.outcome, reason: r.reason, status: r.status, ms: r.ms });
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
    let ids: number[] = [];
    try {
      ids = this.o.repo.insertCalls(batch);
      for (const id of new Set(batch.map((c) => c.competitionId))) this.o.repo.pruneCalls(id, this.o.keepCalls);
    } catch (error) {
      this.o.log.warn('runner calls could not be stored', { error });
    }
    if (ids.length === 0 || this.closed) return;
    const byCompetition = new Map<string, RunnerCallView[]>();
    for (let i = batch.length - 1; i >= 0; i -= 1) {
      const c = batch[i]!;
      const list = byCompetition.get(c.competitionId) ?? [];
      if (list.length < RECENT_CALLS) list.push({ id: ids[i]!, at: c.at, method: c.method, outcome: c.outcome, reason: c.reason, status: c.status, ms: Math.round(c.ms * 100) / 100 });
      byCompetition.set(c.competitionId, list);
    }
    this.o.changed(byCompetition);
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
