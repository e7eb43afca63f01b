import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AppInfo, HostKind } from '@shared/contract/app';
import type { Settings, SettingsPatch } from '@shared/contract/settings';
import { AppService } from './app.service';
import { AuditRepo } from './db/audit.repo';
import { openDatabase, type Db } from './db/open';
import { SettingsRepo } from './db/settings.repo';
import { createLogger, type Logger } from './log/logger';
import { EventBus } from './rpc/events';
import type { Handlers } from './rpc/handlers';
import { createRouter, type Router } from './rpc/router';

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
}

export interface Core {
  readonly router: Router;
  readonly events: EventBus;
  readonly log: Logger;
  readonly db: Db;
  readonly info: AppInfo;
  readonly audit: AuditRepo;
  settings(): Settings;
  close(): Promise<void>;
}

export function createCore(options: CoreOptions): Core {
  const now = options.now ?? (() => new Date());
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger({
    dir: join(options.dataDir, 'logs'),
    homeDir: options.homeDir ?? homedir(),
    ...(options.logConsole === undefined ? {} : { console: options.logConsole }),
  });
  const coreLog = log.scope('core');
  const db = openDatabase(join(options.dataDir, 'minerva.db'));
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

  const handlers: Handlers = {
    'app.info': () => app.info(),
    'app.health': () => app.health(),
    'settings.get': () => settings,
    'settings.update': (patch) => updateSettings(patch),
    'logs.tail': (query) => ({ entries: log.tail(query) }),
  };

  const router = createRouter(handlers, log.scope('rpc'));
  coreLog.info('core started', { host: options.host, version: options.version });

  let closed = false;
  return {
    router,
    events,
    log,
    db,
    info,
    audit,
    settings: () => settings,
    async close() {
      if (closed) return;
      closed = true;
      coreLog.info('core stopping');
      unsubscribeLog();
      db.close();
      log.close();
      await Promise.resolve();
    },
  };
}
