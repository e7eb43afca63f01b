import type { MethodName } from '@shared/contract';
import type { InferenceWorkerView } from '@shared/contract/inference';
import type { CompetitionsApi } from '../competitions/competitions.feature';
import { defineFeature, type FeatureContext } from '../kernel/feature';
import { MembershipWorkers } from '../kernel/membership-workers';
import type { WorkDone, WorkerActivity, WorkerState, WorkReporter } from '../module-deps';
import type { HandlerGroup } from '../rpc/handlers';
import { CompetitionImages } from '../runtime/competition-images';
import { inferenceConfig, type InferenceConfig } from './inference.config';
import { inferenceMigrations } from './inference.migrations';
import { InferenceStatusBoard } from './inference-status';
import { describeEnd, JobFlow } from './job-flow';
import { JobsRepo } from './jobs.repo';
import { KeyCache } from './key-cache';
import { modelFor, modelKey } from './model-port';
import { playgroundSend } from './playground';
import { RouterClient, type EoaSigner } from './router-client';
import { InferenceWorker } from './worker';

/**
 * Private inference (docs/inference.md): one job worker per joined private-inference competition
 * of the active network (the kernel's MembershipWorkers), each job a durable flow on the kernel's
 * flow engine (job-flow.ts) over the jobs table, the figures and batched events
 * (inference-status.ts), and the practice network's Playground (playground.ts). Keys live in
 * memory only and are wiped when the wallet locks.
 */
export type InferenceMethod = Extract<MethodName, `inference.${string}`>;

declare module '../kernel/feature' {
  interface FeatureApis {
    inference: WorkReporter;
  }
}

export const inferenceFeature = defineFeature({
  name: 'inference',
  migrations: inferenceMigrations,
  config: inferenceConfig,
  create(ctx) {
    const inference = createInference(ctx);
    return {
      api: { workerState: (id, kind) => inference.workerState(id, kind), lastActivity: () => inference.lastActivity(), workDone: (networkId, id, kind, since, until) => inference.workDone(networkId, id, kind, since, until) },
      handlers: inference.handlers,
      start: () => inference.start(),
      close: () => inference.close(),
    };
  },
});

interface Idle {
  sessionId: number;
  routerUrl: string;
}

/** The feature's parts, wired together. */
function createInference(ctx: FeatureContext<InferenceConfig>) {
  const { config } = ctx;
  const networks = ctx.use('networks');
  const competitions = ctx.use('competitions');
  const vault = ctx.use('vault');
  const runtime = ctx.use('runtime');
  const repo = new JobsRepo(ctx.db);
  const keys = new KeyCache();
  const images = new CompetitionImages(runtime);
  const idle = new Map<string, Idle>();
  const signer: EoaSigner = { address: () => vault.eoa.address(), sign: (message) => vault.eoa.personalSign(message).signature };

  const board: InferenceStatusBoard = new InferenceStatusBoard({
    ui: ctx.ui,
    repo,
    now: ctx.now,
    workers: () => workers.all(),
    idle: () => [...workers.idle()].map(([competitionId, detail]) => ({ competitionId, detail, sessionId: idle.get(competitionId)?.sessionId ?? 0, routerUrl: idle.get(competitionId)?.routerUrl ?? '' })),
    defaultConcurrency: config.defaultConcurrency,
    statsWindowS: config.statsWindowS,
  });
  const jobs = new JobFlow({ engine: ctx.flows, repo, keys, gate: ctx.gate, log: ctx.log, now: ctx.now, config, onChanged: (rows) => board.jobsChanged(rows) });

  const workers: MembershipWorkers<InferenceWorker> = inferenceWorkers(ctx, { repo, jobs, images, idle, signer, board });

  const handlers: HandlerGroup<InferenceMethod> = {
    'inference.status': () => board.status(),
    'inference.jobs': (query) => repo.list(query),
    'inference.setConcurrency': ({ competitionId, concurrency }) => {
      repo.setConcurrency(competitionId, concurrency, ctx.now().toISOString());
      workers.get(competitionId)?.setConcurrency(concurrency);
      ctx.audit.append({ at: ctx.now().toISOString(), actor: 'user', action: 'inference.setConcurrency', detail: { competition: competitionId, concurrency } });
      return board.status();
    },
    'inference.playgroundSend': (input) => playgroundSend({ networks, competitions, practiceHost: ctx.host.practiceHost, repo, worker: (id) => workerFollowingMembership(workers, competitions, id) }, input),
  };

  let offGate: (() => void) | undefined;
  return {
    handlers,
    workerState: (competitionId: string, kind: string) => workerState(workers, competitionId, kind),
    lastActivity,
    workDone: (networkId: string, competitionId: string, kind: string, since: Date, until: Date): WorkDone | null =>
      kind === 'private-inference' ? { count: repo.countReported(networkId, competitionId, since.getTime(), until.getTime()), one: 'job reported', many: 'jobs reported' } : null,
    start() {
      offGate = ctx.gate.onChange((unlocked) => {
        if (!unlocked) keys.wipe();
        for (const w of workers.all()) w.vaultChanged();
      });
      workers.start();
    },
    async close() {
      offGate?.();
      await workers.close();
      keys.wipe();
      board.close();
    },
  };

  function lastActivity(): WorkerActivity | null {
    const row = repo.lastFinished();
    if (!row || row.finished_ms === null) return null;
    const end = describeEnd(row);
    return end && { at: new Date(row.finished_ms).toISOString(), ...end };
  }
}

