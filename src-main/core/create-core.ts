import * as nodeCrypto from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AppInfo, HostKind } from '@shared/contract/app';
import type { Settings } from '@shared/contract/settings';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { appFeature } from './app.feature';
import { checkpointsFeature } from './checkpoints/checkpoints.feature';
import { competitionsFeature } from './competitions/competitions.feature';
import { acquireDataDirLock } from './data-dir-lock';
import { AuditRepo } from './db/audit.repo';
import { BASE_MIGRATIONS } from './db/migrations';
import { openDatabase, type Db } from './db/open';
import { inferenceFeature } from './inference/inference.feature';
import type { ConfigEntry } from './kernel/config';
import type { LoginLinkIssuer, MethodsOf } from './kernel/feature';
import { collectMigrations, createKernel, describeConfig } from './kernel/kernel';
import { diagnosticsFeature } from './diagnostics/diagnostics.feature';
import { createLogger, type Logger } from './log/logger';
import { networksFeature } from './network/networks.feature';
import { notificationsFeature } from './notifications/notifications.feature';
import { bittensorFeature } from './network/bittensor.feature';
import type { PracticeNetworkHost } from './network/practice';
import { rewardsFeature } from './rewards/rewards.feature';
import { presenceFeature } from './presence/presence.feature';
import { EventBus } from './rpc/events';
import { createRouter, type Router } from './rpc/router';
import { runnerFeature } from './runner/runner.feature';
import { runtimeFeature } from './runtime/runtime.feature';
import { settingsFeature } from './settings.feature';
import { updatesFeature } from './updates/updates.feature';
import type { UpdateInstaller } from './updates/updates.service';
import { vaultServiceOf, vaultFeature, type VaultApi } from './vault/vault.feature';
import type { VaultService } from './vault/vault.service';
import type { SecretBox } from './vault/mining-keys';
import type { MethodName } from '@shared/contract';

/**
 * The composition root: one core per data dir, hosted by Electron's main process, by
 * `minerva serve`, or opened by the CLI when no app runs. Core is this list of features; the
 * kernel (kernel/) creates them in order, merges their handlers and runs their lifecycles
 * (docs/architecture.md shows one feature written end to end).
 */
export const FEATURES = [
  settingsFeature,
  appFeature,
  vaultFeature,
  networksFeature,
  bittensorFeature,
  competitionsFeature,
  runtimeFeature,
  checkpointsFeature,
  inferenceFeature,
  runnerFeature,
  rewardsFeature,
  presenceFeature,
  updatesFeature,
  notificationsFeature,
  diagnosticsFeature,
] as const;

// Every contract method has exactly one feature (a missing one is a compile error here).
type Missing = Exclude<MethodName, MethodsOf<typeof FEATURES>>;
const everyMethodHandled: [Missing] extends [never] ? true : { missing: Missing } = true;
void everyMethodHandled;

/** Every feature's migrations, in version order. */
export const MIGRATIONS = collectMigrations(FEATURES, BASE_MIGRATIONS);

/** Every configuration field with its value and source, for `minerva config --json`. */
export function coreConfig(flags: Record<string, string | undefined> = {}, env: Record<string, string | undefined> = process.env): ConfigEntry[] {
  return describeConfig(FEATURES, { env, flags });
}

export interface CoreOptions {
  dataDir: string;
  host: HostKind;
  version: string;
  electronVersion?: string | null;
  /** Console sink for log lines; `false` for none (default: stderr). */
  logConsole?: false | ((line: string) => void);
  homeDir?: string;
  exposedBeyondLoopback?: boolean;
  now?: () => Date;
  /** How this host runs the practice network (absent: it cannot, and says so). */
  practiceHost?: PracticeNetworkHost;
  /** Host flags that set configuration fields (`demo-ms` …). */
  flags?: Record<string, string | undefined>;
  /** False: open the data folder to answer questions only; no background work starts. */
  background?: boolean;
  /** The OS keychain (Electron safeStorage) for "resume mining after a restart". */
  secretBox?: SecretBox;
  /** How this host installs a verified update (Electron); absent: updates are only shown. */
  updater?: UpdateInstaller;
  /**
   * Without `updater`: why this installation does not replace itself and what the miner does
   * instead, in words (a per-machine Windows install: run the installer as an administrator).
   * Absent: core's words (install from the website or the package manager).
   */
  noUpdaterWords?: string;
  /** `minerva serve`: one-time browser sign-in addresses for `app.loginLink`. */
  loginLinks?: LoginLinkIssuer;
}

