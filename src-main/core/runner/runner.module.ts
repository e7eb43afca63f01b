import type { MethodName } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import type { RunnerStatus, RunnerView } from '@shared/contract/runner';
import type { MembershipRow } from '../competitions/memberships.repo';
import { numberField, type ConfigSchema } from '../kernel/config';
import { type WorkerActivity, type WorkerModuleDeps, type WorkerState } from '../module-deps';
import type { CatalogueEntry } from '../network/client';
import type { HandlerGroup } from '../rpc/handlers';
import { CompetitionImages } from '../runtime/competition-images';
import { RemoteRunners } from './remote';
import { RunnerChain } from './runner-chain';
import { RunnerRepo } from './runner.repo';
import { RunnerWorker, type RunnerConfig } from './runner-worker';
import { ModelStatusError, type SmpCallRecord, type SmpModel } from './smp-server';

/**
 * The `runner.*` share of the contract (docs/runner.md): one runner per joined model-runner
 * competition of the active network — enrolment, the mTLS gRPC server, coordinator calls and
 * predictions — plus the TEE-hosted runners the miner registers (remote.ts).
 */
export type RunnerMethod = Extract<MethodName, `runner.${string}`>;

export interface RunnerModule {
  handlers: HandlerGroup<RunnerMethod>;
  /** Workers for joined competitions of this kind, or null for another kind. */
  workerState(competitionId: string, kind: string): WorkerState | null;
  /** The coordinator's latest call, in words. */
  lastActivity(): WorkerActivity | null;
  start(): void;
  close(): Promise<void>;
  /** Tests: the worker of a competition (chain facts on demand, the signed container). */
  worker(competitionId: string): RunnerWorker | undefined;
}

export interface RunnerModuleConfig extends RunnerConfig {
  reconcileMs: number;
  /** Calls kept per competition. */
  keepCalls: number;
  keepPredictions: number;
  modelTimeoutMs: number;
  eventThrottleMs: number;
}

/** Defaults, each overridable by an environment variable (docs/runner.md, "Configuration"). */
export const runnerConfig = {
  chainRefreshMs: numberField({ default: 60_000, min: 100, max: 300_000, env: 'MINERVA_RUNNER_CHAIN_REFRESH_MS', doc: 'How often the chain facts (coordinators, CA) are read again (ms).' }),
  certDays: numberField({ default: 30, min: 1, max: 90, int: true, env: 'MINERVA_RUNNER_CERT_DAYS', doc: 'Validity asked for the runner certificate (days).' }),
  renewFraction: numberField({ default: 1 / 3, min: 0.05, max: 0.9, doc: 'Renew the certificate when this fraction of its validity is left.' }),
  checkMs: numberField({ default: 60_000, min: 100, max: 3_600_000, env: 'MINERVA_RUNNER_CHECK_MS', doc: 'How often the runner checks its certificate and chain entry (ms).' }),
  retryMs: numberField({ default: 5_000, min: 50, max: 600_000, env: 'MINERVA_RUNNER_RETRY_MS', doc: 'Wait before an enrolment step is tried again (ms).' }),
  reconcileMs: numberField({ default: 5_000, min: 100, max: 600_000, env: 'MINERVA_RUNNER_RECONCILE_MS', doc: 'How often memberships are checked again besides change events (ms).' }),
  keepCalls: numberField({ default: 5_000, min: 10, max: 1_000_000, int: true, doc: 'Coordinator calls kept per competition.' }),
  keepPredictions: numberField({ default: 500, min: 10, max: 100_000, int: true, doc: 'Predictions kept per competition.' }),
  modelTimeoutMs: numberField({ default: 30_000, min: 100, max: 600_000, env: 'MINERVA_RUNNER_MODEL_TIMEOUT_MS', doc: 'Model call timeout (ms).' }),
  eventThrottleMs: numberField({ default: 250, min: 0, max: 5_000, doc: 'Throttle of runner.changed events (ms).' }),
} satisfies ConfigSchema;

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 100) / 100;
}

