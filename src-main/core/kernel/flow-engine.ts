import { AppError, isAppError } from '@shared/contract/errors';
import type { ScopedLogger } from '../log/logger';
import { backoffDelay, classifyError, sleep, type ErrorClass } from './retry';
import type { UnlockGate } from './unlock-gate';

/**
 * The durable flow engine: every multi-step job core does for a miner (join a competition, submit
 * a checkpoint, answer an inference job, enrol a runner) is a flow of named steps whose progress
 * lives in SQLite, so a crash or restart resumes where it stopped.
 *
 * A feature describes a flow once (FlowSpec): where its rows live (a FlowStore over the feature's
 * own table), which step a row is at, and one idempotent function per step. The engine owns what
 * every flow needs and used to hand-write: driving steps in order, persisting each step's result
 * before the next starts, bounded retry with backoff and jitter, one wait-for-unlock, resume at
 * start, cancellation, per-flow status and last activity, and batched change events carrying the
 * changed rows.
 *
 * Step functions must be idempotent: a crash after a step's effect but before its result was
 * saved runs the step again (a step that sends a transaction therefore saves the transaction id
 * with `ctx.save` first, and follows it when it finds one).
 */

export type FlowState = 'running' | 'waiting-unlock' | 'backoff' | 'waiting' | 'done' | 'failed' | 'cancelled' | 'stopped';

export interface FlowStatus {
  kind: string;
  id: string;
  step: string | null;
  state: FlowState;
  /** Attempts of the current step (1 on its first run). */
  attempt: number;
  /** iso; when a backoff or a wait ends */
  retryAt: string | null;
  detail: string | null;
  /** iso */
  updatedAt: string;
}

/** Where a flow's rows live: the feature's own table. */
export interface FlowStore<R> {
  get(id: string): R | undefined;
  /** Flows a previous run left unfinished; resumed at start. */
  unfinished(): R[];
  /** Persists a patch in one write and returns the row as stored. */
  save(id: string, patch: Partial<R>): R;
}

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts of one step before the flow fails (the step's own retries included). */
  maxAttempts: number;
  random?: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 30_000, maxAttempts: 8 };

/** A step asks to be run again later (a phase not open yet, a transaction not yet included). */
export class FlowWait<R> {
  constructor(
    readonly until: Date,
    readonly detail: string,
    readonly patch: Partial<R> = {},
  ) {}
}

export interface StepContext<R> {
  readonly kind: string;
  readonly id: string;
  readonly step: string;
  readonly attempt: number;
  /** Aborted when the flow is cancelled or core stops. */
  readonly signal: AbortSignal;
  now(): Date;
  /** Saves progress inside a step (shown at once, batched into the change events). */
  save(patch: Partial<R>): R;
  /**
   * Runs `fn` with the flow's retry policy: transient errors retry with backoff (until the
   * attempts or `deadlineMs` run out), a locked wallet waits for the unlock; anything else throws.
   */
  call<T>(fn: (signal: AbortSignal) => Promise<T>, options?: { classify?: (error: unknown) => ErrorClass | undefined; deadlineMs?: number | null }): Promise<T>;
  /** Ends this run of the step; the engine runs it again at `until`. */
  wait(until: Date, detail: string, patch?: Partial<R>): FlowWait<R>;
  /** Resolves after `ms` or when the flow is stopped (then false). */
  sleep(ms: number): Promise<boolean>;
}

export type StepFn<R> = (row: R, ctx: StepContext<R>) => Promise<Partial<R> | FlowWait<R> | void>;

