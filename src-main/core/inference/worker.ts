import { isAppError } from '@shared/contract/errors';
import type { InferenceWorkerState, InferenceWorkerView, JobErrorCode } from '@shared/contract/inference';
import { decryptEnvelope, encryptEnvelope, envelopeScope, parseEnvelopeJson, type EncryptedEnvelope, type JsonObject } from '@shared/protocol/envelope';
import { scopeFor } from '@shared/protocol/hkdf-keys';
import type { MinerJobWire } from '@shared/protocol/router-api';
import type { ScopedLogger } from '../log/logger';
import { backoffDelay, sleep } from '../kernel/retry';
import type { JobPatch, JobRow, JobsRepo } from './jobs.repo';
import { KeyCache } from './key-cache';
import { RouterCallError, type RouterClient } from './router-client';

/**
 * One competition's job worker (PROTOCOLS §2.6): long-polls the router for jobs and takes each
 * through key → decrypt → run → encrypt → upload → report, persisting every step in the jobs
 * table so that a restart resumes where it stopped. Nothing here logs or stores a prompt, an
 * output or a key: rows hold ids, URNs, states, timings, sizes and error codes.
 *
 * - Router down or 5xx: the poll and each job step retry with exponential backoff and jitter;
 *   no job is dropped (a job gives up only when its deadline has passed).
 * - Wallet locked: every signed call waits for the unlock (jobs pause, they do not fail).
 * - 401/403 on the key endpoint: the job fails with KEY_FORBIDDEN and the worker shows the
 *   key-safety warning; a tampered or undecryptable input fails with ENVELOPE_INVALID before
 *   anything reaches the model.
 * - The result URN is written to the database before it is reported, so a crash between the two
 *   reports the stored URN after the restart instead of computing the result again.
 */
export interface WorkerConfig {
  pollWaitS: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  leaseRenewMs: number;
  forbiddenRetryMs: number;
}

export interface ModelPort {
  /** Runs the competition's model on a decrypted input; the output object of §2.4. */
  infer(data: JsonObject): Promise<{ output: unknown; model: string; usage: Record<string, unknown> | null }>;
}

export interface VaultGate {
  isUnlocked(): boolean;
  /** Resolves at the next unlock (at once when unlocked), or when `signal` aborts. */
  whenUnlocked(signal: AbortSignal): Promise<void>;
}

export interface WorkerDeps {
  networkId: string;
  competitionId: string;
  sessionId: number;
  client: RouterClient;
  repo: JobsRepo;
  keys: KeyCache;
  model: ModelPort;
  vault: VaultGate;
  log: ScopedLogger;
  now: () => Date;
  config: WorkerConfig;
  concurrency: number;
  eoaAddress: () => string | null;
  onJob: (row: JobRow) => void;
  onState: () => void;
}

/** A job that ends here (the row records why). */
class JobEnd extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
    /** The router must hear of it (`/fail`); false when it already knows or has moved on. */
    readonly tellRouter: boolean,
    readonly state: 'failed' | 'withdrawn' = 'failed',
  ) {
    super(message);
  }
}

/** The worker is stopping: leave the row as it is, it resumes at the next start. */
class Stopped extends Error {}

const ENVELOPE_WORDS = 'The input could not be decrypted: it was altered, or sealed for another scope or key version. Nothing was sent to the model.';

export class InferenceWorker {
  private readonly stop$ = new AbortController();
  private state: InferenceWorkerState = 'running';
  private detail: string;
  private retryAt: string | null = null;
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Router job ids of the rows in flight. */
  private readonly running = new Map<number, string>();
  private readonly jobControllers = new Set<AbortController>();
  private slotWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private forbiddenWarning: string | null = null;
  /** What refused us last: the job API (403 on a poll) or the key endpoint (401/403). */
  private forbiddenBy: 'poll' | 'key' | null = null;
  concurrency: number;

  constructor(private readonly deps: WorkerDeps) {
    this.concurrency = deps.concurrency;
    this.detail = `Answering jobs for session ${deps.sessionId}.`;
  }

  get competitionId(): string {
    return this.deps.competitionId;
  }