export function createRunnerModule(deps: WorkerModuleDeps, config: RunnerModuleConfig): RunnerModule {
  const repo = new RunnerRepo(deps.db);
  const workers = new Map<string, { worker: RunnerWorker; networkId: string; chainUrl: string; payout: string }>();
  const idle = new Map<string, string>();
  const images = new CompetitionImages(deps.runtime);
  const unsubscribe: (() => void)[] = [];
  let reconcileTimer: NodeJS.Timeout | undefined;
  let reconciling: Promise<void> = Promise.resolve();
  let reconcileAgain = false;
  let closed = false;

  // ---- calls: batched into SQLite, events throttled ----
  let pendingCalls: Parameters<RunnerRepo['insertCalls']>[0][number][] = [];
  const dirty = new Set<string>();
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    flushTimer = undefined;
    const batch = pendingCalls;
    pendingCalls = [];
    try {
      repo.insertCalls(batch);
      for (const id of new Set(batch.map((c) => c.competitionId))) repo.pruneCalls(id, config.keepCalls);
    } catch (error) {
      deps.log.warn('runner calls could not be stored', { error });
    }
    for (const id of dirty) {
      const w = workers.get(id);
      if (w) deps.events.emit('runner.changed', viewOf(w.worker));
    }
    dirty.clear();
  };
  const changed = (competitionId: string): void => {
    dirty.add(competitionId);
    if (closed || flushTimer) return;
    flushTimer = setTimeout(flush, config.eventThrottleMs);
    flushTimer.unref?.();
  };
  const onCall = (competitionId: string, r: SmpCallRecord): void => {
    pendingCalls.push({ competitionId, at: deps.now().toISOString(), method: r.method, outcome: r.outcome, reason: r.reason, status: r.status, ms: r.ms });
    changed(competitionId);
  };

  function viewOf(worker: RunnerWorker): RunnerView {
    const s = repo.callStats(worker.competitionId);
    const sorted = [...s.msAccepted].sort((a, b) => a - b);
    return worker.view(
      { accepted: s.accepted, refused: s.refused, refusedByReason: s.refusedByReason, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), lastCallAt: s.lastCallAt },
      repo.predictions(worker.competitionId, 50),
    );
  }

  // ---- the model ----
  const modelFor = (competitionId: string, entry: CatalogueEntry): SmpModel & { ensure(): Promise<void> } => {
    const key = `runner:${competitionId}`;
    const image = (): Promise<string> => images.reference(competitionId, entry);
    const ensure = async (): Promise<void> => {
      await deps.runtime.ensureRunning({ key, role: { runner: competitionId }, image: await image(), keepWarm: true, competitionId });
    };
    const call = async (method: string, params: unknown): Promise<unknown> => {
      try {
        return await deps.runtime.call(key, method, params, { timeoutMs: config.modelTimeoutMs });
      } catch (error) {
        const modelCode = (error as AppError).details?.modelCode;
        if (modelCode === 'INVALID_ARGUMENT' || modelCode === 'FAILED_PRECONDITION') throw new ModelStatusError(modelCode, (error as Error).message);
        if (error instanceof AppError && error.code === 'NOT_FOUND') {
          await ensure();
          return deps.runtime.call(key, method, params, { timeoutMs: config.modelTimeoutMs });
        }
        throw new ModelStatusError('BAD_IMPLEMENTATION', error instanceof Error ? error.message : 'The model failed.');
      }
    };
    return {
      ensure,
      setup: (input) => call('setup', input),
      call: (input) => call('call', input),
      reset: () => call('reset', {}),
    };
  };

  // ---- workers per joined competition ----
  const stopWorker = async (competitionId: string): Promise<void> => {
    const w = workers.get(competitionId);
    if (!w) return;
    workers.delete(competitionId);
    await w.worker.stop();
    changed(competitionId);
  };

  const reconcileOnce = async (): Promise<void> => {
    if (closed) return;
    let network;
    let memberships: MembershipRow[];
    try {
      network = await deps.activeNetwork();
      memberships = await deps.competitions.activeMemberships();
    } catch {
      return; // the network is not up yet: the next round tries again
    }
    const joined = memberships.filter((m) => m.kind === 'model-runner' && m.state === 'joined');
    const wanted = new Set(joined.map((m) => m.competitionId));
    const payouts = new Map(joined.map((m) => [m.competitionId, m.hotkey]));
    for (const [id, w] of workers) {
      if (payouts.get(id) === w.payout && w.networkId === network.id && w.chainUrl === network.chainUrl) continue;
      if (wanted.has(id)) {
        // Same competition, another payout hotkey (rotated) or network: the runner starts again and registers it.
        await stopWorker(id);
        continue;
      }
      await stopWorker(id);
      await deps.runtime.release(`runner:${id}`).catch(() => undefined);
    }
    for (const id of [...idle.keys()]) if (!wanted.has(id)) idle.delete(id);
    for (const m of joined) {
      if (closed) return;
      if (workers.has(m.competitionId)) continue;
      let entry: CatalogueEntry;
      try {
        entry = (await deps.competitions.entry(m.competitionId)).entry;
        if (entry.runner === undefined) {
          // A catalogue cached by an older version: fetch it again for the runner fields.
          await deps.competitions.list(true);
          entry = (await deps.competitions.entry(m.competitionId)).entry;
        }
      } catch {
        continue;
      }
      if (!entry.runner) {
        idle.set(m.competitionId, 'This competition names no model id, class or certificate domain.');
        continue;
      }
      idle.delete(m.competitionId);
      const competitionId = m.competitionId;
      const worker = new RunnerWorker({
        networkId: network.id,
        networkKind: network.kind,
        competitionId,
        modelId: entry.runner.modelId,
        className: entry.runner.className,
        networkDomain: entry.runner.networkDomain,
        certServiceUrl: async () => {
          try {
            return (await deps.competitions.entry(competitionId)).entry.endpoints.coordinator;
          } catch {
            return entry.endpoints.coordinator;
          }
        },
        payoutHotkey: m.hotkey,
        chain: new RunnerChain(network.chainUrl),
        repo,
        vault: { ...deps.vault.runner, isUnlocked: () => deps.vault.gate.isUnlocked() },
        log: deps.log,
        now: deps.now,
        config,
        model: modelFor(competitionId, entry),
        onChange: () => changed(competitionId),
        onCall,
      });
      workers.set(competitionId, { worker, networkId: network.id, chainUrl: network.chainUrl, payout: m.hotkey });
      deps.log.info('model runner started', { competition: competitionId, model_id: entry.runner.modelId });
      worker.start();
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
        deps.log.warn('model runners could not be updated', { error });
      }
    });
    return reconciling;
  };

  const requireWorker = async (competitionId: string): Promise<RunnerWorker> => {
    await reconcile();
    const w = workers.get(competitionId);
    if (!w) throw new AppError('NOT_FOUND', idle.get(competitionId) ?? 'There is no runner for this competition: join it first (a model-runner competition).');
    return w.worker;
  };

  // A runner deployed elsewhere (TEE) answers for the model: the chain names its address (register_runner).
  const remote = new RemoteRunners({
    db: deps.db,
    log: deps.log,
    now: deps.now,
    runtime: deps.runtime,
    register: async (competitionId, address) => (await requireWorker(competitionId)).registerRemote(address),
  });

  const status = (): RunnerStatus => ({ runners: [...workers.values()].map((w) => viewOf(w.worker)), remote: remote.list() });

  const handlers: HandlerGroup<RunnerMethod> = {
    'runner.status': () => status(),
    'runner.calls': ({ competitionId, limit }) => {
      flush();
      return { calls: repo.calls(competitionId, limit) };
    },
    'runner.setPolicy': async ({ competitionId, policy }) => {
      const w = await requireWorker(competitionId);
      w.setPolicy(policy);
      deps.audit.append({ at: deps.now().toISOString(), actor: 'user', action: 'runner.setPolicy', detail: { competition: competitionId, policy } });
      return viewOf(w);
    },
    'runner.setListen': async ({ competitionId, host, port, acknowledgeRisk }) => {
      const w = await requireWorker(competitionId);
      await w.setListen(host, port, acknowledgeRisk);
      deps.audit.append({ at: deps.now().toISOString(), actor: 'user', action: 'runner.setListen', detail: { competition: competitionId, host, port: port ?? null, acknowledgeRisk } });
      return viewOf(w);
    },
    'runner.rotateHotkey': async ({ competitionId }) => {
      const w = await requireWorker(competitionId);
      await w.rotateHotkey();
      deps.audit.append({ at: deps.now().toISOString(), actor: 'user', action: 'runner.rotateHotkey', detail: { competition: competitionId } });
      return viewOf(w);
    },
    'runner.renewCertificate': async ({ competitionId }) => {
      const w = await requireWorker(competitionId);
      await w.renewCertificate();
      return viewOf(w);
    },
    'runner.addRemote': (input) => remote.add(input),
  };

  const workerState = (competitionId: string, kind: string): WorkerState | null => {
    if (kind !== 'model-runner') return null;
    const w = workers.get(competitionId);
    if (!w) return { running: false, detail: idle.get(competitionId) ?? 'Not serving yet: join the competition (and keep your wallet unlocked).' };
    const { state, detail } = w.worker.stateDetail;
    if (state === 'serving') return { running: true, detail };
    if (state === 'paused-locked') return { running: false, detail: 'Paused: unlock your wallet' };
    return { running: false, detail };
  };

  const lastActivity = (): WorkerActivity | null => {
    let best: WorkerActivity | null = null;
    for (const w of workers.values()) {
      const s = repo.callStats(w.worker.competitionId);
      if (!s.lastCallAt || (best && best.at >= s.lastCallAt)) continue;
      best = { at: s.lastCallAt, ok: s.accepted > 0 ? true : null, detail: `Coordinator calls to your runner: ${s.accepted} answered, ${s.refused} refused` };
    }
    return best;
  };

  return {
    handlers,
    workerState,
    lastActivity,
    worker: (competitionId) => workers.get(competitionId)?.worker,
    start() {
      if (closed) return;
      unsubscribe.push(
        deps.vault.gate.onChange((unlocked) => {
          if (unlocked) for (const w of workers.values()) w.worker.vaultUnlocked();
        }),
        deps.vault.onRotated((role) => {
          if (role === 'smp-hotkey') for (const w of workers.values()) void w.worker.hotkeyRotated();
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
      if (flushTimer) clearTimeout(flushTimer);
      flush();
    },
  };
}

