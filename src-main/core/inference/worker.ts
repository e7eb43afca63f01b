import { isAppError } from '@shared/contract/errors';
import type { InferenceWorkerState, InferenceWorkerView } from '@shared/contract/inference';
import type { MinerJobWire } from '@shared/protocol/router-api';
import type { MembershipWorker } from '../kernel/membership-workers';
import { backoffDelay, sleep } from '../kernel/retry';
import type { UnlockGate } from '../kernel/unlock-gate';
import type { ScopedLogger } from '../log/logger';
import type { JobFlow, ModelPort } from './job-flow';
import type { JobRow, JobsRepo } from './jobs.repo';
import { RouterCallError, type RouterClient } from './router-client';

/**
 * One competition's job worker (PROTOCOLS §2.6): long-polls the router for jobs, holds the
 * concurrency slots, and hands each job to the job flow (job-flow.ts), which the kernel's flow
 * engine drives through key → decrypt → run → encrypt → upload → report, persisted per step, so a
 * restart resumes where it stopped.
 *
 * - Router down or 5xx: the poll backs off with jitter (the jobs' own calls retry in the flow
 *   until their deadline); no job is dropped.
 * - Wallet locked with mining off: polling pauses on the unlock gate; jobs already taken wait in
 *   the flow (the router may time them out). With mining on (issue 16) the idle lock keeps the
 *   work keys and the gate stays open: nothing pauses.
 * - 403 on a poll, or 401/403 on the key endpoint: the worker shows the key-safety warning.
 */
export interface WorkerConfig {
  pollWaitS: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  leaseRenewMs: number;
  forbiddenRetryMs: number;
}

export interface WorkerDeps {
  networkId: string;
  competitionId: string;
  sessionId: number;
  client: RouterClient;
  repo: JobsRepo;
  jobs: JobFlow;
  model: ModelPort;
  gate: UnlockGate;
  log: ScopedLogger;
  now: () => Date;
  config: WorkerConfig;
  concurrency: number;
  eoaAddress: () => string | null;
  /** The worker's state, concurrency or warning changed. */
  onState: () => void;
  /** A job took or freed a slot. */
  onSlots: () => void;
}

/** Said while the gate is closed: the wallet is locked and mining is off (issue 16: jobs do time out). */
const LOCKED_DETAIL = 'Waiting for your password: the wallet is locked and mining is off, so no jobs are taken. Jobs the router sends meanwhile time out and go to other miners.';

export class InferenceWorker implements MembershipWorker {
  private readonly stop$ = new AbortController();
  private state: InferenceWorkerState = 'running';
  private detail: string;
  private retryAt: string | null = null;
  /** The flows of the jobs in flight, by row. */
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Router job ids of the rows in flight. */
  private readonly running = new Map<number, string>();
  private slotWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private detach: (() => void) | undefined;
  private forbiddenWarning: string | null = null;
  /** What refused us last: the job API (403 on a poll) or the key endpoint (401/403). */
  private forbiddenBy: 'poll' | 'key' | null = null;
  concurrency: number;

  constructor(private readonly deps: WorkerDeps) {
    this.concurrency = deps.concurrency;
    this.detail = this.answering();
  }

  get competitionId(): string {
    return this.deps.competitionId;
  }

  /** The key-safety warning while the router refuses this miner's EOA. */
  get warning(): string | null {
    return this.forbiddenWarning;
  }

  view(): InferenceWorkerView {
    return {
      competitionId: this.deps.competitionId,
      sessionId: this.deps.sessionId,
      routerUrl: this.deps.client.baseUrl,
      state: this.state,
      detail: this.detail,
      concurrency: this.concurrency,
      inFlight: this.inFlight.size,
      retryAt: this.retryAt,
    };
  }

  start(): void {
    if (this.loop) return;
    this.deps.log.info('inference worker started', { competition: this.deps.competitionId, session: this.deps.sessionId, router: this.deps.client.baseUrl });
    this.detach = this.deps.jobs.attach(this.deps.competitionId, {
      networkId: this.deps.networkId,
      client: this.deps.client,
      model: this.deps.model,
      keyRefused: () => this.keyRefused(),
      keyGranted: () => this.keyGranted(),
    });
    // Jobs a previous run left unfinished resume at the step their row is at.
    for (const row of this.deps.repo.open(this.deps.networkId, this.deps.competitionId)) this.launch(row, true);
    this.loop = this.pollLoop().catch((error: unknown) => this.deps.log.error('inference worker stopped unexpectedly', { competition: this.deps.competitionId, error }));
    this.deps.onState();
  }

