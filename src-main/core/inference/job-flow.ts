import { AppError, isAppError, type AppErrorCode } from '@shared/contract/errors';
import type { JobErrorCode } from '@shared/contract/inference';
import { decryptEnvelope, encryptEnvelope, envelopeScope, parseEnvelopeJson, type EncryptedEnvelope, type JsonObject } from '@shared/protocol/envelope';
import { scopeFor } from '@shared/protocol/hkdf-keys';
import { formatUrn } from '@shared/protocol/urn';
import type { FlowEngine, FlowHandle, FlowSpec, FlowStore, StepContext } from '../kernel/flow-engine';
import type { ErrorClass } from '../kernel/retry';
import type { UnlockGate } from '../kernel/unlock-gate';
import type { ScopedLogger } from '../log/logger';
import type { JobPatch, JobRow, JobsRepo } from './jobs.repo';
import { KeyCache } from './key-cache';
import { RouterCallError, type RouterClient } from './router-client';

/**
 * One router job as a durable flow (PROTOCOLS §2.6), run by the kernel's FlowEngine over the jobs
 * table of migration 50 (no table of its own): the row's `state`, `result_urn` and `router_done`
 * say which step it is at.
 *
 * - `work`: key → decrypt → run → encrypt → upload, one step, because the key, the decrypted
 *   input and the output exist in memory only: a crash inside it starts the job over from the
 *   input (the row says where it stopped, for the Jobs page). Each sub-step's end and the next
 *   one's start are one write (`ctx.save`). The result URN is saved before the step ends.
 * - `report`: reports the stored URN (idempotent: the same URN again is 200), so a crash between
 *   upload and report reports the stored URN instead of computing the result again.
 * - `tell`: a job that failed while the router still waits on it is told (`/fail`).
 *
 * Every router call goes through `ctx.call`: a locked wallet waits for the unlock, transient
 * faults retry with backoff and jitter until the job's deadline. While `work` or `report` runs, the
 * lease is renewed; a lease the router gives to another miner aborts the job (LEASE_LOST).
 * Nothing here logs or stores a prompt, an output or a key.
 */
export const JOB_FLOW = 'inference.job';

type JobStep = 'work' | 'report' | 'tell';

export interface ModelPort {
  /** Runs the competition's model on a decrypted input; the output object of §2.4. */
  infer(data: JsonObject): Promise<{ output: unknown; model: string; usage: Record<string, unknown> | null }>;
}

/** What a job needs from its competition's worker. */
export interface JobWorkerPort {
  networkId: string;
  client: RouterClient;
  model: ModelPort;
  /** The key endpoint refused this miner's EOA (401/403): show the key-safety warning. */
  keyRefused(): void;
  /** A key was granted: clear the warning that the key endpoint caused. */
  keyGranted(): void;
}

export interface JobFlowOptions {
  engine: FlowEngine;
  repo: JobsRepo;
  keys: KeyCache;
  gate: UnlockGate;
  log: ScopedLogger;
  now: () => Date;
  config: { backoffBaseMs: number; backoffMaxMs: number; leaseRenewMs: number };
  /** Batched by the engine: the rows that changed since the last call. */
  onChanged(rows: JobRow[]): void;
}

/** A job that ends here (the row records why). An AppError so the engine logs it as an expected end. */
export class JobEnd extends AppError {
  constructor(
    readonly jobCode: JobErrorCode,
    message: string,
    /** The router must hear of it (`/fail`); false when it already knows or has moved on. */
    readonly tellRouter: boolean,
    readonly state: 'failed' | 'withdrawn' = 'failed',
  ) {
    super(APP_CODE[jobCode], message, { details: { permanent: true, job: jobCode } });
  }
}