  get routerUrl(): string {
    return this.deps.client.baseUrl;
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
    for (const row of this.deps.repo.open(this.deps.networkId, this.deps.competitionId)) this.launch(row, true);
    this.loop = this.pollLoop().catch((error: unknown) => this.deps.log.error('inference worker stopped unexpectedly', { competition: this.deps.competitionId, error }));
  }

  async stop(): Promise<void> {
    this.stop$.abort();
    for (const c of this.jobControllers) c.abort();
    this.wakeSlots();
    await this.loop;
    // A job inside a model call finishes that call first (bounded by the model timeout).
    await Promise.allSettled([...this.inFlight.values()]);
    this.setState('stopped', 'Stopped.');
  }

  setConcurrency(n: number): void {
    this.concurrency = n;
    this.wakeSlots();
    this.deps.onState();
  }

  /** The wallet was locked or unlocked: reflect it at once (the loops notice by themselves). */
  vaultChanged(): void {
    if (this.stop$.signal.aborted) return;
    if (!this.deps.vault.isUnlocked()) this.setState('paused-locked', 'Paused: unlock your wallet to resume jobs.');
    else if (this.state === 'paused-locked') this.setState('running', `Answering jobs for session ${this.deps.sessionId}.`);
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
    while (!signal.aborted) {
      if (!this.deps.vault.isUnlocked()) {
        this.setState('paused-locked', 'Paused: unlock your wallet to resume jobs.');
        await this.deps.vault.whenUnlocked(signal);
        continue;
      }
      if (this.inFlight.size >= this.concurrency) {
        await this.waitForSlot();
        continue;
      }
      try {
        const jobs = await this.deps.client.poll(this.deps.config.pollWaitS, this.concurrency - this.inFlight.size, signal);
        failures = 0;
        if (this.forbiddenBy === 'poll') this.clearForbidden();
        this.setState(this.forbiddenWarning ? 'forbidden' : 'running', this.forbiddenWarning ? this.forbiddenDetail() : `Answering jobs for session ${this.deps.sessionId}.`);
        for (const job of jobs) this.receive(job);
      } catch (error) {
        if (signal.aborted) break;
        if (isAppError(error) && (error.code === 'VAULT_LOCKED' || error.code === 'VAULT_MISSING')) {
          if (error.code === 'VAULT_MISSING') await sleep(this.deps.config.forbiddenRetryMs, signal);
          continue;
        }
        failures += 1;
        if (error instanceof RouterCallError && error.status === 403) {
          this.forbid('poll');
          const at = new Date(this.deps.now().getTime() + this.deps.config.forbiddenRetryMs);
          this.setState('forbidden', this.forbiddenDetail(), at);
          await sleep(this.deps.config.forbiddenRetryMs, signal);
          continue;
        }
        const delay = backoffDelay(failures, { baseMs: this.deps.config.backoffBaseMs, maxMs: this.deps.config.backoffMaxMs });
        const at = new Date(this.deps.now().getTime() + delay);
        this.setState('backoff', this.backoffDetail(error), at);
        if (failures === 1 || failures % 10 === 0) this.deps.log.warn('job poll failed; backing off', { competition: this.deps.competitionId, code: error instanceof RouterCallError ? error.code : 'INTERNAL', status: error instanceof RouterCallError ? error.status : null, attempt: failures, delay_ms: delay });
        await sleep(delay, signal);
      }
    }
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

  private backoffDetail(error: unknown): string {
    if (error instanceof RouterCallError) {
      if (error.status === null) return 'The router cannot be reached; trying again shortly.';
      if (error.code === 'STALE_TIMESTAMP') return "The router refused this computer's clock; check the date and time settings. Trying again shortly.";
      if (error.status >= 500) return `The router answered ${error.status}; trying again shortly.`;
      return `The router refused the poll (${error.code}); trying again shortly.`;
    }
    return 'Polling failed; trying again shortly.';
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
    this.deps.onJob(row);
    this.launch(row, false);
  }

  // ---- one job ---------------------------------------------------------------------------------

  private launch(row: JobRow, resumed: boolean): void {
    this.running.set(row.seq, row.job_id);
    const run = this.runJob(row, resumed).finally(() => {
      this.inFlight.delete(row.seq);
      this.running.delete(row.seq);
      this.wakeSlots();
      this.deps.onState();
    });
    this.inFlight.set(row.seq, run);
    this.deps.onState();
  }

  private async runJob(row: JobRow, resumed: boolean): Promise<void> {
    // Aborted by a lost lease, or by stop() (which aborts every job's controller).
    const jobStop = new AbortController();
    const signal = jobStop.signal;
    this.jobControllers.add(jobStop);
    if (this.stop$.signal.aborted) jobStop.abort();
    let lost: JobEnd | null = null;
    let current = row;
    const renew = setInterval(() => {
      if (!this.deps.vault.isUnlocked()) return;
      this.deps.client.lease(row.job_id, signal).then(
        (expires) => {
          if (signal.aborted) return; // the job ended or the app is closing (its database with it)
          try {
            this.deps.repo.update(row.seq, { lease_expires_at: expires }, this.deps.now().getTime());
          } catch {
            // best effort: the lease itself was extended
          }
        },
        (error: unknown) => {
          // "Finished" while our result is being reported may be our own report whose answer was
          // lost: the report call (the same URN again is 200) tells which.
          if (error instanceof RouterCallError && error.code === 'ALREADY_REPORTED' && current.result_urn !== null) return;
          const end = error instanceof RouterCallError ? this.endFromConflict(error) : null;
          if (end) {
            lost = end;
            jobStop.abort();
          }
        },
      );
    }, this.deps.config.leaseRenewMs);
    renew.unref?.();
    try {
      current = await this.process(row, resumed, signal, (r) => (current = r));
    } catch (error) {
      const lostLease = lost as JobEnd | null;
      let end: JobEnd;
      if (error instanceof JobEnd) end = error;
      else if (lostLease) end = lostLease;
      else if (error instanceof Stopped || this.stop$.signal.aborted) return;
      else if (error instanceof RouterCallError) end = new JobEnd('ROUTER_REFUSED', `The router refused a call for this job (${error.code}).`, true);
      else {
        this.deps.log.error('inference job failed inside the app', { job: row.job_id, error: error instanceof Error ? error.name : 'unknown' });
        end = new JobEnd('INTERNAL', 'The app failed while working on this job; see the log.', true);
      }
      await this.end(current, end);
    } finally {
      clearInterval(renew);
      jobStop.abort(); // a lease extension still in flight has nothing left to extend
      this.jobControllers.delete(jobStop);
    }
  }

  /** 409/404 on a job call: the job is not ours to finish any more. */
  private endFromConflict(error: RouterCallError): JobEnd | null {
    if (error.code === 'LEASE_LOST') return new JobEnd('LEASE_LOST', 'Another miner holds this job now (our lease ran out).', false);
    if (error.code === 'ALREADY_REPORTED') return new JobEnd('LEASE_LOST', 'The router already holds another outcome for this job.', false);
    if (error.code === 'JOB_WITHDRAWN') return new JobEnd('DEADLINE_PASSED', 'The router withdrew the job: its completion timed out or its caller went away.', false, 'withdrawn');
    if (error.code === 'UNKNOWN_JOB') return new JobEnd('ROUTER_REFUSED', 'The router no longer knows this job (UNKNOWN_JOB).', false, 'withdrawn');
    return null;
  }

  private update(row: JobRow, patch: JobPatch): JobRow {
    const next = this.deps.repo.update(row.seq, patch, this.deps.now().getTime());
    this.deps.onJob(next);
    return next;
  }

  private nowMs(): number {
    return this.deps.now().getTime();
  }

  /**
   * A router call that waits out a locked wallet and retries transient faults with backoff until
   * the job's deadline. Conflicts (lease lost, withdrawn) end the job.
   */
  private async call<T>(row: JobRow, signal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = Date.parse(row.deadline);
    for (let attempt = 1; ; attempt += 1) {
      if (signal.aborted) throw new Stopped();
      if (!this.deps.vault.isUnlocked()) {
        await this.deps.vault.whenUnlocked(signal);
        continue;
      }
      try {
        return await fn(signal);
      } catch (error) {
        if (signal.aborted) throw new Stopped();
        if (isAppError(error) && error.code === 'VAULT_LOCKED') continue;
        if (!(error instanceof RouterCallError)) throw error;
        const conflict = this.endFromConflict(error);
        if (conflict) throw conflict;
        if (!error.retryable) throw error;
        if (this.nowMs() >= deadline) throw new JobEnd('DEADLINE_PASSED', 'The job’s deadline passed while the router could not be reached.', false);
        const delay = Math.min(backoffDelay(attempt, { baseMs: this.deps.config.backoffBaseMs, maxMs: this.deps.config.backoffMaxMs }), Math.max(0, deadline - this.nowMs()));
        await sleep(delay, signal);
      }
    }
  }

  private async process(row: JobRow, resumed: boolean, signal: AbortSignal, track: (r: JobRow) => void): Promise<JobRow> {
    let r = row;
    const set = (patch: JobPatch): JobRow => {
      r = this.update(r, patch);
      track(r);
      return r;
    };
    if (r.state === 'failed') {
      // Failed before a restart, and the router had not heard it yet.
      await this.tellFailure(r, signal);
      return r;
    }
    if (this.nowMs() >= Date.parse(r.deadline)) throw new JobEnd('DEADLINE_PASSED', 'The job’s deadline passed before it could be finished.', false);
    if (r.result_urn === null && resumed) {
      // Still ours? A lease that ran out while the app was down may have gone to another miner.
      const expires = await this.call(r, signal, (s) => this.deps.client.lease(r.job_id, s));
      set({ lease_expires_at: expires });
    }
    if (r.result_urn === null) {
      // key: read the input's envelope, then the key for its (scope, key_version)
      let t = this.nowMs();
      set({ state: 'key' });
      const text = await this.call(r, signal, (s) => this.deps.client.getEnvelope(r.input_urn, s));
      const envelope = this.parseInput(text, r);
      const scope = envelopeScope(envelope);
      set({ input_bytes: Buffer.byteLength(text), key_version: scope.keyVersion, scope_type: scope.scopeType });
      const scopeText = scopeFor(scope.scopeType, scope.sessionId, scope.taskId);
      const key = await this.fetchKey(r, signal, scope.scopeType, scope.sessionId, scope.taskId, scope.keyVersion, scopeText);
      try {
        // Each step's end and the next step's start are one write.
        let now = this.nowMs();
        set({ key_ms: now - t, state: 'decrypt' });
        // decrypt
        t = now;
        let data: JsonObject;
        try {
          data = await decryptEnvelope(key, envelope);
        } catch (error) {
          if (isAppError(error) && (error.code === 'DECRYPT_FAILED' || error.code === 'ENVELOPE_MALFORMED')) throw new JobEnd('ENVELOPE_INVALID', ENVELOPE_WORDS, true);
          throw error;
        }
        if (typeof data.prompt !== 'string') throw new JobEnd('ENVELOPE_INVALID', 'The decrypted input has no prompt. Nothing was sent to the model.', true);
        if (signal.aborted) throw new Stopped();
        now = this.nowMs();
        set({ decrypt_ms: now - t, state: 'run' });
        // run
        t = now;
        let result: Awaited<ReturnType<ModelPort['infer']>>;
        try {
          result = await this.deps.model.infer(data);
        } catch (error) {
          // The model's own words could echo the input: keep only its code.
          const code = isAppError(error) ? error.code : 'MODEL_FAILED';
          throw new JobEnd('MODEL_FAILED', `The model could not answer (${code}). Check the model container on the Runtime page.`, true);
        }
        now = this.nowMs();
        set({ run_ms: now - t, state: 'encrypt' });
        // encrypt, under the input's scope_type, scope and key_version (§2.4)
        t = now;
        const sealed = await encryptEnvelope(key, scope, { output: result.output, model: result.model, ...(result.usage ? { usage: result.usage } : {}) }, this.deps.now());
        const json = JSON.stringify(sealed);
        now = this.nowMs();
        set({ encrypt_ms: now - t, state: 'upload' });
        // upload; the URN is in the database before it is reported
        t = now;
        const put = await this.call(r, signal, (s) => this.deps.client.putEnvelope(json, s));
        set({ result_urn: put.urn, output_bytes: put.bytes, upload_ms: this.nowMs() - t, state: 'report' });
      } finally {
        key.fill(0);
      }
    }
    // report (idempotent: the same URN again is 200)
    const t = this.nowMs();
    if (r.state !== 'report') set({ state: 'report' });
    const urn = r.result_urn!;
    try {
      await this.call(r, signal, (s) => this.deps.client.report(r.job_id, urn, s));
    } catch (error) {
      if (error instanceof RouterCallError) throw new JobEnd('ROUTER_REFUSED', `The router refused the result (${error.code}).`, true);
      throw error;
    }
    const now = this.nowMs();
    set({ state: 'reported', router_done: 1, report_ms: now - t, total_ms: now - r.received_ms, finished_ms: now });
    return r;
  }

  private parseInput(text: string, row: JobRow): EncryptedEnvelope {
    let envelope;
    try {
      envelope = parseEnvelopeJson(text);
    } catch (error) {
      const what = isAppError(error) ? error.message : 'The envelope is malformed.';
      // Parser messages name fields, never content.
      throw new JobEnd('ENVELOPE_INVALID', `The input envelope is invalid: ${what} Nothing was sent to the model.`, true);
    }
    if (envelope.payload_type !== 'encrypted') throw new JobEnd('ENVELOPE_INVALID', 'The input is not encrypted; a private session accepts only encrypted payloads. Nothing was sent to the model.', true);
    const d = envelope.data;
    if (d.session_id !== row.session_id || (d.scope_type === 'task' && d.task_id !== row.task_id)) {
      throw new JobEnd('ENVELOPE_INVALID', 'The input is sealed for another session or task. Nothing was sent to the model.', true);
    }
    return envelope;
  }

  private async fetchKey(row: JobRow, signal: AbortSignal, scopeType: 'session' | 'task', sessionId: number, taskId: number | null, keyVersion: string, scopeText: string): Promise<Uint8Array> {
    const id = KeyCache.id(this.deps.client.baseUrl, scopeText, keyVersion);
    try {
      let key: Uint8Array | undefined;
      while (!key) {
        try {
          key = await this.deps.keys.get(id, () => this.call(row, signal, (s) => this.deps.client.key(scopeType, sessionId, taskId, keyVersion, s)));
        } catch (error) {
          // Another job's fetch of the same key was stopped (its lease was lost): fetch it ourselves.
          if (error instanceof Stopped && !signal.aborted) continue;
          throw error;
        }
      }
      if (this.forbiddenWarning) {
        this.clearForbidden();
        this.setState('running', `Answering jobs for session ${this.deps.sessionId}.`);
      }
      return key;
    } catch (error) {
      if (!(error instanceof RouterCallError)) throw error;
      if (error.status === 401 || error.status === 403) {
        this.forbid('key');
        this.setState('forbidden', this.forbiddenDetail());
        throw new JobEnd('KEY_FORBIDDEN', `The router refused the key for scope ${scopeText} (${error.status}): this address is not on the session's allowed list.`, true);
      }
      if (error.status === 410) throw new JobEnd('KEY_RETIRED', `The router no longer holds key version ${keyVersion} for this input.`, true);
      throw new JobEnd('ROUTER_REFUSED', `The router refused the key request (${error.code}).`, true);
    }
  }

  /** Records the end, and tells the router when it needs to hear it. */
  private async end(row: JobRow, end: JobEnd): Promise<void> {
    const now = this.nowMs();
    const r = this.update(row, { state: end.state, error_code: end.code, error_message: end.message, router_done: end.tellRouter ? 0 : 1, finished_ms: now, total_ms: now - row.received_ms });
    this.deps.log.info('inference job ended', { job: row.job_id, session: row.session_id, task: row.task_id, state: end.state, code: end.code });
    if (end.tellRouter) await this.tellFailure(r, this.stop$.signal);
  }

  private async tellFailure(row: JobRow, signal: AbortSignal): Promise<void> {
    try {
      await this.call(row, signal, (s) => this.deps.client.fail(row.job_id, row.error_code ?? 'INTERNAL', row.error_message ?? '', s));
    } catch (error) {
      if (error instanceof Stopped) return; // told after the next start
      if (!(error instanceof JobEnd) && !(error instanceof RouterCallError)) throw error;
    }
    this.update(row, { router_done: 1 });
  }
}
