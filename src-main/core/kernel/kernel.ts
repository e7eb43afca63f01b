import type { MethodName } from '@shared/contract';
import type { Settings } from '@shared/contract/settings';
import type { AuditRepo } from '../db/audit.repo';
import type { Migration } from '../db/migrations';
import type { Db } from '../db/open';
import type { Logger } from '../log/logger';
import type { EventBus } from '../rpc/events';
import type { Handler, Handlers } from '../rpc/handlers';
import { resolveConfig, type ConfigEntry, type ConfigInputs, type ConfigSchema } from './config';
import { DomainEvents } from './domain-events';
import type { Feature, FeatureApis, FeatureContext, FeatureInstance, FeatureName, HostFacts } from './feature';
import { FlowEngine } from './flow-engine';
import type { UnlockGate } from './unlock-gate';

/**
 * The kernel turns a list of features into a running core: it resolves every feature's
 * configuration, creates the features in list order (each may `use` the APIs of those before it),
 * merges their handlers (a method claimed twice is a startup error; a method claimed by none is a
 * compile error in create-core.ts), starts their background work, and closes them in reverse order.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- features of any shape
export type AnyFeature = Feature<string, any, any>;

/** Every feature's migrations, in version order (a version used twice is refused). */
export function collectMigrations(features: readonly AnyFeature[], base: readonly Migration[] = []): Migration[] {
  const all = [...base, ...features.flatMap((f): readonly Migration[] => f.migrations ?? [])].sort((a, b) => a.version - b.version);
  for (let i = 1; i < all.length; i += 1) {
    if (all[i]!.version === all[i - 1]!.version) throw new Error(`migration version ${all[i]!.version} is used twice (${all[i - 1]!.name}; ${all[i]!.name})`);
  }
  return all;
}

/** Every feature's configuration with its sources (for `minerva config --json` and the log). */
export function describeConfig(features: readonly AnyFeature[], inputs: ConfigInputs): ConfigEntry[] {
  return features.flatMap((f) => (f.config ? resolveConfig(f.name, f.config as ConfigSchema, inputs).entries : []));
}

type ApiLookup = <K extends FeatureName>(name: K) => FeatureApis[K];

export interface KernelOptions {
  dataDir: string;
  db: Db;
  logger: Logger;
  audit: AuditRepo;
  ui: EventBus;
  now: () => Date;
  host: HostFacts;
  config: ConfigInputs;
  /** The current settings, from the features created so far (the settings feature comes first). */
  settings: (use: ApiLookup) => Settings;
  /**
   * The unlock gate, known once the vault feature exists: the kernel asks for it lazily so that
   * the vault (early in the list) can provide it to every later feature.
   */
  gate: (use: ApiLookup) => UnlockGate;
}

export interface Kernel {
  readonly handlers: Handlers;
  readonly flows: FlowEngine;
  readonly domain: DomainEvents;
  readonly config: ConfigEntry[];
  api<K extends FeatureName>(name: K): FeatureApis[K];
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Long because it is one closure over the kernel's state (APIs, handlers, instances) that each feature's context and the returned kernel share. */
export function createKernel(features: readonly AnyFeature[], options: KernelOptions): Kernel {
  const log = options.logger.scope('kernel');
  const domain = new DomainEvents((event, error) => log.warn('domain event listener failed', { event, error }));
  const apis = new Map<string, unknown>();
  const lookup: ApiLookup = (name) => {
    if (!apis.has(name)) throw new Error(`no feature ${String(name)} (yet)`);
    return apis.get(name) as never;
  };
  const gate: UnlockGate = {
    isUnlocked: () => options.gate(lookup).isUnlocked(),
    whenUnlocked: (signal) => options.gate(lookup).whenUnlocked(signal),
    onChange: (listener) => options.gate(lookup).onChange(listener),
  };
  const flows = new FlowEngine({ gate, log: options.logger.scope('flows'), now: options.now });
  const instances: { name: string; instance: FeatureInstance<MethodName, unknown> }[] = [];
  const handlers = new Map<string, Handler<MethodName>>();
  const config: ConfigEntry[] = [];
  const created: { handlers?: Handlers } = {}; // set once every feature is created

  for (const feature of features) {
    const resolved: { values: unknown; entries: ConfigEntry[] } = feature.config ? resolveConfig(feature.name, feature.config as ConfigSchema, options.config) : { values: {}, entries: [] };
    config.push(...resolved.entries);
    for (const e of resolved.entries) if (e.ignored) log.warn('configuration value ignored (it does not parse); using the default', { key: e.key, from: e.ignored });
    const ctx: FeatureContext<unknown> = {
      name: feature.name,
      dataDir: options.dataDir,
      db: options.db,
      log: options.logger.scope(feature.name),
      logger: options.logger,
      audit: options.audit,
      now: options.now,
      config: resolved.values,
      ui: options.ui,
      domain,
      flows,
      gate,
      host: options.host,
      settings: () => options.settings(lookup),
      use: (name) => {
        if (!apis.has(name)) throw new Error(`feature ${feature.name} uses ${String(name)}, which is not created before it`);
        return apis.get(name) as never;
      },
      handlers: () => {
        if (!created.handlers) throw new Error(`feature ${feature.name} asked for the handlers before every feature was created`);
        return created.handlers;
      },
      configuration: () => config,
    };
    const instance = (feature.create as (ctx: FeatureContext<unknown>) => FeatureInstance<MethodName, unknown>)(ctx);
    if (instance.api !== undefined) apis.set(feature.name, instance.api);
    for (const [method, handler] of Object.entries(instance.handlers ?? {})) {
      if (handlers.has(method)) throw new Error(`contract method ${method} is claimed by two features`);
      handlers.set(method, handler);
    }
    instances.push({ name: feature.name, instance });
  }

  const all = Object.fromEntries(handlers) as Handlers;
  created.handlers = all;
  let started = false;
  let closed = false;
  return {
    handlers: all,
    flows,
    domain,
    config,
    api: lookup,
    async start() {
      if (started || !options.host.background) return;
      started = true;
      for (const { instance } of instances) await instance.start?.();
    },
    async close() {
      if (closed) return;
      closed = true;
      // Running steps stop first (their flows resume at the next start), then the features.
      await flows.close();
      for (const { name, instance } of [...instances].reverse()) {
        try {
          await instance.close?.();
        } catch (error) {
          log.error('feature did not close cleanly', { feature: name, error });
        }
      }
    },
  };
}