const APP_CODE: Record<JobErrorCode, AppErrorCode> = {
  KEY_FORBIDDEN: 'FORBIDDEN',
  KEY_RETIRED: 'NOT_FOUND',
  ENVELOPE_INVALID: 'DECRYPT_FAILED',
  MODEL_FAILED: 'MODEL_FAILED',
  LEASE_LOST: 'CONFLICT',
  DEADLINE_PASSED: 'TIMEOUT',
  ROUTER_REFUSED: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
};

/** This job's calls were stopped (its lease was lost); another job sharing its key fetch retries. */
class JobStopped extends Error {}

/** How long a job found unfinished at start may ask the router about itself past its deadline. */
const RECONCILE_MS = 30_000;

const ENVELOPE_WORDS = 'The input could not be decrypted: it was altered, or sealed for another scope or key version. Nothing was sent to the model.';

/** 409/404 on a job call: the job is not ours to finish any more. */
export function endFromConflict(error: RouterCallError): JobEnd | null {
  if (error.code === 'LEASE_LOST') return new JobEnd('LEASE_LOST', 'Another miner holds this job now (our lease ran out).', false);
  if (error.code === 'ALREADY_REPORTED') return new JobEnd('LEASE_LOST', 'The router already holds another outcome for this job.', false);
  if (error.code === 'JOB_WITHDRAWN') return new JobEnd('DEADLINE_PASSED', 'The router withdrew the job: its completion timed out or its caller went away.', false, 'withdrawn');
  if (error.code === 'UNKNOWN_JOB') return new JobEnd('ROUTER_REFUSED', 'The router no longer knows this job (UNKNOWN_JOB).', false, 'withdrawn');
  return null;
}

/** How `ctx.call` treats a router call's error: faults retry, a locked wallet waits, the rest ends the job. */
function classifyRouterError(error: unknown): ErrorClass {
  if (isAppError(error) && error.code === 'VAULT_LOCKED') return 'unlock';
  if (error instanceof RouterCallError && endFromConflict(error) === null && error.retryable) return 'retry';
  return 'fail';
}

/**
 * One run of `work` or `report`: the lease renewal beside it, and its router calls. `signal`
 * aborts when the engine stops the flow or the lease is lost.
 */
class JobRun {
  private readonly lostLease = new AbortController();
  lost: JobEnd | null = null;
  readonly signal: AbortSignal;

