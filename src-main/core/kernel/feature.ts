import type { MethodName } from '@shared/contract';
import type { AppInfo, LoginLink } from '@shared/contract/app';
import type { Settings } from '@shared/contract/settings';
import type { AuditRepo } from '../db/audit.repo';
import type { Migration } from '../db/migrations';
import type { Db } from '../db/open';
import type { Logger, ScopedLogger } from '../log/logger';
import type { PracticeNetworkHost } from '../network/practice';
import type { EventBus } from '../rpc/events';
import type { HandlerGroup, Handlers } from '../rpc/handlers';
import type { ConfigEntry, ConfigSchema, ConfigValues } from './config';
import type { DomainEvents } from './domain-events';
import type { FlowEngine } from './flow-engine';
import type { SecretBox } from '../vault/mining-keys';
import type { UnlockGate } from './unlock-gate';
import type { UpdateInstaller } from '../updates/updates.service';

/**
 * A feature declares itself once: its name, its configuration fields, its migrations, and a
 * `create` that receives the kernel's context and returns its handlers (its share of the
 * contract), its public API for other features, and its lifecycle. `create-core.ts` is the list
 * of features; the kernel (kernel.ts) does the rest.
 *
 * Features reach each other only through `ctx.use(name)` (the other feature's declared API) and
 * typed domain events; they never receive another feature's internals. The vault hands out
 * narrow capabilities (an unlock gate, a signer per role), never the vault itself.
 *
 * A feature's public API is typed by declaration merging, next to the feature:
 *
 *   declare module '../kernel/feature' { interface FeatureApis { competitions: CompetitionsApi } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface FeatureApis {}

export type FeatureName = keyof FeatureApis;

export interface HostFacts {
  info: AppInfo;
  homeDir: string;
  /** How this host runs the practice network (absent: it cannot, and says so). */
  practiceHost: PracticeNetworkHost | undefined;
  /** False for a core opened only to answer questions (the CLI with no app running). */
  background: boolean;
  /** The OS keychain (Electron safeStorage) for "resume mining after a restart"; absent headless. */
  secretBox?: SecretBox;
  /** How this host installs a verified update (the desktop app); absent headless. */
  updater?: UpdateInstaller;
  /** Without `updater`: why this installation does not replace itself, and what to do, in words. */
  noUpdaterWords?: string;
  /** `minerva serve`: makes one-time browser sign-in addresses (`app.loginLink`); absent on the desktop. */
  loginLinks?: LoginLinkIssuer;
}

export interface LoginLinkIssuer {
  issue(): LoginLink;
}

export interface FeatureContext<C = Record<string, never>> {
  readonly name: string;
  readonly dataDir: string;
  readonly db: Db;
  readonly log: ScopedLogger;
  /** The root logger (for redaction and the Logs page); features log through `log`. */
  readonly logger: Logger;
  readonly audit: AuditRepo;
  readonly now: () => Date;
  readonly config: C;
  /** Events pushed to every connected UI (typed by the contract). */
  readonly ui: EventBus;
  /** Typed events between features. */
  readonly domain: DomainEvents;
  readonly flows: FlowEngine;
  /** The one wait-for-unlock (from the vault feature). */
  readonly gate: UnlockGate;
  readonly host: HostFacts;
  settings(): Settings;
  /** Another feature's public API (it must come earlier in the list). */
  use<K extends FeatureName>(name: K): FeatureApis[K];
  /**
   * Every feature's contract handlers, once all features are created (throws before): for a
   * report that reads the app exactly as the UI sees it (the diagnostics bundle).
   */
  handlers(): Handlers;
  /** Every feature's configuration with its sources (as `minerva config` prints it). */
  configuration(): ConfigEntry[];
}

export interface FeatureInstance<M extends MethodName = never, A = undefined> {
  handlers?: HandlerGroup<M>;
  api?: A;
  /** Background work (not called for a core opened without background work). */
  start?(): void | Promise<void>;
  /** Stops background work; called in reverse list order. */
  close?(): void | Promise<void>;
}

export interface Feature<N extends string = string, M extends MethodName = MethodName, S extends ConfigSchema = ConfigSchema> {
  name: N;
  config?: S;
  migrations?: readonly Migration[];
  create(ctx: FeatureContext<ConfigValues<S>>): FeatureInstance<M, N extends FeatureName ? FeatureApis[N] : undefined>;
}

/** Declares a feature with its types inferred (methods from its handlers, config from its schema). */
export function defineFeature<N extends string, M extends MethodName = never, S extends ConfigSchema = Record<string, never>>(feature: Feature<N, M, S>): Feature<N, M, S> {
  return feature;
}

/** The contract methods a list of features implements. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any feature
type MethodsOfOne<T> = T extends Feature<any, infer M, any> ? M : never;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any feature of the list
export type MethodsOf<F extends readonly Feature<any, any, any>[]> = MethodsOfOne<F[number]>;
