import { AppError } from '@shared/contract/errors';
import type { RunnerCallView, RunnerStatus, RunnerView } from '@shared/contract/runner';
import type { CompetitionsApi } from '../competitions/competitions.feature';
import type { MembershipRow } from '../competitions/memberships.repo';
import type { AuditRepo } from '../db/audit.repo';
import type { Db } from '../db/open';
import { numberField, type ConfigSchema, type ConfigValues } from '../kernel/config';
import type { DomainEvents } from '../kernel/domain-events';
import type { FlowEngine, FlowHandle } from '../kernel/flow-engine';
import { MembershipWorkers } from '../kernel/membership-workers';
import type { ScopedLogger } from '../log/logger';
import type { WorkDone, WorkerActivity, WorkerState } from '../module-deps';
import type { CatalogueEntry } from '../network/client';
import type { NetworksApi } from '../network/networks.feature';
import type { ActiveNetwork } from '../network/networks.service';
import type { EventBus } from '../rpc/events';
import type { HandlerGroup } from '../rpc/handlers';
import { CompetitionImages } from '../runtime/competition-images';
import type { RuntimeService } from '../runtime/runtime.service';
import type { VaultCapabilities } from '../vault/capabilities';
import { enrolmentId, enrolmentStore } from './enrolment';
import { enrolmentFlow } from './enrolment-flow';
import type { EnrolmentHost } from './enrolment-steps';
import { checkGatewayTee } from './gateway-mode';
import { RemoteRunners } from './remote';
import { RunnerCallLog } from './runner-calls';
import { RunnerChain } from './runner-chain';
import { modelKey, runnerModel } from './runner-model';
import { RunnerWorker } from './runner-worker';
import { runnerHandlers, type RunnerMethod } from './runner.handlers';
import { RunnerRepo, type EnrolmentRow } from './runner.repo';

/**
 * The model runner feature's body (docs/runner.md, src-main/core/runner/README.md): one runner
 * per joined model-runner competition of the active network (the kernel's MembershipWorkers),
 * each enrolling through the engine's `runner.enrolment` flow and then serving coordinators over
 * mTLS gRPC; plus the TEE-hosted runners the miner registers (remote.ts).
 */
export type { RunnerMethod } from './runner.handlers';

export interface RunnerModule {
  handlers: HandlerGroup<RunnerMethod>;
  /** Workers for joined competitions of this kind, or null for another kind. */
  workerState(competitionId: string, kind: string): WorkerState | null;
  /** The coordinator's latest call, in words. */
  lastActivity(): WorkerActivity | null;
  /** Rounds the runner served for a competition (accepted `Setup` calls) in [since, until). */
  workDone(networkId: string, competitionId: string, kind: string, since: Date, until: Date): WorkDone | null;
  start(): void;
  close(): Promise<void>;
  /** Tests: the worker of a competition (chain facts on demand, the signed container). */
  worker(competitionId: string): RunnerWorker | undefined;
}

/** Defaults, each overridable by an environment variable (docs/runner.md, "Configuration"). */
export const runnerConfig = {
  chainRefreshMs: numberField({ default: 60_000, min: 100, max: 300_000, env: 'MINERVA_RUNNER_CHAIN_REFRESH_MS', doc: 'How often the chain facts (coordinators, CA) are read again (ms).' }),
  certDays: numberField({ default: 30, min: 1, max: 90, int: true, env: 'MINERVA_RUNNER_CERT_DAYS', doc: 'Validity asked for the runner certificate (days).' }),
  renewFraction: numberField({ default: 1 / 3, min: 0.05, max: 0.9, doc: 'Renew the certificate when this fraction of its validity is left.' }),
  checkMs: numberField({ default: 60_000, min: 100, max: 3_600_000, env: 'MINERVA_RUNNER_CHECK_MS', doc: 'How often the runner checks its certificate and chain entry (ms).' }),
  retryMs: numberField({ default: 5_000, min: 50, max: 600_000, env: 'MINERVA_RUNNER_RETRY_MS', doc: 'First wait before an enrolment step is tried again (ms); later waits double, with jitter, up to 8×.' }),
  reconcileMs: numberField({ default: 5_000, min: 100, max: 600_000, env: 'MINERVA_RUNNER_RECONCILE_MS', doc: 'How often memberships are checked again besides change events (ms).' }),
  keepCalls: numberField({ default: 5_000, min: 10, max: 1_000_000, int: true, doc: 'Coordinator calls kept per competition.' }),
  keepPredictions: numberField({ default: 500, min: 10, max: 100_000, int: true, doc: 'Predictions kept per competition.' }),
  modelTimeoutMs: numberField({ default: 30_000, min: 100, max: 600_000, env: 'MINERVA_RUNNER_MODEL_TIMEOUT_MS', doc: 'Model call timeout (ms).' }),
  eventThrottleMs: numberField({ default: 250, min: 0, max: 5_000, doc: 'Batching window of runner.changed events for coordinator calls (ms).' }),
} satisfies ConfigSchema;

