import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodName } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { RuntimeContainer, RuntimeStatus } from '@shared/contract/runtime';
import type { EventBus } from '../rpc/events';
import type { HandlerGroup } from '../rpc/handlers';
import { LABEL, type RedactFn, type RuntimeLogger } from './types';
import { RuntimeService, type RuntimeServiceOptions } from './runtime.service';

/**
 * The runtime's share of the contract (`runtime.*`) and its wiring into core: model state
 * changes go out as `runtime.modelChanged`; developer mode is read from settings on every check.
 */
export type RuntimeMethod = Extract<MethodName, `runtime.${string}`>;

export interface RuntimeModuleOptions {
  dataDir: string;
  log: RuntimeLogger;
  events: EventBus;
  redact: RedactFn;
  developerMode: () => boolean;
  /** Folder holding `models/` (demo bundles); found next to the app when omitted. */
  resourcesDir?: string;
  /** Competition changes (the models of a left competition are stopped). */
  onCompetitionsChanged: (listener: (view: CompetitionsView) => void) => () => void;
  service?: Partial<RuntimeServiceOptions>;
}

export interface RuntimeModule {
  service: RuntimeService;
  handlers: HandlerGroup<RuntimeMethod>;
  /** Probes the engine and starts the reaper (never throws). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Where the demo bundles are: MINERVA_RESOURCES_DIR, next to the built app, or the working directory. */
export function findResourcesDir(explicit?: string): string | null {
  const here = typeof __dirname === 'string' ? __dirname : null;
  const candidates = [explicit, process.env.MINERVA_RESOURCES_DIR, here ? join(here, '..', '..', 'resources') : null, here ? join(here, '..', 'resources') : null, join(process.cwd(), 'resources')];
  for (const c of candidates) if (c && existsSync(join(c, 'models', 'README.md'))) return c;
  return null;
}

/** Long because most of it is the handler table: one short entry per `runtime.*` method. */
export function createRuntimeModule(options: RuntimeModuleOptions): RuntimeModule {
  const service = new RuntimeService({
    dataDir: options.dataDir,
    developerMode: options.developerMode,
    redact: options.redact,
    log: options.log,
    onModelState: (key, state) => options.events.emit('runtime.modelChanged', { key, state }),
    onModelLog: (key, line) => options.events.emit('runtime.modelLogged', { key, line }),
    ...options.service,
  });

  // Stop on leave: a competition whose membership is no longer joining/joined has no use for its models.
  const unsubscribeCompetitions = options.onCompetitionsChanged((view) => {
    for (const c of view.competitions) {
      const state = c.membership?.state;
      if (state === 'joined' || state === 'joining') continue;
      void service.releaseCompetition(c.id).catch((err: unknown) => options.log.warn('could not stop the models of a left competition', { competitionId: c.id, error: (err as Error).message }));
    }
  });

  const status = (engine: RuntimeStatus['engine']): RuntimeStatus => ({ engine, developerMode: options.developerMode(), lastReap: service.lastReapResult });

  const containers = (): Promise<RuntimeContainer[]> => containerViews(service);

  const handlers: HandlerGroup<RuntimeMethod> = {
    'runtime.status': async () => status(await service.status()),
    'runtime.checkEngine': async () => status(await service.status()),
    'runtime.images': async () => ({ images: await service.images() }),
    'runtime.containers': async () => ({ containers: await containers() }),
    'runtime.isolation': async ({ containerId }) => {
      const report = await service.isolation(containerId);
      if (!report) throw new AppError('NOT_FOUND', 'That container no longer exists.');
      return report;
    },
    'runtime.logs': ({ key, afterSeq, limit }) => ({ lines: service.logs(key, limit, afterSeq) }),
    'runtime.startDemo': async ({ name }) => {
      const resources = findResourcesDir(options.resourcesDir);
      if (!resources) throw new AppError('NOT_FOUND', 'The demo model bundles were not found next to the app (resources/models). Reinstall Minerva or set MINERVA_RESOURCES_DIR.');
      const built = await service.buildBundle(join(resources, 'models', name));
      const key = `demo:${name}`;
      const model = await service.ensureRunning({ key, role: { job: key }, image: built.reference, keepWarm: true });
      return { key, reference: built.reference, containerId: model.containerId, state: model.state };
    },
    'runtime.pullImage': async ({ reference }) => {
      const pin = await service.pull(reference, (p) =>
        options.events.emit('runtime.pullProgressed', { reference, status: p.status, layer: p.id ?? null, current: p.current ?? null, total: p.total ?? null }),
      );
      return { reference: pin.reference, imageId: pin.imageId };
    },
    'runtime.stopModel': async ({ key }) => {
      await service.release(key);
      return { ok: true as const };
    },
    'runtime.reap': async () => {
      const r = await service.reapNow();
      return { removed: r.removed.length, kept: r.kept };
    },
    'runtime.teeChecks': () => ({ records: service.tee.results() }),
    'runtime.checkTee': async ({ runnerId, quoteB64, collateral, at, expectedReportData, mrTd, allowSwHardening }) => {
      const quote = new Uint8Array(Buffer.from(quoteB64, 'base64'));
      return service.tee.check(
        {
          id: runnerId,
          quote: () => Promise.resolve(quote),
          ...(expectedReportData ? { binding: { reportDataHex: expectedReportData.replace(/^0x/, '') } } : {}),
          policy: { allowSwHardening, ...(mrTd ? { mrTd } : {}) },
        },
        { ...(collateral ? { collateral } : {}), ...(at ? { nowMs: Date.parse(at) } : {}) },
      );
    },
  };

  return {
    service,
    handlers,
    async start() {
      await service.start();
    },
    close: () => {
      unsubscribeCompetitions();
      return service.close();
    },
  };
}

/** The managed containers with their model's state and live usage (the Runtime page's table). */
async function containerViews(service: RuntimeService): Promise<RuntimeContainer[]> {
  const list = await service.containers();
  const models = service.summaries();
  return Promise.all(
    list.map(async (c) => {
      const summary = models.find((m) => m.containerId === c.id) ?? null;
      const model = summary ? service.model(summary.key) : null;
      let usage: RuntimeContainer['usage'] = null;
      if (c.state === 'running' && model) usage = await model.usage().catch(() => null);
      return {
        id: c.id,
        name: c.name,
        image: c.image,
        state: c.state,
        status: c.status,
        createdAt: c.createdAt,
        job: c.labels[LABEL.job] ?? null,
        runner: c.labels[LABEL.runner] ?? null,
        model: summary ? { key: summary.key, state: summary.state, restarts: summary.restarts, lastFailure: summary.lastFailure, keepWarm: summary.keepWarm } : null,
        usage,
      };
    }),
  );
}
