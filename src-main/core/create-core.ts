import * as nodeCrypto from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AppInfo, HostKind } from '@shared/contract/app';
import type { Settings, SettingsPatch } from '@shared/contract/settings';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { AppService } from './app.service';
import { CheckpointsService } from './checkpoints/checkpoints.service';
import { trainDemoCheckpoint } from './checkpoints/demo-trainer';
import { CompetitionsService } from './competitions/competitions.service';
import { minerKeysFromVault } from './competitions/vault-keys';
import { acquireDataDirLock } from './data-dir-lock';
import { AuditRepo } from './db/audit.repo';
import { openDatabase, type Db } from './db/open';
import { SettingsRepo } from './db/settings.repo';
import { createLogger, type Logger } from './log/logger';
import { NetworksService } from './network/networks.service';
import { createNetworkClient } from './network/practice-client';
import { RewardsService, type WorkerStatus } from './rewards/rewards.service';
import type { PracticeNetworkHost } from './network/practice';
import { EventBus } from './rpc/events';
import type { Handlers } from './rpc/handlers';
import { createRouter, type Router } from './rpc/router';
import { createRuntimeModule } from './runtime/runtime.handlers';
import { createVaultModule, type VaultModule } from './vault/vault.handlers';
import { createInferenceModule } from './inference/inference.module';
import { createRunnerModule } from './runner/runner.module';
import type { WorkerActivity, WorkerModuleDeps } from './module-deps';

/**
 * The composition root: one core per data dir, hosted by Electron's main process or by
 * `minerva serve`. It wires services from config, db, clock and logger; each service contributes
 * a handler group, and the compiler checks that together they cover the whole contract.
 */
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
}

export interface Core {
  readonly router: Router;
  readonly events: EventBus;
  readonly log: Logger;
  readonly db: Db;
  readonly info: AppInfo;
  readonly audit: AuditRepo;
  readonly networks: NetworksService;
  readonly competitions: CompetitionsService;
  /** The wallet; hosts lock it on suspend / screen lock (`vault.service.lock('suspend')`). */
  readonly vault: VaultModule;
  settings(): Settings;
  close(): Promise<void>;
}

