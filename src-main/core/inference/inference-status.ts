import type { InferenceStatus, InferenceWorkerView } from '@shared/contract/inference';
import type { EventBus } from '../rpc/events';
import { toJobView, type JobRow, type JobsRepo } from './jobs.repo';
import type { InferenceWorker } from './worker';

/**
 * `inference.status` and the two events the Jobs page lives on. Both come from the flow engine's
 * batched change events (one batching mechanism): a batch of changed job rows goes out as
 * `inference.jobsChanged` carrying the rows, followed by `inference.statusChanged` carrying the
 * whole status when a worker's slots moved or a job ended. A worker's own state change (backoff,
 * paused, forbidden, started, stopped, a new concurrency) is rare and goes out at once, coalesced
 * within the tick. The renderer applies both payloads as they are; it never refetches for them.
 */
export interface StatusDeps {
  ui: EventBus;
  repo: JobsRepo;
  now: () => Date;
  workers(): InferenceWorker[];
  /** Joined competitions without a worker, and why. */
  idle(): { competitionId: string; sessionId: number; routerUrl: string; detail: string }[];
  defaultConcurrency: number;
  statsWindowS: number;
}

export class InferenceStatusBoard {
  /** Slots moved or a job ended since the last status event. */
  private dirty = false;
  private queued = false;
  private closed = false;

  constructor(private readonly deps: StatusDeps) {}

  status(): InferenceStatus {
    const { repo, defaultConcurrency } = this.deps;
    const workers = this.deps.workers();
    const views: InferenceWorkerView[] = workers.map((w) => w.view());
    for (const i of this.deps.idle()) {
      views.push({ ...i, state: 'stopped', concurrency: repo.concurrency(i.competitionId) ?? defaultConcurrency, inFlight: 0, retryAt: null });
    }
    const warnings: InferenceStatus['warnings'] = [];
    for (const w of workers) if (w.warning) warnings.push({ competitionId: w.competitionId, code: 'KEY_FORBIDDEN', message: w.warning });
    return { workers: views, stats: repo.stats(this.deps.now().getTime(), this.deps.statsWindowS), warnings };
  }

  /** The engine's batch of changed job rows. */
  jobsChanged(rows: JobRow[]): void {
    if (this.closed) return;
    this.deps.ui.emit('inference.jobsChanged', { jobs: rows.map(toJobView) });
    if (this.dirty || rows.some((r) => r.finished_ms !== null)) this.emitStatus();
  }

  /** A job took or freed a slot: the status goes out with the next batch of job rows. */
  slotsChanged(): void {
    this.dirty = true;
  }

  /** A worker changed state: the status goes out at once (once per tick). */
  workerChanged(): void {
    if (this.queued || this.closed) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      if (!this.closed) this.emitStatus();
    });
  }

  close(): void {
    this.closed = true;
  }

  private emitStatus(): void {
    this.dirty = false;
    this.deps.ui.emit('inference.statusChanged', this.status());
  }
}