export interface FlowSpec<R, S extends string = string> {
  kind: string;
  store: FlowStore<R>;
  idOf(row: R): string;
  /** The step a row is at, or null once the flow has ended. */
  stepOf(row: R): S | null;
  steps: Record<S, StepFn<R>>;
  retry?: Partial<RetryPolicy>;
  /** Refines the default classification (VAULT_LOCKED → unlock, transient codes → retry). */
  classify?(error: unknown, row: R): ErrorClass | undefined;
  /** No retry after this time (ms since epoch), e.g. a job's deadline. */
  deadlineOf?(row: R): number | null;
  /** How the engine's decisions are written into the row. */
  record: {
    failed(row: R, error: unknown): Partial<R>;
    retrying?(row: R, info: { error: unknown; attempt: number; retryAt: Date }): Partial<R>;
    waitingUnlock?(row: R): Partial<R>;
    waiting?(row: R, wait: FlowWait<R>): Partial<R>;
    cancelled?(row: R): Partial<R>;
    /** The step succeeded after retries or a wait: clear what `retrying`/`waitingUnlock` wrote. */
    resumed?(row: R): Partial<R>;
  };
  /** The rows changed since the last call, at most once per batch window. */
  onChanged?(rows: R[]): void;
  /** Where the last finished flow ended, for "last activity". */
  describeEnd?(row: R): { ok: boolean | null; detail: string } | null;
}

export interface FlowEngineOptions {
  gate: UnlockGate;
  log: ScopedLogger;
  now?: () => Date;
  /** Batching window of change events (ms). */
  batchMs?: number;
}

interface Running {
  controller: AbortController;
  cancelled: boolean;
  /** Run again once this drive ends (start() was called while it ran). */
  again: boolean;
  done: Promise<void>;
}

type AnySpec = FlowSpec<unknown, string>;

/** A special error the engine uses to leave a step when the flow is stopped. */
class FlowStopped extends Error {}

export class FlowEngine {
  private readonly specs = new Map<string, AnySpec>();
  private readonly running = new Map<string, Running>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly statuses = new Map<string, FlowStatus>();
  private readonly pending = new Map<string, Map<string, unknown>>();
  private readonly statusListeners = new Set<(changed: FlowStatus[]) => void>();
  private readonly changedStatuses = new Map<string, FlowStatus>();
  private readonly last = new Map<string, { at: string; ok: boolean | null; detail: string }>();
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => Date;
  private readonly batchMs: number;

  constructor(private readonly options: FlowEngineOptions) {
    this.now = options.now ?? (() => new Date());
    this.batchMs = options.batchMs ?? 100;
  }

  register<R, S extends string>(spec: FlowSpec<R, S>): FlowHandle<R> {
    if (this.specs.has(spec.kind)) throw new Error(`flow kind ${spec.kind} registered twice`);
    this.specs.set(spec.kind, spec as unknown as AnySpec);
    return new FlowHandle<R>(this, spec.kind);
  }

  /** Starts every unfinished flow of a kind (at core start). */
  resume(kind: string, filter: (row: unknown) => boolean = () => true): void {
    const spec = this.spec(kind);
    for (const row of spec.store.unfinished()) if (filter(row)) void this.start(kind, spec.idOf(row));
  }