export type RunnerModuleConfig = ConfigValues<typeof runnerConfig>;

/** What the runner takes from the kernel and the features before it. */
export interface RunnerModuleDeps {
  db: Db;
  audit: AuditRepo;
  log: ScopedLogger;
  ui: EventBus;
  domain: DomainEvents;
  flows: FlowEngine;
  networks: NetworksApi;
  competitions: CompetitionsApi;
  /** Narrow capabilities: the unlock gate and the runner's keys (never the vault itself). */
  vault: VaultCapabilities;
  runtime: RuntimeService;
  now: () => Date;
}

/**
 * Long because it is the runner's wiring in one closure (call log, membership workers, enrolment
 * hosts, handler table); each part's logic lives in its own file beside this one.
 */
export function createRunnerModule(deps: RunnerModuleDeps, config: RunnerModuleConfig): RunnerModule {
  const repo = new RunnerRepo(deps.db);
  const images = new CompetitionImages(deps.runtime);
  const hosts = new Map<string, EnrolmentHost>();
  const offs: (() => void)[] = [];

  const viewOf = (w: RunnerWorker): RunnerView => w.view(calls.stats(w.competitionId), repo.predictions(w.competitionId, 50));
  /** runner.changed for a competition's current runner (events are already batched by their source). */
  const emit = (competitionId: string, options: { flowId?: string; recentCalls?: RunnerCallView[] } = {}): void => {
    const w = workers.get(competitionId);
    if (w && (options.flowId === undefined || w.id === options.flowId)) deps.ui.emit('runner.changed', { ...viewOf(w), recentCalls: options.recentCalls ?? [] });
  };
  const emitStopped = (w: RunnerWorker): void => {
    try {
      deps.ui.emit('runner.changed', { ...viewOf(w), recentCalls: [] });
    } catch (error) {
      deps.log.debug('the stopped runner could not be shown', { competition: w.competitionId, error }); // core is closing its database
    }
  };
  const calls = new RunnerCallLog({
    repo,
    log: deps.log,
    now: deps.now,
    keepCalls: config.keepCalls,
    batchMs: config.eventThrottleMs,
    changed: (batch) => batch.forEach((recentCalls, id) => emit(id, { recentCalls })),
  });
  const flow = deps.flows.register(
    enrolmentFlow({
      store: enrolmentStore(repo, deps.now),
      host: (id) => hosts.get(id),
      retryMs: config.retryMs,
      onChanged: (rows: EnrolmentRow[]) => rows.forEach((r) => emit(r.competitionId, { flowId: enrolmentId(r.networkId, r.competitionId) })),
    }),
  );

  const workers: MembershipWorkers<RunnerWorker> = new MembershipWorkers<RunnerWorker>({
    kind: 'model-runner',
    log: deps.log,
    reconcileMs: config.reconcileMs,
    networks: deps.networks,
    competitions: deps.competitions,
    domain: deps.domain,
    // A catalogue cached by an older version has no runner fields: fetched again once.
    entryReady: (entry) => entry.runner !== undefined,
    // Another network, chain or payout hotkey (rotated): the runner starts again and registers it.
    setup: (m, entry, network) => (entry.runner ? { key: JSON.stringify([network.id, network.chainUrl, m.hotkey]) } : 'This competition names no model id, class or certificate domain.'),
    create: (m, entry, network) => createWorker({ deps, config, repo, images, hosts, flow, calls, emit, emitStopped }, m, entry, network),
    released: (competitionId) => deps.runtime.release(modelKey(competitionId)),
  });

  const requireWorker = async (competitionId: string): Promise<RunnerWorker> => {
    await workers.reconcile();
    const w = workers.get(competitionId);
    if (!w) throw new AppError('NOT_FOUND', workers.idle().get(competitionId) ?? 'There is no runner for this competition: join it first (a model-runner competition).');
    return w;
  };

  // A runner deployed elsewhere (TEE) answers for the model: the chain names its address (register_runner).
  const remote = new RemoteRunners({ db: deps.db, log: deps.log, now: deps.now, runtime: deps.runtime, register: async (competitionId, address) => (await requireWorker(competitionId)).registerRemote(address) });
  const status = (): RunnerStatus => ({ runners: workers.all().map(viewOf), remote: remote.list() });

  return {
    handlers: runnerHandlers({ repo, calls, remote, audit: deps.audit, now: deps.now, status, viewOf, requireWorker, gatewayTee: (competitionId, input) => checkGatewayTee(deps.runtime, competitionId, input) }),
    workerState: (competitionId, kind) => workerState(workers, competitionId, kind),
    lastActivity: () => lastActivity(workers.all(), calls),
    workDone: (_networkId, competitionId, kind, since, until) => {
      if (kind !== 'model-runner') return null;
      calls.flush();
      return { count: repo.countAccepted(competitionId, 'Setup', since.toISOString(), until.toISOString()), one: 'round served', many: 'rounds served' };
    },
    worker: (competitionId) => workers.get(competitionId),
    start() {
      offs.push(
        deps.vault.gate.onChange((unlocked) => {
          if (unlocked) for (const w of workers.all()) w.resume();
        }),
        deps.vault.onRotated((role) => {
          if (role === 'smp-hotkey') for (const w of workers.all()) void w.hotkeyRotated();
        }),
      );
      workers.start();
    },
    async close() {
      offs.splice(0).forEach((off) => off());
      await workers.close();
      calls.close();
    },
  };
}