  async stop(): Promise<void> {
    this.stop$.abort();
    this.wakeSlots();
    // The engine stops the jobs' steps (their rows resume at the next start); a job inside a model
    // call finishes that call first (bounded by the model timeout).
    await this.deps.jobs.stop(new Set(this.inFlight.keys()));
    await this.loop;
    await Promise.allSettled([...this.inFlight.values()]);
    this.detach?.();
    this.setState('stopped', 'Stopped.');
  }

  setConcurrency(n: number): void {
    this.concurrency = n;
    this.wakeSlots();
    this.deps.onState();
  }

  /** The wallet was locked or unlocked: reflect it at once (the loop and the flows notice by themselves). */
  vaultChanged(): void {
    if (this.stop$.signal.aborted) return;
    if (!this.deps.gate.isUnlocked()) this.setState('paused-locked', LOCKED_DETAIL);
    else if (this.state === 'paused-locked') this.setState('running', this.answering());
  }

  private answering(): string {
    return `Answering jobs for session ${this.deps.sessionId}.`;
  }

  private setState(state: InferenceWorkerState, detail: string, retryAt: Date | null = null): void {
    const at = retryAt?.toISOString() ?? null;
    if (this.state === state && this.detail === detail && this.retryAt === at) return;
    this.state = state;
    this.detail = detail;
    this.retryAt = at;
    this.deps.onState();
  }

