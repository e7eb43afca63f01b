import type { MethodName } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import type { InferenceStatus, InferenceWorkerView, PlaygroundAnswer, StoredPayloadView } from '@shared/contract/inference';
import type { JsonObject } from '@shared/protocol/envelope';
import { completionAnswerSchema, ROUTER_PATHS, routerErrorSchema, taskViewSchema } from '@shared/protocol/router-api';
import type { MembershipRow } from '../competitions/memberships.repo';
import { numberField, type ConfigSchema } from '../kernel/config';
import { type WorkerActivity, type WorkerModuleDeps, type WorkerState } from '../module-deps';
import type { HandlerGroup } from '../rpc/handlers';
import { CompetitionImages } from '../runtime/competition-images';
import { JobsRepo, toJobView, type JobRow } from './jobs.repo';
import { KeyCache } from './key-cache';
import { RouterClient, type EoaSigner } from './router-client';
import { InferenceWorker, type ModelPort, type VaultGate, type WorkerConfig } from './worker';

/**
 * The `inference.*` share of the contract (docs/inference.md): one job worker per joined
 * private-inference competition of the active network, the jobs table, the figures, and the
 * practice network's Playground. Keys live in memory only and are wiped when the wallet locks.
 */
export type InferenceMethod = Extract<MethodName, `inference.${string}`>;

export interface InferenceModule {
  handlers: HandlerGroup<InferenceMethod>;
  /** Workers for joined competitions of this kind, or null for another kind. */
  workerState(competitionId: string, kind: string): WorkerState | null;
  /** The job that ended last, in words. */
  lastActivity(): WorkerActivity | null;
  start(): void;
  close(): Promise<void>;
}

export interface InferenceConfig extends WorkerConfig {
  /** Jobs at once per competition until the miner picks another number (1–16). */
  defaultConcurrency: number;
  /** How often memberships are checked again besides change events. */
  reconcileMs: number;
  /** Model call timeout. */
  modelTimeoutMs: number;
  /** Timeout of one router call other than the long poll (whose timeout is its wait + this). */
  callTimeoutMs: number;
  /** Batching window of `inference.jobsChanged` / `inference.statusChanged`. */
  eventBatchMs: number;
  /** The stats window of `inference.status`. */
  statsWindowS: number;
}

/** Defaults, each overridable by an environment variable (docs/inference.md, "Configuration"). */
export const inferenceConfig = {
  pollWaitS: numberField({ default: 5, min: 0, max: 30, int: true, env: 'MINERVA_INFERENCE_POLL_WAIT_S', doc: 'Long-poll wait of one job poll (s).' }),
  backoffBaseMs: numberField({ default: 500, min: 1, max: 60_000, env: 'MINERVA_INFERENCE_BACKOFF_BASE_MS', doc: 'First backoff after a router fault (ms).' }),
  backoffMaxMs: numberField({ default: 30_000, min: 1, max: 600_000, env: 'MINERVA_INFERENCE_BACKOFF_MAX_MS', doc: 'Longest backoff after router faults (ms).' }),
  leaseRenewMs: numberField({ default: 20_000, min: 100, max: 59_000, env: 'MINERVA_INFERENCE_LEASE_RENEW_MS', doc: 'How often a job lease is extended (ms).' }),
  forbiddenRetryMs: numberField({ default: 15_000, min: 100, max: 600_000, env: 'MINERVA_INFERENCE_FORBIDDEN_RETRY_MS', doc: 'Wait before polling again after a 403 (ms).' }),
  defaultConcurrency: numberField({ default: 2, min: 1, max: 16, int: true, env: 'MINERVA_INFERENCE_CONCURRENCY', doc: 'Jobs at once per competition until the miner picks another number.' }),
  reconcileMs: numberField({ default: 5_000, min: 100, max: 600_000, env: 'MINERVA_INFERENCE_RECONCILE_MS', doc: 'How often memberships are checked again besides change events (ms).' }),
  modelTimeoutMs: numberField({ default: 60_000, min: 100, max: 600_000, env: 'MINERVA_INFERENCE_MODEL_TIMEOUT_MS', doc: 'Model call timeout (ms).' }),
  callTimeoutMs: numberField({ default: 10_000, min: 100, max: 600_000, env: 'MINERVA_INFERENCE_CALL_TIMEOUT_MS', doc: 'Timeout of one router call other than the long poll (ms).' }),
  eventBatchMs: numberField({ default: 100, min: 0, max: 5_000, env: 'MINERVA_INFERENCE_EVENT_BATCH_MS', doc: 'Batching window of job and status events (ms).' }),
  statsWindowS: numberField({ default: 300, min: 10, max: 86_400, int: true, doc: 'The stats window of inference.status (s).' }),
} satisfies ConfigSchema;