  private readonly renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly flow: JobFlow,
    readonly row: JobRow,
    readonly ctx: StepContext<JobRow>,
    readonly port: JobWorkerPort,
    renewLease = true,
  ) {
    this.signal = AbortSignal.any([ctx.signal, this.lostLease.signal]);
    if (renewLease) {
      this.renewal = setInterval(() => this.renew(), flow.options.config.leaseRenewMs);
      this.renewal.unref?.();
    }
  }

  private renew(): void {
    if (!this.flow.options.gate.isUnlocked()) return;
    this.port.client.lease(this.row.job_id, this.signal).then(
      (expires) => {
        if (this.signal.aborted) return; // the job ended or the app is closing (its database with it)
        try {
          this.flow.options.repo.update(this.row.seq, { lease_expires_at: expires }, this.flow.nowMs());
        } catch {
          // best effort: the lease itself was extended
        }
      },
      (error: unknown) => {
        // "Finished" while our result is being reported may be our own report whose answer was
        // lost: the report call (the same URN again is 200) tells which.
        if (error instanceof RouterCallError && error.code === 'ALREADY_REPORTED' && this.ctx.step === 'report') return;
        const end = error instanceof RouterCallError ? endFromConflict(error) : null;
        if (end && !this.signal.aborted) {
          this.lost = end;
          this.lostLease.abort();
        }
      },
    );
  }

  /**
   * A router call: waits out a locked wallet and retries transient faults with backoff until the
   * job's deadline (the engine's `ctx.call`). Conflicts (lease lost, withdrawn) end the job.
   */
  async call<T>(fn: (signal: AbortSignal) => Promise<T>, deadlineMs?: number): Promise<T> {
    try {
      // While the wallet is locked the signer may not even know the address (VAULT_MISSING after a
      // restart): say VAULT_LOCKED before calling, and the engine waits on the unlock gate.
      const gate = this.flow.options.gate;
      const call = (): Promise<T> => (gate.isUnlocked() ? fn(this.signal) : Promise.reject(new AppError('VAULT_LOCKED', 'Unlock your wallet to resume jobs.')));
      return await this.ctx.call(call, { classify: (error) => (this.signal.aborted ? 'fail' : classifyRouterError(error)), ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
    } catch (error) {
      if (this.ctx.signal.aborted) throw error; // the engine is stopping the flow: it resumes later
      if (this.signal.aborted) throw new JobStopped(); // the lease was lost (the step ends the job with it)
      if (!(error instanceof RouterCallError)) throw error;
      const conflict = endFromConflict(error);
      if (conflict) throw conflict;
      if (error.retryable) throw new JobEnd('DEADLINE_PASSED', 'The job’s deadline passed while the router could not be reached.', false);
      throw error;
    }
  }

  save(patch: JobPatch): JobRow {
    return this.ctx.save(patch);
  }

  close(): void {
    clearInterval(this.renewal);
    this.lostLease.abort(); // a lease extension still in flight has nothing left to extend
  }
}

export class JobFlow {
  readonly handle: FlowHandle<JobRow>;
  private readonly ports = new Map<string, JobWorkerPort>();
  /** Rows found unfinished at a worker's start: their lease is checked before work resumes. */
  private readonly resumed = new Set<number>();

  constructor(readonly options: JobFlowOptions) {
    this.handle = options.engine.register(this.spec());
  }

  nowMs(): number {
    return this.options.now().getTime();
  }

  /** A worker offers its router client and model to its competition's jobs (until detached). */
  attach(competitionId: string, port: JobWorkerPort): () => void {
    this.ports.set(competitionId, port);
    return () => {
      if (this.ports.get(competitionId) === port) this.ports.delete(competitionId);
    };
  }

  /** Drives a job until it ends or is stopped; `resumed` for a row found unfinished at start. */
  run(row: JobRow, resumed: boolean): Promise<void> {
    if (resumed) this.resumed.add(row.seq);
    return this.handle.start(String(row.seq));
  }

  /** Records (and announces) a row the worker wrote itself. */
  announce(row: JobRow): void {
    this.handle.save(String(row.seq), {});
  }

  stop(seqs: ReadonlySet<number>): Promise<void> {
    return this.handle.stop((id) => seqs.has(Number(id)));
  }

  private spec(): FlowSpec<JobRow, JobStep> {
    const { repo } = this.options;
    const store: FlowStore<JobRow> = {
      get: (id) => repo.get(Number(id)),
      unfinished: () => repo.unfinished(),
      save: (id, patch) => (Object.keys(patch).length === 0 ? repo.get(Number(id))! : repo.update(Number(id), patch, this.nowMs())),
    };
    return {
      kind: JOB_FLOW,
      store,
      idOf: (row) => String(row.seq),
      stepOf: (row) => (row.router_done === 1 ? null : row.state === 'failed' ? 'tell' : row.state === 'reported' || row.state === 'withdrawn' ? null : row.result_urn !== null ? 'report' : 'work'),
      steps: { work: (row, ctx) => this.step(row, ctx, (run, resumed) => this.work(run, resumed)), report: (row, ctx) => this.step(row, ctx, (run) => this.report(run)), tell: (row, ctx) => this.tell(row, ctx) },
      retry: { baseMs: this.options.config.backoffBaseMs, maxMs: this.options.config.backoffMaxMs },
      // Router calls retry inside the steps (ctx.call); a step that still throws ends the job.
      classify: (error) => (isAppError(error) && error.code === 'VAULT_LOCKED' ? 'unlock' : 'fail'),
      deadlineOf: (row) => Date.parse(row.deadline),
      record: { failed: (row, error) => this.failed(row, error) },
      onChanged: (rows) => this.options.onChanged(rows),
      describeEnd: (row) => describeEnd(row),
    };
  }

  /** Runs `work` or `report` with its lease renewal; any error becomes the job's end (in words, no content). */
  private async step(row: JobRow, ctx: StepContext<JobRow>, body: (run: JobRun, resumed: boolean) => Promise<JobPatch>): Promise<JobPatch> {
    const resumed = this.resumed.delete(row.seq);
    const port = this.ports.get(row.competition_id);
    if (!port || port.networkId !== row.network_id) throw new JobEnd('INTERNAL', 'No worker runs for this job’s competition.', false);
    const run = new JobRun(this, row, ctx, port);
    try {
      if (resumed) {
        // Found unfinished at start: the router may have taken our report (or given the job away)
        // while we were down; its word comes before our deadline check (issue 19).
        const settled = await this.reconcile(run);
        if (settled) return settled;
      }
      if (this.nowMs() >= Date.parse(row.deadline)) throw new JobEnd('DEADLINE_PASSED', 'The job’s deadline passed before it could be finished.', false);
      return await body(run, resumed);
    } catch (error) {
      if (ctx.signal.aborted) throw error; // stopped: the row stays as it is and resumes at the next start
      if (error instanceof JobEnd) throw error;
      if (run.lost) throw run.lost; // our calls were cut because another miner holds the job now
      if (error instanceof RouterCallError) throw new JobEnd('ROUTER_REFUSED', `The router refused a call for this job (${error.code}).`, true);
      // The error's own words could echo the input: log only its name.
      this.options.log.error('inference job failed inside the app', { job: row.job_id, error: error instanceof Error ? error.name : 'unknown' });
      throw new JobEnd('INTERNAL', 'The app failed while working on this job; see the log.', true);
    } finally {
      run.close();
    }
  }

  /**
   * A job found unfinished at start: asks the router what it holds (`GET /api/v2/miner/jobs/<id>`).
   * Reported by us (a kill came between the router taking the report and our row recording it):
   * the row becomes `reported`, whatever our deadline says, and nothing is sent again. Finished
   * otherwise, withdrawn, or leased to another miner: the job ends as the router says. Still
   * leased to us: null, and the job goes on from its row. A router without the endpoint: null.
   */
  private async reconcile(run: JobRun): Promise<JobPatch | null> {
    const r = run.row;
    // Asked even after the job's deadline (that is when it matters), for at most RECONCILE_MS.
    const state = await run.call((s) => run.port.client.jobState(r.job_id, s), Math.max(Date.parse(r.deadline), this.nowMs() + RECONCILE_MS));
    if (state === null) return null;
    if (state.mine && state.state === 'done' && state.result_urn !== null) {
      const now = this.nowMs();
      this.options.log.info('inference job found reported at restart', { job: r.job_id, session: r.session_id, task: r.task_id });
      return { result_urn: state.result_urn, state: 'reported', router_done: 1, error_code: null, error_message: null, total_ms: now - r.received_ms, finished_ms: now };
    }
    if (state.state === 'withdrawn') throw new JobEnd('DEADLINE_PASSED', 'The router withdrew the job: its completion timed out or its caller went away.', false, 'withdrawn');
    if (state.state === 'done' || state.state === 'failed') throw new JobEnd('LEASE_LOST', 'The router already holds another outcome for this job.', false);
    if (!state.mine) throw new JobEnd('LEASE_LOST', 'Another miner holds this job now (our lease ran out).', false);
    if (state.lease_expires_at) run.save({ lease_expires_at: state.lease_expires_at });
    return null;
  }

  /** key → decrypt → run → encrypt → upload; the key, input and output never leave this function's memory. */
  private async work(run: JobRun, resumed: boolean): Promise<JobPatch> {
    const { client } = run.port;
    let r = run.row;
    if (resumed) {
      // Still ours? A lease that ran out while the app was down may have gone to another miner.
      const expires = await run.call((s) => client.lease(r.job_id, s));
      r = run.save({ lease_expires_at: expires });
    }
    if (r.upload_urn !== null && (await run.call((s) => client.hasEnvelope(r.upload_urn!, s)))) {
      // Uploaded before a kill, its URN recorded first but the answer never heard: report it, no redo.
      this.options.log.info('inference result found uploaded at restart', { job: r.job_id, result_urn: r.upload_urn });
      return { result_urn: r.upload_urn, state: 'report' };
    }
    // key: read the input's envelope, then the key for its (scope, key_version)
    let t = this.nowMs();
    r = run.save({ state: 'key' });
    const text = await run.call((s) => client.getEnvelope(r.input_urn, s));
    const envelope = parseInput(text, r);
    const scope = envelopeScope(envelope);
    run.save({ input_bytes: Buffer.byteLength(text), key_version: scope.keyVersion, scope_type: scope.scopeType });
    const key = await this.fetchKey(run, scope.scopeType, scope.sessionId, scope.taskId, scope.keyVersion);
    try {
      let now = this.nowMs();
      run.save({ key_ms: now - t, state: 'decrypt' });
      t = now;
      const data = await decryptInput(key, envelope);
      if (run.signal.aborted) throw new JobStopped();
      now = this.nowMs();
      run.save({ decrypt_ms: now - t, state: 'run' });
      t = now;
      let result: Awaited<ReturnType<ModelPort['infer']>>;
      try {
        result = await run.port.model.infer(data);
      } catch (error) {
        // The model's own words could echo the input: keep only its code.
        const code = isAppError(error) ? error.code : 'MODEL_FAILED';
        throw new JobEnd('MODEL_FAILED', `The model could not answer (${code}). Check the model container on the Runtime page.`, true);
      }
      now = this.nowMs();
      run.save({ run_ms: now - t, state: 'encrypt' });
      // encrypt, under the input's scope_type, scope and key_version (§2.4)
      t = now;
      const sealed = await encryptEnvelope(key, scope, { output: result.output, model: result.model, ...(result.usage ? { usage: result.usage } : {}) }, this.options.now());
      const json = JSON.stringify(sealed);
      now = this.nowMs();
      // upload under a URN chosen and recorded first (same write as the step's start): a kill
      // before the answer finds the upload at the next start instead of leaving an orphan
      const urn = r.upload_urn ?? formatUrn(r.session_id);
      r = run.save({ encrypt_ms: now - t, state: 'upload', upload_urn: urn });
      t = now;
      const put = await run.call((s) => client.putEnvelopeAt(urn, json, s));
      return { result_urn: put.urn, output_bytes: put.bytes, upload_ms: this.nowMs() - t, state: 'report' };
    } finally {
      key.fill(0);
    }
  }

  /** Reports the stored URN (idempotent: the same URN again is 200). */
  private async report(run: JobRun): Promise<JobPatch> {
    const t = this.nowMs();
    const r = run.row.state === 'report' ? run.row : run.save({ state: 'report' });
    try {
      await run.call((s) => run.port.client.report(r.job_id, r.result_urn!, s));
    } catch (error) {
      if (error instanceof RouterCallError) throw new JobEnd('ROUTER_REFUSED', `The router refused the result (${error.code}).`, true);
      throw error;
    }
    const now = this.nowMs();
    return { state: 'reported', router_done: 1, report_ms: now - t, total_ms: now - r.received_ms, finished_ms: now };
  }

  /** Tells the router of a failure it still waits on; a refusal means it knows or moved on. */
  private async tell(row: JobRow, ctx: StepContext<JobRow>): Promise<JobPatch> {
    this.resumed.delete(row.seq);
    const port = this.ports.get(row.competition_id);
    if (!port) throw new JobEnd('INTERNAL', 'No worker runs for this job’s competition.', true); // stays to tell after the next start
    const run = new JobRun(this, row, ctx, port, false);
    try {
      await run.call((s) => port.client.fail(row.job_id, row.error_code ?? 'INTERNAL', row.error_message ?? '', s));
    } catch (error) {
      if (ctx.signal.aborted) throw error; // told after the next start
      // A refusal or a conflict: the router knows, or has moved on.
      if (!(error instanceof JobEnd) && !(error instanceof RouterCallError)) throw error;
    } finally {
      run.close();
    }
    return { router_done: 1 };
  }

  private async fetchKey(run: JobRun, scopeType: 'session' | 'task', sessionId: number, taskId: number | null, keyVersion: string): Promise<Uint8Array> {
    const scopeText = scopeFor(scopeType, sessionId, taskId);
    const id = KeyCache.id(run.port.client.baseUrl, scopeText, keyVersion);
    try {
      let key: Uint8Array | undefined;
      while (!key) {
        try {
          key = await this.options.keys.get(id, () => run.call((s) => run.port.client.key(scopeType, sessionId, taskId, keyVersion, s)));
        } catch (error) {
          // Another job's fetch of the same key was stopped (its lease was lost): fetch it ourselves.
          if (error instanceof JobStopped && !run.signal.aborted) continue;
          throw error;
        }
      }
      run.port.keyGranted();
      return key;
    } catch (error) {
      if (!(error instanceof RouterCallError)) throw error;
      if (error.status === 401 || error.status === 403) {
        run.port.keyRefused();
        throw new JobEnd('KEY_FORBIDDEN', `The router refused the key for scope ${scopeText} (${error.status}): this address is not on the session's allowed list.`, true);
      }
      if (error.status === 410) throw new JobEnd('KEY_RETIRED', `The router no longer holds key version ${keyVersion} for this input.`, true);
      throw new JobEnd('ROUTER_REFUSED', `The router refused the key request (${error.code}).`, true);
    }
  }

  /** The engine's record of a job's end; the router is told next (`tell`) when it must hear it. */
  private failed(row: JobRow, error: unknown): JobPatch {
    if (row.state === 'failed') return {}; // telling the router failed unexpectedly: told after the next start
    const end = error instanceof JobEnd ? error : new JobEnd('INTERNAL', 'The app failed while working on this job; see the log.', true);
    const now = this.nowMs();
    this.options.log.info('inference job ended', { job: row.job_id, session: row.session_id, task: row.task_id, state: end.state, code: end.jobCode });
    return { state: end.state, error_code: end.jobCode, error_message: end.message, router_done: end.tellRouter ? 0 : 1, finished_ms: now, total_ms: now - row.received_ms };
  }
}

function parseInput(text: string, row: JobRow): EncryptedEnvelope {
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

/** Decrypts the input; anything wrong with it ends the job before the model sees anything. */
async function decryptInput(key: Uint8Array, envelope: EncryptedEnvelope): Promise<JsonObject> {
  let data: JsonObject;
  try {
    data = await decryptEnvelope(key, envelope);
  } catch (error) {
    if (isAppError(error) && (error.code === 'DECRYPT_FAILED' || error.code === 'ENVELOPE_MALFORMED')) throw new JobEnd('ENVELOPE_INVALID', ENVELOPE_WORDS, true);
    throw error;
  }
  if (typeof data.prompt !== 'string') throw new JobEnd('ENVELOPE_INVALID', 'The decrypted input has no prompt. Nothing was sent to the model.', true);
  return data;
}

/** The job that ended, in words (the Rewards checklist's "last activity"). */
export function describeEnd(row: JobRow): { ok: boolean | null; detail: string } | null {
  const job = `Job ${row.session_id}·${row.task_id}`;
  if (row.state === 'reported') return { ok: true, detail: `${job}: answered and reported${row.total_ms === null ? '' : ` in ${row.total_ms} ms`}` };
  if (row.state === 'withdrawn') return { ok: null, detail: `${job}: withdrawn by the router` };
  if (row.state === 'failed') return { ok: false, detail: `${job}: ${row.error_message ?? 'failed'}` };
  return null;
}