  private wakeSlots(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const w of waiters) w();
  }

  private waitForSlot(): Promise<void> {
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  // ---- polling -------------------------------------------------------------------------------

  private async pollLoop(): Promise<void> {
    const signal = this.stop$.signal;
    let failures = 0;
    let leasesAsked = false;
    while (!signal.aborted) {
      if (!this.deps.gate.isUnlocked()) {
        this.setState('paused-locked', LOCKED_DETAIL);
        await this.deps.gate.whenUnlocked(signal);
        continue;
      }
      if (!leasesAsked) {
        leasesAsked = true;
        await this.resumeLeases(signal);
      }
      if (this.inFlight.size >= this.concurrency) {
        await this.waitForSlot();
        continue;
      }
      try {
        const jobs = await this.deps.client.poll(this.deps.config.pollWaitS, this.concurrency - this.inFlight.size, signal);
        failures = 0;
        if (this.forbiddenBy === 'poll') this.clearForbidden();
        this.setState(this.forbiddenWarning ? 'forbidden' : 'running', this.forbiddenWarning ? this.forbiddenDetail() : this.answering());
        for (const job of jobs) this.receive(job);
      } catch (error) {
        if (signal.aborted) break;
        failures = await this.pollFailed(error, failures + 1, signal);
      }
    }
  }

  /** Waits as a failed poll asks (unlock, 403, backoff); returns the failure count to go on with. */
  private async pollFailed(error: unknown, failures: number, signal: AbortSignal): Promise<number> {
    if (isAppError(error) && (error.code === 'VAULT_LOCKED' || error.code === 'VAULT_MISSING')) {
      if (error.code === 'VAULT_MISSING') await sleep(this.deps.config.forbiddenRetryMs, signal);
      return failures - 1;
    }
    if (error instanceof RouterCallError && error.status === 403) {
      this.forbid('poll');
      const at = new Date(this.deps.now().getTime() + this.deps.config.forbiddenRetryMs);
      this.setState('forbidden', this.forbiddenDetail(), at);
      await sleep(this.deps.config.forbiddenRetryMs, signal);
      return failures;
    }
    const delay = backoffDelay(failures, { baseMs: this.deps.config.backoffBaseMs, maxMs: this.deps.config.backoffMaxMs });
    const at = new Date(this.deps.now().getTime() + delay);
    this.setState('backoff', backoffDetail(error), at);
    if (failures === 1 || failures % 10 === 0) this.deps.log.warn('job poll failed; backing off', { competition: this.deps.competitionId, code: error instanceof RouterCallError ? error.code : 'INTERNAL', status: error instanceof RouterCallError ? error.status : null, attempt: failures, delay_ms: delay });
    await sleep(delay, signal);
    return failures;
  }

  private keyRefused(): void {
    this.forbid('key');
    this.setState('forbidden', this.forbiddenDetail());
  }

  private keyGranted(): void {
    if (!this.forbiddenWarning) return;
    this.clearForbidden();
    this.setState('running', this.answering());
  }

  private clearForbidden(): void {
    this.forbiddenWarning = null;
    this.forbiddenBy = null;
    this.deps.onState();
  }

  private forbid(by: 'poll' | 'key'): void {
    this.forbiddenBy = by;
    const address = this.deps.eoaAddress() ?? 'Your address';
    this.forbiddenWarning = `${address} is not on session ${this.deps.sessionId}'s allowed list: the router refuses it keys and jobs. Check that you joined with this wallet, or ask the operator to add it.`;
  }

  private forbiddenDetail(): string {
    return `Refused: this address is not on the session's allowed list (session ${this.deps.sessionId}). Join again with this wallet or ask the operator.`;
  }

  /**
   * Once per start, before the first poll: the jobs the router still leases to us. A job leased in
   * a poll whose answer a kill cut off is in no row of ours; without this it would wait out its
   * whole lease (60 s) before the router gave it to anyone. Rows already resumed are skipped. A
   * router that cannot answer now: the lease runs out and the job comes back in a poll, as before.
   */
  private async resumeLeases(signal: AbortSignal): Promise<void> {
    try {
      const jobs = (await this.deps.client.leases(signal)).filter((j) => j.session_id === this.deps.sessionId);
      const known = new Set(this.running.values());
      const taken = jobs.filter((j) => !known.has(j.job_id));
      if (taken.length > 0) this.deps.log.info('inference jobs still leased to us resumed at start', { competition: this.deps.competitionId, jobs: taken.length });
      for (const job of taken) this.receive(job);
    } catch (error) {
      if (signal.aborted) return;
      this.deps.log.warn('could not ask the router for our leases; they come back when they run out', { competition: this.deps.competitionId, code: error instanceof RouterCallError ? error.code : isAppError(error) ? error.code : 'INTERNAL' });
    }
  }

  private receive(job: MinerJobWire): void {
    const running = [...this.running.entries()].find(([, jobId]) => jobId === job.job_id);
    if (running) {
      // Leased to us again while we still work on it (our lease had run out): keep going.
      this.deps.repo.update(running[0], { lease_expires_at: job.lease_expires_at }, this.deps.now().getTime());
      return;
    }
    const row = this.deps.repo.receive({
      networkId: this.deps.networkId,
      competitionId: this.deps.competitionId,
      routerUrl: this.deps.client.baseUrl,
      jobId: job.job_id,
      sessionId: job.session_id,
      taskId: job.task_id,
      inputUrn: job.input_urn,
      deadline: job.deadline,
      leaseExpiresAt: job.lease_expires_at,
      nowMs: this.deps.now().getTime(),
    });
    this.deps.jobs.announce(row);
    this.launch(row, false);
  }

  /** Takes a slot and starts the job's flow; the slot frees when the flow ends or is stopped. */
  private launch(row: JobRow, resumed: boolean): void {
    if (this.stop$.signal.aborted) return; // a poll answered while stopping: the row resumes at the next start
    this.running.set(row.seq, row.job_id);
    const run = this.deps.jobs.run(row, resumed).finally(() => {
      this.inFlight.delete(row.seq);
      this.running.delete(row.seq);
      this.wakeSlots();
      this.deps.onSlots();
    });
    this.inFlight.set(row.seq, run);
    this.deps.onSlots();
  }
}

function backoffDetail(error: unknown): string {
  if (error instanceof RouterCallError) {
    if (error.status === null) return 'The router cannot be reached; trying again shortly.';
    if (error.code === 'STALE_TIMESTAMP') return "The router refused this computer's clock; check the date and time settings. Trying again shortly.";
    if (error.status >= 500) return `The router answered ${error.status}; trying again shortly.`;
    return `The router refused the poll (${error.code}); trying again shortly.`;
  }
  return 'Polling failed; trying again shortly.';
}