/** One worker per joined competition (the kernel's MembershipWorkers), keyed by router URL + session id. */
function inferenceWorkers(
  ctx: FeatureContext<InferenceConfig>,
  parts: { repo: JobsRepo; jobs: JobFlow; images: CompetitionImages; idle: Map<string, Idle>; signer: EoaSigner; board: InferenceStatusBoard },
): MembershipWorkers<InferenceWorker> {
  const { repo, jobs, images, idle, signer, board } = parts;
  const { config } = ctx;
  const runtime = ctx.use('runtime');
  const eoaAddress = (): string | null => {
    try {
      return signer.address();
    } catch {
      return null;
    }
  };
  return new MembershipWorkers<InferenceWorker>({
    kind: 'private-inference',
    log: ctx.log,
    reconcileMs: config.reconcileMs,
    networks: ctx.use('networks'),
    competitions: ctx.use('competitions'),
    domain: ctx.domain,
    // A catalogue cached by an older version has no session id: fetched again once.
    entryReady: (entry) => entry.sessionId !== undefined,
    setup(m, entry) {
      const sessionId = entry.sessionId ?? null;
      const routerUrl = entry.endpoints.router;
      if (sessionId === null || routerUrl === null) {
        idle.set(m.competitionId, { sessionId: sessionId ?? 0, routerUrl: routerUrl ?? '' });
        return routerUrl === null ? 'The router of this competition is not running yet.' : 'This competition names no router session.';
      }
      idle.delete(m.competitionId);
      return { key: `${routerUrl}|${sessionId}` };
    },
    create: (m, entry, network) =>
      new InferenceWorker({
        networkId: network.id,
        competitionId: m.competitionId,
        sessionId: entry.sessionId!,
        client: new RouterClient({ baseUrl: entry.endpoints.router!.replace(/\/+$/, ''), signer, now: ctx.now, timeoutMs: config.callTimeoutMs }),
        repo,
        jobs,
        model: modelFor(runtime, images, m.competitionId, entry, config.modelTimeoutMs),
        gate: ctx.gate,
        log: ctx.log,
        now: ctx.now,
        config,
        concurrency: repo.concurrency(m.competitionId) ?? config.defaultConcurrency,
        eoaAddress,
        onState: () => board.workerChanged(),
        onSlots: () => board.slotsChanged(),
      }),
    // Left (or another network): its model stops too; unfinished jobs stay in the table.
    released: (competitionId) => runtime.release(modelKey(competitionId)),
    onChange: () => board.workerChanged(),
  });
}

/**
 * The competition's worker, after one reconcile when none runs yet: a join resolves (and the
 * catalogue says "joined") a moment before the membership event starts the worker, and a prompt
 * sent in between must not be refused with "Join this competition first" (nor one sent just after
 * leaving be answered by the worker the next reconcile stops).
 */
async function workerFollowingMembership(workers: MembershipWorkers<InferenceWorker>, competitions: CompetitionsApi, competitionId: string): Promise<InferenceWorkerView | undefined> {
  const joined = (await competitions.activeMemberships()).some((m) => m.competitionId === competitionId && m.state === 'joined');
  if (!joined) return undefined;
  if (!workers.get(competitionId)) await workers.reconcile();
  return workers.get(competitionId)?.view();
}

/** The Rewards checklist's "is it answering jobs?" for a competition. */
function workerState(workers: MembershipWorkers<InferenceWorker>, competitionId: string, kind: string): WorkerState | null {
  if (kind !== 'private-inference') return null;
  const w = workers.get(competitionId);
  if (!w) return { running: false, detail: workers.idle().get(competitionId) ?? 'Not answering jobs yet: join the competition (and keep your wallet unlocked).' };
  const v = w.view();
  switch (v.state) {
    case 'running':
      return { running: true, detail: `Answering jobs for session ${v.sessionId}` };
    case 'paused-locked':
      return { running: false, detail: 'Not answering jobs: waiting for your password (the wallet is locked and mining is off)' };
    case 'backoff':
    case 'forbidden':
      return { running: false, detail: v.detail };
    default:
      return { running: false, detail: 'Stopped.' };
  }
}