  /**
   * Drives a flow until it ends, waits, or is stopped. Resolves then (never rejects). Starting a
   * flow that is already running asks it to look at its row again once the current step ends.
   */
  start(kind: string, id: string, delayMs = 0): Promise<void> {
    if (this.closed) return Promise.resolve();
    const key = `${kind}\u0000${id}`;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (delayMs > 0) {
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(key);
          void this.start(kind, id).then(resolve);
        }, delayMs);
        t.unref?.();
        this.timers.set(key, t);
      });
    }
    const existing = this.running.get(key);
    if (existing) {
      existing.again = true;
      return existing.done;
    }
    const run: Running = { controller: new AbortController(), cancelled: false, again: false, done: Promise.resolve() };
    run.done = this.drive(this.spec(kind), id, run).finally(() => {
      this.running.delete(key);
      if (run.again && !run.controller.signal.aborted && !this.closed) void this.start(kind, id);
    });
    this.running.set(key, run);
    return run.done;
  }

  /** Cancels a flow: its step is aborted and `record.cancelled` written. */
  async cancel(kind: string, id: string): Promise<void> {
    const key = `${kind}\u0000${id}`;
    this.clearTimer(key);
    const run = this.running.get(key);
    const spec = this.spec(kind);
    if (run) {
      run.cancelled = true;
      run.controller.abort();
      await run.done;
      return;
    }
    const row = spec.store.get(id);
    if (row !== undefined && spec.stepOf(row) !== null && spec.record.cancelled) {
      this.persist(spec, id, spec.record.cancelled(row));
      this.setStatus(spec, id, { step: null, state: 'cancelled', detail: null, retryAt: null, attempt: 0 });
    }
  }

  /** Stops flows without recording anything (they resume at the next start). */
  async stop(kind: string, filter: (id: string) => boolean = () => true): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const [key, run] of this.running) {
      const [k, id] = key.split('\u0000') as [string, string];
      if (k !== kind || !filter(id)) continue;
      run.controller.abort();
      waits.push(run.done);
    }
    for (const key of [...this.timers.keys()]) {
      const [k, id] = key.split('\u0000') as [string, string];
      if (k === kind && filter(id)) this.clearTimer(key);
    }
    await Promise.allSettled(waits);
  }

  /** Saves a patch outside a step; the row goes out with the next change event. */
  save(kind: string, id: string, patch: Partial<unknown>): unknown {
    return this.persist(this.spec(kind), id, patch);
  }

  isRunning(kind: string, id: string): boolean {
    return this.running.has(`${kind}\u0000${id}`);
  }

  /** Status of the flows this run has seen (running, waiting, and recently ended). */
  status(kind?: string): FlowStatus[] {
    return [...this.statuses.values()].filter((s) => kind === undefined || s.kind === kind);
  }

  /** The latest flow that ended, per kind (or of all kinds). */
  lastActivity(kind?: string): { at: string; ok: boolean | null; detail: string } | null {
    const all = kind === undefined ? [...this.last.values()] : [this.last.get(kind)].filter((x) => x !== undefined);
    return all.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0] ?? null;
  }

  /** Batched status changes of every flow (for a status view). */
  onStatus(listener: (changed: FlowStatus[]) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const key of [...this.timers.keys()]) this.clearTimer(key);
    for (const run of this.running.values()) run.controller.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    this.flush();
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  // ---- internals ------------------------------------------------------------------------------

  private spec(kind: string): AnySpec {
    const spec = this.specs.get(kind);
    if (!spec) throw new Error(`unknown flow kind ${kind}`);
    return spec;
  }

  private clearTimer(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  /** Saves a patch and queues the row for the next change event. */
  persist(spec: AnySpec, id: string, patch: Partial<unknown>): unknown {
    const row = spec.store.save(id, patch);
    let rows = this.pending.get(spec.kind);
    if (!rows) this.pending.set(spec.kind, (rows = new Map<string, unknown>()));
    rows.set(id, row);
    this.scheduleFlush();
    return row;
  }

  private setStatus(spec: AnySpec, id: string, patch: Omit<FlowStatus, 'kind' | 'id' | 'updatedAt'>): void {
    const status: FlowStatus = { kind: spec.kind, id, ...patch, updatedAt: this.now().toISOString() };
    const key = `${spec.kind}\u0000${id}`;
    this.statuses.set(key, status);
    this.changedStatuses.set(key, status);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => this.flush(), this.batchMs);
    this.flushTimer.unref?.();
  }

  private flush(): void {
    this.flushTimer = undefined;
    for (const [kind, rows] of this.pending) {
      if (rows.size === 0) continue;
      const batch = [...rows.values()];
      rows.clear();
      try {
        this.specs.get(kind)?.onChanged?.(batch);
      } catch (error) {
        this.options.log.warn('flow change listener failed', { kind, error });
      }
    }
    if (this.changedStatuses.size > 0) {
      const changed = [...this.changedStatuses.values()];
      this.changedStatuses.clear();
      for (const l of this.statusListeners) l(changed);
    }
    // Ended and stopped flows stay visible for one batch, then only as "last activity".
    for (const [key, s] of this.statuses) if (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled' || s.state === 'stopped') this.statuses.delete(key);
  }

  /** One flow, step after step, until it ends, waits or is stopped. */
  private async drive(spec: AnySpec, id: string, run: Running): Promise<void> {
    const signal = run.controller.signal;
    const policy: RetryPolicy = { ...DEFAULT_RETRY, ...spec.retry };
    let previousStep: string | null = null;
    let attempt = 0;
    let troubled = false;
    for (;;) {
      const row = spec.store.get(id);
      if (row === undefined) return;
      const step = spec.stepOf(row);
      if (step === null) return this.ended(spec, id, row);
      if (signal.aborted) return this.aborted(spec, id, row, run, step);
      if (step !== previousStep) attempt = 0;
      previousStep = step;
      attempt += 1;
      this.setStatus(spec, id, { step, state: 'running', attempt, retryAt: null, detail: null });
      let outcome: Awaited<ReturnType<StepFn<unknown>>>;
      try {
        outcome = await spec.steps[step]!(row, this.context(spec, id, step, attempt, signal, policy, row));
      } catch (error) {
        if (signal.aborted || error instanceof FlowStopped) return this.aborted(spec, id, spec.store.get(id) ?? row, run, step);
        const verdict = this.verdict(spec, row, error, attempt, policy);
        if (verdict === 'unlock') {
          troubled = true;
          attempt -= 1; // waiting for the wallet is not an attempt
          if (spec.record.waitingUnlock) this.persist(spec, id, spec.record.waitingUnlock(row));
          this.setStatus(spec, id, { step, state: 'waiting-unlock', attempt, retryAt: null, detail: 'Waiting for you to unlock your wallet.' });
          await this.options.gate.whenUnlocked(signal);
          continue;
        }
        if (verdict === 'retry') {
          troubled = true;
          const delay = backoffDelay(attempt, policy);
          const retryAt = new Date(this.now().getTime() + delay);
          if (spec.record.retrying) this.persist(spec, id, spec.record.retrying(row, { error, attempt, retryAt }));
          this.setStatus(spec, id, { step, state: 'backoff', attempt, retryAt: retryAt.toISOString(), detail: messageOf(error) });
          await sleep(delay, signal);
          continue;
        }
        this.options.log.warn('flow step failed', { kind: spec.kind, id, step, attempt, code: isAppError(error) ? error.code : 'INTERNAL' });
        if (!isAppError(error)) this.options.log.error('flow step threw an unexpected error', { kind: spec.kind, id, step, error });
        const after = this.persist(spec, id, spec.record.failed(row, error));
        if (spec.stepOf(after) === step) return; // the failure left it here: never loop on it
        troubled = false;
        continue;
      }
      if (outcome instanceof FlowWait) {
        const patch = { ...(spec.record.waiting?.(row, outcome) ?? {}), ...outcome.patch };
        if (Object.keys(patch).length > 0) this.persist(spec, id, patch);
        this.setStatus(spec, id, { step, state: 'waiting', attempt, retryAt: outcome.until.toISOString(), detail: outcome.detail });
        attempt -= 1; // a wait is not an attempt
        if (!(await sleep(outcome.until.getTime() - this.now().getTime(), signal))) return this.aborted(spec, id, spec.store.get(id) ?? row, run, step);
        continue;
      }
      const patch = { ...(troubled && spec.record.resumed ? spec.record.resumed(row) : {}), ...(outcome ?? {}) };
      troubled = false;
      const after = Object.keys(patch).length > 0 ? this.persist(spec, id, patch) : row;
      if (spec.stepOf(after) === step && !run.again) {
        // A step that neither advanced nor asked to wait would spin: park the flow and say so.
        this.options.log.error('flow step did not advance; the flow is parked', { kind: spec.kind, id, step });
        this.setStatus(spec, id, { step, state: 'stopped', attempt, retryAt: null, detail: null });
        return;
      }
      run.again = false;
    }
  }

  private verdict(spec: AnySpec, row: unknown, error: unknown, attempt: number, policy: RetryPolicy): ErrorClass {
    const verdict = spec.classify?.(error, row) ?? classifyError(error);
    if (verdict !== 'retry') return verdict;
    if (attempt >= policy.maxAttempts) return 'fail';
    const deadline = spec.deadlineOf?.(row) ?? null;
    if (deadline !== null && this.now().getTime() >= deadline) return 'fail';
    return 'retry';
  }

  private ended(spec: AnySpec, id: string, row: unknown): void {
    const end = spec.describeEnd?.(row) ?? null;
    const at = this.now().toISOString();
    if (end) this.last.set(spec.kind, { at, ...end });
    const state: FlowState = end?.ok === false ? 'failed' : 'done';
    this.setStatus(spec, id, { step: null, state, attempt: 0, retryAt: null, detail: end?.detail ?? null });
  }

  private aborted(spec: AnySpec, id: string, row: unknown, run: Running, step: string): void {
    if (run.cancelled && spec.record.cancelled) {
      this.persist(spec, id, spec.record.cancelled(row));
      this.setStatus(spec, id, { step: null, state: 'cancelled', attempt: 0, retryAt: null, detail: null });
      return;
    }
    this.setStatus(spec, id, { step, state: 'stopped', attempt: 0, retryAt: null, detail: null });
  }

  private context(spec: AnySpec, id: string, step: string, attempt: number, signal: AbortSignal, policy: RetryPolicy, row: unknown): StepContext<unknown> {
    return {
      kind: spec.kind,
      id,
      step,
      attempt,
      signal,
      now: () => this.now(),
      save: (patch) => this.persist(spec, id, patch),
      wait: (until, detail, patch) => new FlowWait(until, detail, patch ?? {}),
      sleep: (ms) => sleep(ms, signal),
      call: async (fn, options = {}) => {
        const deadline = options.deadlineMs ?? spec.deadlineOf?.(row) ?? null;
        for (let n = 1; ; n += 1) {
          if (signal.aborted) throw new FlowStopped();
          try {
            return await fn(signal);
          } catch (error) {
            if (signal.aborted) throw new FlowStopped();
            const verdict = options.classify?.(error) ?? spec.classify?.(error, row) ?? classifyError(error);
            if (verdict === 'unlock') {
              this.setStatus(spec, id, { step, state: 'waiting-unlock', attempt: n, retryAt: null, detail: 'Waiting for you to unlock your wallet.' });
              await this.options.gate.whenUnlocked(signal);
              this.setStatus(spec, id, { step, state: 'running', attempt: n, retryAt: null, detail: null });
              n -= 1;
              continue;
            }
            if (verdict !== 'retry') throw error;
            const now = this.now().getTime();
            if (deadline !== null && now >= deadline) throw error;
            if (deadline === null && n >= policy.maxAttempts) throw error;
            const delay = Math.min(backoffDelay(n, policy), deadline === null ? Infinity : Math.max(0, deadline - now));
            this.setStatus(spec, id, { step, state: 'backoff', attempt: n, retryAt: new Date(now + delay).toISOString(), detail: messageOf(error) });
            await sleep(delay, signal);
            this.setStatus(spec, id, { step, state: 'running', attempt: n + 1, retryAt: null, detail: null });
          }
        }
      },
    };
  }
}