export interface Core {
  readonly router: Router;
  readonly events: EventBus;
  readonly log: Logger;
  readonly db: Db;
  readonly info: AppInfo;
  /** The configuration every feature resolved, with sources. */
  readonly config: ConfigEntry[];
  /** The wallet as hosts see it: they lock it on suspend and screen lock. */
  readonly vault: VaultApi & { readonly service: VaultService };
  settings(): Settings;
  close(): Promise<void>;
}

export function createCore(options: CoreOptions): Core {
  const now = options.now ?? (() => new Date());
  // Envelopes at OpenSSL speed (AES-NI) instead of WebCrypto's slower path (docs/protocols.md).
  useNodeCryptoAesGcm(nodeCrypto);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const lock = acquireDataDirLock(options.dataDir, options.host);
  const homeDir = options.homeDir ?? homedir();
  const log = createLogger({ dir: join(options.dataDir, 'logs'), homeDir, ...(options.logConsole === undefined ? {} : { console: options.logConsole }) });
  tightenDataDir(options.dataDir, log);
  let db: Db;
  try {
    db = openDatabase(join(options.dataDir, 'minerva.db'), MIGRATIONS);
  } catch (error) {
    lock.release();
    log.close();
    throw error;
  }
  const info: AppInfo = {
    name: 'Minerva',
    version: options.version,
    host: options.host,
    platform: process.platform,
    runtime: { node: process.versions.node, electron: options.electronVersion ?? null },
    dataDir: options.dataDir,
    exposedBeyondLoopback: options.exposedBeyondLoopback ?? false,
  };
  const events = new EventBus();
  const kernel = createKernel(FEATURES, {
    dataDir: options.dataDir,
    db,
    logger: log,
    audit: new AuditRepo(db),
    ui: events,
    now,
    host: { info, homeDir, practiceHost: options.practiceHost, background: options.background ?? true, ...(options.secretBox ? { secretBox: options.secretBox } : {}), ...(options.updater ? { updater: options.updater } : {}), ...(options.noUpdaterWords ? { noUpdaterWords: options.noUpdaterWords } : {}), ...(options.loginLinks ? { loginLinks: options.loginLinks } : {}) },
    config: { env: process.env, flags: options.flags ?? {} },
    settings: (use) => use('settings').get(),
    gate: (use) => use('vault').gate,
  });
  const router = createRouter(kernel.handlers, log.scope('rpc'));
  log.scope('core').info('core started', { host: options.host, version: options.version });
  void kernel.start();

  const vault = kernel.api('vault');
  let closed = false;
  return {
    router,
    events,
    log,
    db,
    info,
    config: kernel.config,
    vault: { ...vault, service: vaultServiceOf(vault) },
    settings: () => kernel.api('settings').get(),
    async close() {
      if (closed) return;
      closed = true;
      log.scope('core').info('core stopping');
      await kernel.close();
      db.close();
      log.close();
      lock.release();
    },
  };
}

/**
 * The data folder holds the wallet, the database and logs: only its owner may read it. A folder
 * the user made with a looser mode (0755 by default) is tightened to 0700, and the log says so.
 */
function tightenDataDir(dataDir: string, log: Logger): void {
  if (process.platform === 'win32') return;
  try {
    const mode = statSync(dataDir).mode & 0o777;
    if ((mode & 0o077) === 0) return;
    chmodSync(dataDir, 0o700);
    log.scope('core').warn('the data folder was readable by other users; it is now private (0700)', { was: mode.toString(8) });
  } catch (error) {
    log.scope('core').warn('could not make the data folder private; other users may read it', { error });
  }
}