const STATS_EVENT_MS = 1000;

interface Idle {
  competitionId: string;
  sessionId: number;
  routerUrl: string;
  detail: string;
}

export function createInferenceModule(deps: WorkerModuleDeps, config: InferenceConfig): InferenceModule {
  const repo = new JobsRepo(deps.db);
  const keys = new KeyCache();
  const workers = new Map<string, { worker: InferenceWorker; networkId: string; routerUrl: string; sessionId: number }>();
  /** Joined competitions that have no worker, and why (shown in the status). */
  const idle = new Map<string, Idle>();
  const images = new CompetitionImages(deps.runtime);
  const unsubscribe: (() => void)[] = [];
  let reconcileTimer: NodeJS.Timeout | undefined;
  let reconciling: Promise<void> = Promise.resolve();
  let reconcileAgain = false;
  let closed = false;

  // ---- events, batched ----
  const pendingJobs = new Map<number, JobRow>();
  /** A worker changed state (sent with the next batch) or only the figures moved (at most once a second). */
  let statusDirty = false;
  let statsDirty = false;
  let lastStatusAt = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    flushTimer = undefined;
    if (pendingJobs.size > 0) {
      const jobs = [...pendingJobs.values()].map(toJobView);
      pendingJobs.clear();
      deps.events.emit('inference.jobsChanged', { jobs });
    }
    const now = Date.now();
    if (statusDirty || (statsDirty && now - lastStatusAt >= STATS_EVENT_MS)) {
      statusDirty = false;
      statsDirty = false;
      lastStatusAt = now;
      deps.events.emit('inference.statusChanged', status());
    } else if (statsDirty && !closed && !statsTimer) {
      statsTimer = setTimeout(() => {
        statsTimer = undefined;
        flush();
      }, STATS_EVENT_MS - (now - lastStatusAt));
      statsTimer.unref?.();
    }
  };
  const scheduleFlush = (): void => {
    if (closed || flushTimer) return;
    flushTimer = setTimeout(flush, config.eventBatchMs);
    flushTimer.unref?.();
  };
  const onJob = (row: JobRow): void => {
    pendingJobs.set(row.seq, row);
    if (row.state === 'reported' || row.state === 'failed' || row.state === 'withdrawn') statsDirty = true;
    scheduleFlush();
  };
  const onState = (): void => {
    statusDirty = true;
    scheduleFlush();
  };

  // ---- the wallet ----
  const signer: EoaSigner = {
    address: () => deps.vault.eoa.address(),
    sign: (message) => deps.vault.eoa.personalSign(message).signature,
  };
  const gate: VaultGate = deps.vault.gate;
  const eoaAddress = (): string | null => {
    try {
      return signer.address();
    } catch {
      return null;
    }
  };

  // ---- the model ----
  const modelFor = (competitionId: string, entry: { requirements: { imageDigest: string | null }; modelBundle?: string | null | undefined }): ModelPort => {
    const key = `inference:${competitionId}`;
    const image = (): Promise<string> => images.reference(competitionId, entry);
    // One start at a time: concurrent jobs share it (the runtime would otherwise create one
    // container per caller and lose track of all but the last).
    let starting: Promise<unknown> | null = null;
    const ready = async (reference: string): Promise<void> => {
      if (deps.runtime.model(key)?.state === 'ready') return;
      starting ??= deps.runtime.ensureRunning({ key, role: { job: key }, image: reference, keepWarm: true, competitionId }).finally(() => (starting = null));
      await starting;
    };
    return {
      async infer(data: JsonObject) {
        const reference = await image();
        await ready(reference);
        const params = data.params !== null && typeof data.params === 'object' && !Array.isArray(data.params) ? (data.params as JsonObject) : {};
        const result = await deps.runtime.call(key, 'infer', { ...params, prompt: data.prompt }, { timeoutMs: config.modelTimeoutMs });
        const r = (result ?? {}) as JsonObject;
        if (typeof r.completion === 'string') {
          const usage: Record<string, unknown> = {};
          if (typeof r.tokens === 'number') usage.tokens = r.tokens;
          return { output: r.completion, model: entry.modelBundle ?? reference, usage };
        }
        if (Object.prototype.hasOwnProperty.call(r, 'output')) {
          return { output: r.output, model: typeof r.model === 'string' ? r.model : (entry.modelBundle ?? reference), usage: r.usage !== null && typeof r.usage === 'object' ? (r.usage as Record<string, unknown>) : null };
        }
        return { output: result, model: entry.modelBundle ?? reference, usage: null };
      },
    };
  };

  // ---- workers per joined competition ----
  const stopWorker = async (competitionId: string): Promise<void> => {
    const w = workers.get(competitionId);
    if (!w) return;
    workers.delete(competitionId);
    await w.worker.stop();
    onState();
  };

  const reconcileOnce = async (): Promise<void> => {
    if (closed) return;
    let networkId: string;
    let memberships: MembershipRow[];
    // Never (re)start the practice network from here: that is the networks service's decision.
    const view = deps.networks.view();
    if (view.selectedId === 'practice' && view.practice.state !== 'running' && view.practice.state !== 'attached') return;
    try {
      networkId = (await deps.activeNetwork()).id;
      memberships = await deps.competitions.activeMemberships();
    } catch {
      return; // the network is not up yet: the next round tries again
    }
    const joined = memberships.filter((m) => m.kind === 'private-inference' && m.state === 'joined');
    const wanted = new Set(joined.map((m) => m.competitionId));
    for (const [id, w] of workers) {
      if (wanted.has(id) && w.networkId === networkId) continue;
      await stopWorker(id);
      // Left (or another network): its model stops too; unfinished jobs stay in the table.
      await deps.runtime.release(`inference:${id}`).catch(() => undefined);
    }
    for (const id of [...idle.keys()]) if (!wanted.has(id)) idle.delete(id);
    for (const m of joined) {
      if (closed) return;
      let entry;
      try {
        entry = (await deps.competitions.entry(m.competitionId)).entry;
        if (entry.sessionId === undefined) {
          // A catalogue cached by an older version: fetch it again for the session id.
          await deps.competitions.list(true);
          entry = (await deps.competitions.entry(m.competitionId)).entry;
        }
      } catch {
        continue;
      }
      const sessionId = entry.sessionId ?? null;
      const routerUrl = entry.endpoints.router;
      const existing = workers.get(m.competitionId);
      if (existing && (existing.routerUrl !== routerUrl || existing.sessionId !== sessionId)) await stopWorker(m.competitionId);
      if (workers.has(m.competitionId)) continue;
      if (sessionId === null || routerUrl === null) {
        idle.set(m.competitionId, { competitionId: m.competitionId, sessionId: sessionId ?? 0, routerUrl: routerUrl ?? '', detail: routerUrl === null ? 'The router of this competition is not running yet.' : 'This competition names no router session.' });
        onState();
        continue;
      }
      idle.delete(m.competitionId);
      const worker = new InferenceWorker({
        networkId,
        competitionId: m.competitionId,
        sessionId,
        client: new RouterClient({ baseUrl: routerUrl.replace(/\/+$/, ''), signer, now: deps.now, timeoutMs: config.callTimeoutMs }),
        repo,
        keys,
        model: modelFor(m.competitionId, entry),
        vault: gate,
        log: deps.log,
        now: deps.now,
        config,
        concurrency: repo.concurrency(m.competitionId) ?? config.defaultConcurrency,
        eoaAddress,
        onJob,
        onState,
      });
      workers.set(m.competitionId, { worker, networkId, routerUrl, sessionId });
      deps.log.info('inference worker started', { competition: m.competitionId, session: sessionId, router: routerUrl });
      worker.start();
      onState();
    }
  };

  const reconcile = (): Promise<void> => {
    if (reconcileAgain) return reconciling;
    reconcileAgain = true;
    reconciling = reconciling.then(async () => {
      reconcileAgain = false;
      try {
        await reconcileOnce();
      } catch (error) {
        deps.log.warn('inference workers could not be updated', { error });
      }
    });
    return reconciling;
  };

  // ---- status ----
  function status(): InferenceStatus {
    const views: InferenceWorkerView[] = [...workers.values()].map((w) => w.worker.view());
    for (const i of idle.values()) views.push({ competitionId: i.competitionId, sessionId: i.sessionId, routerUrl: i.routerUrl, state: 'stopped', detail: i.detail, concurrency: repo.concurrency(i.competitionId) ?? config.defaultConcurrency, inFlight: 0, retryAt: null });
    const warnings: InferenceStatus['warnings'] = [];
    for (const w of workers.values()) {
      const message = w.worker.warning;
      if (message) warnings.push({ competitionId: w.worker.competitionId, code: 'KEY_FORBIDDEN', message });
    }
    return { workers: views, stats: repo.stats(deps.now().getTime(), config.statsWindowS), warnings };
  }

  // ---- playground ----
  const refusal = async (res: Response): Promise<AppError> => {
    let code = `HTTP_${res.status}`;
    let message = '';
    try {
      const parsed = routerErrorSchema.safeParse(await res.json());
      if (parsed.success) ({ code, message } = parsed.data.error);
    } catch {
      // keep the status
    }
    if (res.status === 504) return new AppError('TIMEOUT', 'No miner answered in time. Check on the Jobs page that your worker is answering jobs (and that your wallet is unlocked).');
    if (code === 'MINER_FAILED') return new AppError('MODEL_FAILED', `The miner could not complete the job: ${message} See the Jobs page for the reason.`);
    if (code === 'RESULT_UNDECRYPTABLE') return new AppError('DECRYPT_FAILED', 'The router could not read the miner’s result.');
    if (res.status === 401) return new AppError('UNAUTHENTICATED', 'The practice router refused its own API token; restart the practice network.');
    return new AppError('UNAVAILABLE', `The router refused the completion (${code}).`);
  };

  async function playgroundSend(input: { competitionId: string; prompt: string; timeoutS: number }): Promise<PlaygroundAnswer> {
    const network = await deps.activeNetwork();
    if (network.kind !== 'practice') {
      throw new AppError('UNSUPPORTED', 'The Playground works on the practice network only: it uses the practice router’s own API token. Select the practice network to try it.');
    }
    const { entry } = await deps.competitions.entry(input.competitionId);
    if (entry.kind !== 'private-inference') throw new AppError('VALIDATION', 'The Playground sends prompts to private-inference competitions only.');
    const sessionId = entry.sessionId ?? null;
    const routerUrl = entry.endpoints.router?.replace(/\/+$/, '') ?? null;
    if (sessionId === null || routerUrl === null) throw new AppError('UNAVAILABLE', 'The practice router is not running yet; wait for the practice network to start.');
    // The answer comes from this app's own worker: say so at once instead of waiting for a timeout.
    const mine = workers.get(input.competitionId)?.worker.view();
    if (!mine) throw new AppError('FORBIDDEN', 'Join this competition first: your own miner answers the Playground’s prompts.');
    if (mine.state === 'paused-locked') throw new AppError('VAULT_LOCKED', 'Unlock your wallet first: your miner pauses while it is locked.');
    if (mine.state === 'forbidden') throw new AppError('FORBIDDEN', mine.detail);
    const token = (await deps.practiceHost?.routerApiToken?.()) ?? null;
    if (!token) throw new AppError('UNAVAILABLE', 'This app cannot read the practice router’s API token; the Playground needs the practice network started by this app.');
    const auth = { authorization: `Bearer ${token}` };
    const started = Date.now();
    let res: Response;
    try {
      res = await fetch(`${routerUrl}${ROUTER_PATHS.completion}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: sessionId, prompt: input.prompt, timeout_s: input.timeoutS }),
        signal: AbortSignal.timeout((input.timeoutS + 10) * 1000),
      });
    } catch {
      throw new AppError('NETWORK_ERROR', 'The practice router cannot be reached. Check the practice network in Settings.');
    }
    if (!res.ok) throw await refusal(res);
    const parsed = completionAnswerSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new AppError('UNAVAILABLE', 'The router’s answer is malformed.');
    const answer = parsed.data;
    const elapsedMs = Date.now() - started;
    const stored: StoredPayloadView[] = [];
    try {
      const t = await fetch(`${routerUrl}${ROUTER_PATHS.task(sessionId, answer.task_id)}`, { headers: auth, signal: AbortSignal.timeout(10_000) });
      const view = taskViewSchema.safeParse(t.ok ? await t.json() : null);
      if (view.success) {
        for (const [role, p] of [['input', view.data.input], ['result', view.data.result]] as const) {
          if (p) stored.push({ role, urn: p.urn, payloadType: p.payload_type, keyVersion: p.key_version, ciphertextBytes: p.bytes });
        }
      }
    } catch {
      // the answer stands without the stored view
    }
    const row = repo.byTask(sessionId, answer.task_id);
    return {
      competitionId: input.competitionId,
      sessionId,
      taskId: answer.task_id,
      output: answer.output,
      model: answer.model ?? '',
      usage: answer.usage ?? null,
      elapsedMs,
      jobRowId: row && row.competition_id === input.competitionId ? String(row.seq) : null,
      stored,
    };
  }

  const handlers: HandlerGroup<InferenceMethod> = {
    'inference.status': () => status(),
    'inference.jobs': (query) => repo.list(query),
    'inference.setConcurrency': ({ competitionId, concurrency }) => {
      repo.setConcurrency(competitionId, concurrency, deps.now().toISOString());
      workers.get(competitionId)?.worker.setConcurrency(concurrency);
      deps.audit.append({ at: deps.now().toISOString(), actor: 'user', action: 'inference.setConcurrency', detail: { competition: competitionId, concurrency } });
      return status();
    },
    'inference.playgroundSend': (input) => playgroundSend(input),
  };

  const workerState = (competitionId: string, kind: string): WorkerState | null => {
    if (kind !== 'private-inference') return null;
    const w = workers.get(competitionId);
    if (!w) {
      const i = idle.get(competitionId);
      return { running: false, detail: i?.detail ?? 'Not answering jobs yet: join the competition (and keep your wallet unlocked).' };
    }
    const v = w.worker.view();
    switch (v.state) {
      case 'running':
        return { running: true, detail: `Answering jobs for session ${v.sessionId}` };
      case 'paused-locked':
        return { running: false, detail: 'Paused: unlock your wallet' };
      case 'backoff':
        return { running: false, detail: v.detail };
      case 'forbidden':
        return { running: false, detail: v.detail };
      default:
        return { running: false, detail: 'Stopped.' };
    }
  };

  const lastActivity = (): WorkerActivity | null => {
    const row = repo.lastFinished();
    if (!row || row.finished_ms === null) return null;
    const at = new Date(row.finished_ms).toISOString();
    const job = `Job ${row.session_id}·${row.task_id}`;
    if (row.state === 'reported') return { at, ok: true, detail: `${job}: answered and reported${row.total_ms === null ? '' : ` in ${row.total_ms} ms`}` };
    if (row.state === 'withdrawn') return { at, ok: null, detail: `${job}: withdrawn by the router` };
    return { at, ok: false, detail: `${job}: ${row.error_message ?? 'failed'}` };
  };

  return {
    handlers,
    workerState,
    lastActivity,
    start() {
      if (closed) return;
      unsubscribe.push(
        deps.vault.gate.onChange((unlocked) => {
          if (!unlocked) keys.wipe();
          for (const w of workers.values()) w.worker.vaultChanged();
        }),
        deps.domain.on('competitions.changed', () => void reconcile()),
        deps.domain.on('networks.changed', () => void reconcile()),
      );
      reconcileTimer = setInterval(() => void reconcile(), config.reconcileMs);
      reconcileTimer.unref?.();
      void reconcile();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (reconcileTimer) clearInterval(reconcileTimer);
      unsubscribe.splice(0).forEach((off) => off());
      await reconciling.catch(() => undefined);
      await Promise.allSettled([...workers.keys()].map((id) => stopWorker(id)));
      keys.wipe();
      if (flushTimer) clearTimeout(flushTimer);
      if (statsTimer) clearTimeout(statsTimer);
      flushTimer = undefined;
      statsTimer = undefined;
    },
  };
}