export function createCore(options: CoreOptions): Core {
  const now = options.now ?? (() => new Date());
  // Envelopes at OpenSSL speed (AES-NI) instead of WebCrypto's slower path (docs/protocols.md).
  useNodeCryptoAesGcm(nodeCrypto);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const lock = acquireDataDirLock(options.dataDir, options.host);
  const log = createLogger({
    dir: join(options.dataDir, 'logs'),
    homeDir: options.homeDir ?? homedir(),
    ...(options.logConsole === undefined ? {} : { console: options.logConsole }),
  });
  const coreLog = log.scope('core');
  let db: Db;
  try {
    db = openDatabase(join(options.dataDir, 'minerva.db'));
  } catch (error) {
    lock.release();
    log.close();
    throw error;
  }
  const events = new EventBus();
  const audit = new AuditRepo(db);

  const settingsRepo = new SettingsRepo(db);
  const initial = settingsRepo.read();
  if (initial.invalidKeys.length > 0) coreLog.warn('stored settings reset to defaults', { keys: initial.invalidKeys });
  let settings = initial.settings;
  log.setLevel(settings.logLevel);

  const info: AppInfo = {
    name: 'Minerva',
    version: options.version,
    host: options.host,
    platform: process.platform,
    runtime: { node: process.versions.node, electron: options.electronVersion ?? null },
    dataDir: options.dataDir,
    exposedBeyondLoopback: options.exposedBeyondLoopback ?? false,
  };
  const app = new AppService({ info, db, startedAt: Date.now() });

  const updateSettings = (patch: SettingsPatch): Settings => {
    settings = settingsRepo.update(patch, now().toISOString());
    log.setLevel(settings.logLevel);
    audit.append({ at: now().toISOString(), actor: 'user', action: 'settings.update', detail: { keys: Object.keys(patch) } });
    coreLog.info('settings changed', { keys: Object.keys(patch) });
    events.emit('settings.changed', settings);
    return settings;
  };

  const unsubscribeLog = log.onEntry((entry) => events.emit('logs.appended', entry));

  const networks = new NetworksService({
    db,
    audit,
    log: log.scope('networks'),
    practiceHost: options.practiceHost,
    selectedId: () => settings.network,
    select: (id) => updateSettings({ network: id }),
    now,
    onChange: (view) => events.emit('networks.changed', view),
  });

  const vault = createVaultModule({ dataDir: options.dataDir, homeDir: options.homeDir ?? homedir(), log: log.scope('vault'), events, autoLockMinutes: settings.autoLockMinutes, exposedBeyondLoopback: info.exposedBeyondLoopback, now, audit });

  const minerKeys = minerKeysFromVault(vault.service);
  const keys = () => (vault.service.status().state === 'missing' ? undefined : minerKeys);

  const competitions = new CompetitionsService({
    db,
    audit,
    log: log.scope('competitions'),
    activeNetwork: () => networks.active(),
    clientFor: (network) => createNetworkClient(network, now),
    keys,
    now,
    onChange: (view) => events.emit('competitions.changed', view),
  });
  const checkpoints = new CheckpointsService({
    db,
    audit,
    log: log.scope('checkpoints'),
    activeNetwork: () => networks.active(),
    clientFor: (network) => createNetworkClient(network, now),
    competitions,
    keys,
    now,
    onChange: (view) => events.emit('checkpoints.changed', view),
    uploadsDir: join(options.dataDir, 'uploads'),
  });
  const runtime = createRuntimeModule({ dataDir: options.dataDir, log: log.scope('runtime'), events, redact: (text) => log.redactor.text(text), developerMode: () => settings.developerMode });

  const workerDeps = (scope: string): WorkerModuleDeps => ({
    dataDir: options.dataDir,
    db,
    audit,
    log: log.scope(scope),
    events,
    networks,
    activeNetwork: () => networks.active(),
    clientFor: (network) => createNetworkClient(network, now),
    competitions,
    vault: vault.service,
    keys,
    runtime: runtime.service,
    practiceHost: options.practiceHost,
    now,
  });
  // --- private inference (src-main/core/inference) ---
  const inference = createInferenceModule(workerDeps('inference'));
  // --- model runner (src-main/core/runner) ---
  const runner = createRunnerModule(workerDeps('runner'));

  // Checkpoints need no background worker (the miner submits them from the Checkpoints page).
  const workerStatus: WorkerStatus = (id, kind) =>
    kind === 'checkpoint'
      ? { running: true, detail: 'Checkpoints are submitted from the Checkpoints page.' }
      : (inference.workerState(id, kind) ?? runner.workerState(id, kind) ?? { running: false, detail: `Minerva does not run ${kind} work yet in this version.` });
  // The latest of: a checkpoint submission, an inference job, a coordinator call to the runner.
  const lastActivity = (): { ok: boolean | null; detail: string } => {
    const candidates: WorkerActivity[] = [];
    const last = checkpoints.list()[0];
    if (last) {
      const ok = last.state === 'accepted' ? true : last.state === 'rejected' || last.state === 'failed' ? false : null;
      const words = ok === null ? 'in progress' : (last.verdict?.words ?? last.error?.message ?? last.state);
      candidates.push({ at: last.updatedAt, ok, detail: `${last.fileName}: ${words}` });
    }
    for (const a of [inference.lastActivity(), runner.lastActivity()]) if (a) candidates.push(a);
    const latest = candidates.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    if (!latest) return { ok: null, detail: 'No jobs or submissions yet.' };
    return { ok: latest.ok, detail: `${latest.detail} (${new Date(latest.at).toLocaleString()})` };
  };
  const rewards = new RewardsService({
    log: log.scope('rewards'),
    activeNetwork: async () => {
      const active = await networks.active();
      return { ...active, name: networks.view().profiles.find((p) => p.id === active.id)?.name ?? active.id };
    },
    clientFor: (network) => createNetworkClient(network, now),
    keys,
    competitions,
    workerStatus,
    lastActivity,
    now,
  });


  const handlers: Handlers = {
    ...vault.handlers,
    ...runtime.handlers,
    ...inference.handlers,
    ...runner.handlers,
    'app.info': () => app.info(),
    'app.health': () => app.health(),
    'settings.get': () => settings,
    'settings.update': (patch) => updateSettings(patch),
    'logs.tail': (query) => ({ entries: log.tail(query) }),
    'networks.list': () => networks.view(),
    'networks.add': (input) => networks.add(input),
    'networks.remove': ({ id }) => networks.remove(id),
    'networks.select': ({ id }) => networks.select(id),
    'competitions.list': ({ refresh }) => competitions.list(refresh),
    'competitions.join': ({ id }) => competitions.join(id),
    'competitions.leave': ({ id }) => competitions.leave(id),
    'competitions.retry': ({ id }) => competitions.retry(id),
    'rewards.get': ({ range }) => rewards.get(range),
    'checkpoints.list': async () => ({ submissions: checkpoints.list(), rounds: await checkpoints.rounds() }),
    'checkpoints.submitFile': (input) => checkpoints.submitFile(input),
    'checkpoints.trainDemo': async ({ competitionId, steps, expertGroup }) => {
      await checkpoints.assertCanSubmit(competitionId);
      const path = await trainDemoCheckpoint({
        runtime: runtime.service,
        dataDir: options.dataDir,
        competitionId,
        steps,
        onProgress: (p) => events.emit('checkpoints.trainingProgressed', { competitionId, steps, ...p }),
      });
      return checkpoints.submitFile({ competitionId, path, expertGroup });
    },
    'checkpoints.retry': ({ id }) => checkpoints.retry(id),
    'checkpoints.exportReceipt': ({ id }) => checkpoints.receipt(id),
  };

  const router = createRouter(handlers, log.scope('rpc'));
  coreLog.info('core started', { host: options.host, version: options.version });
  // The practice network is the default: bring it up in the background when it is selected.
  if (networks.view().selectedId === 'practice') void networks.ensurePractice();
  competitions.start();
  checkpoints.start();
  rewards.watch((change) => events.emit('rewards.changed', change));
  void runtime.start();
  inference.start();
  runner.start();

  let closed = false;
  return {
    router,
    events,
    log,
    db,
    info,
    audit,
    networks,
    vault,
    competitions,
    settings: () => settings,
    async close() {
      if (closed) return;
      closed = true;
      coreLog.info('core stopping');
      rewards.stop();
      await runner.close();
      await inference.close();
      await checkpoints.close();
      await competitions.close();
      await runtime.close();
      await networks.stop();
      vault.close();
      unsubscribeLog();
      db.close();
      log.close();
      lock.release();
    },
  };
}