/** A feature's typed handle on its registered flow kind. */
export class FlowHandle<R> {
  constructor(
    private readonly engine: FlowEngine,
    readonly kind: string,
  ) {}
  start(id: string, delayMs = 0): Promise<void> {
    return this.engine.start(this.kind, id, delayMs);
  }
  resume(filter?: (row: R) => boolean): void {
    this.engine.resume(this.kind, filter as ((row: unknown) => boolean) | undefined);
  }
  cancel(id: string): Promise<void> {
    return this.engine.cancel(this.kind, id);
  }
  stop(filter?: (id: string) => boolean): Promise<void> {
    return this.engine.stop(this.kind, filter);
  }
  isRunning(id: string): boolean {
    return this.engine.isRunning(this.kind, id);
  }
  /**
   * Saves a patch outside a step (a row the feature created or changed itself, e.g. a job just
   * received) through the flow's store, so it goes out with the next batched change event.
   */
  save(id: string, patch: Partial<R>): R {
    return this.engine.save(this.kind, id, patch) as R;
  }
  status(): FlowStatus[] {
    return this.engine.status(this.kind);
  }
  lastActivity(): { at: string; ok: boolean | null; detail: string } | null {
    return this.engine.lastActivity(this.kind);
  }
}

function messageOf(error: unknown): string {
  return isAppError(error) ? error.message : error instanceof Error ? 'Something went wrong inside Minerva; see the log.' : String(error);
}

/** The error a step throws when it must not be retried (details.permanent). */
export function permanent(code: ConstructorParameters<typeof AppError>[0], message: string): AppError {
  return new AppError(code, message, { details: { permanent: true } });
}