/** What every runner of the module shares. */
interface Shared {
  deps: RunnerModuleDeps;
  config: RunnerModuleConfig;
  repo: RunnerRepo;
  images: CompetitionImages;
  hosts: Map<string, EnrolmentHost>;
  flow: FlowHandle<EnrolmentRow>;
  calls: RunnerCallLog;
  emit(competitionId: string): void;
  /** runner.changed for a runner that is no longer in the list (it stopped). */
  emitStopped(worker: RunnerWorker): void;
}

/** The runner of a joined competition, from its catalogue entry (which names the model, class and domain). */
function createWorker(s: Shared, m: MembershipRow, entry: CatalogueEntry, network: ActiveNetwork): RunnerWorker {
  const { deps, config } = s;
  const runner = entry.runner!;
  const competitionId = m.competitionId;
  const worker = new RunnerWorker({
    networkId: network.id,
    networkKind: network.kind,
    competitionId,
    modelId: runner.modelId,
    className: runner.className,
    networkDomain: runner.networkDomain,
    crunch: runner.crunch ?? null,
    certServiceUrl: async () => {
      try {
        return (await deps.competitions.entry(competitionId)).entry.endpoints.coordinator;
      } catch {
        return entry.endpoints.coordinator;
      }
    },
    payoutHotkey: m.hotkey,
    chain: new RunnerChain(network.chainUrl),
    repo: s.repo,
    flow: s.flow,
    hosts: s.hosts,
    onFlowStatus: (listener) => deps.flows.onStatus(listener),
    vault: { ...deps.vault.runner, isUnlocked: () => deps.vault.gate.isUnlocked() },
    log: deps.log,
    now: deps.now,
    config,
    model: runnerModel(deps.runtime, s.images, competitionId, entry, config.modelTimeoutMs),
    onChange: () => s.emit(competitionId),
    onStopped: () => s.emitStopped(worker),
    onCall: (id, record) => s.calls.record(id, record),
  });
  deps.log.info('model runner started', { competition: competitionId, model_id: runner.modelId });
  return worker;
}

/** The Rewards checklist's "is the runner doing its work?". */
function workerState(workers: MembershipWorkers<RunnerWorker>, competitionId: string, kind: string): WorkerState | null {
  if (kind !== 'model-runner') return null;
  const w = workers.get(competitionId);
  if (!w) return { running: false, detail: workers.idle().get(competitionId) ?? 'Not serving yet: join the competition (and keep your wallet unlocked).' };
  const { state, detail } = w.stateDetail;
  if (state === 'serving') return { running: true, detail };
  if (state === 'paused-locked') return { running: false, detail: 'Not serving: waiting for your password (the wallet is locked and mining is off)' };
  return { running: false, detail };
}

/** The coordinator's latest call to any runner, in words. */
function lastActivity(all: readonly RunnerWorker[], calls: RunnerCallLog): WorkerActivity | null {
  let best: WorkerActivity | null = null;
  for (const w of all) {
    const s = calls.stats(w.competitionId);
    if (!s.lastCallAt || (best && best.at >= s.lastCallAt)) continue;
    best = { at: s.lastCallAt, ok: s.accepted > 0 ? true : null, detail: `Coordinator calls to your runner: ${s.accepted} answered, ${s.refused} refused` };
  }
  return best;
}
