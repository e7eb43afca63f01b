import { statfsSync } from 'node:fs';
import type { AppHealth, AppInfo, HealthCheck } from '@shared/contract/app';
import type { Db } from './db/open';

export interface AppServiceDeps {
  info: AppInfo;
  db: Db;
  startedAt: number;
}

/** `app.info` and `app.health`: facts about this running app, never secrets. */
export class AppService {
  constructor(private readonly deps: AppServiceDeps) {}

  info(): AppInfo {
    return this.deps.info;
  }

  health(): AppHealth {
    const checks: HealthCheck[] = [];
    try {
      const row = this.deps.db.prepare('SELECT 1 AS one').get() as { one: number };
      const version = this.deps.db.pragma('user_version', { simple: true }) as number;
      checks.push({ id: 'database', ok: row.one === 1, detail: `schema ${version}` });
    } catch (error) {
      checks.push({ id: 'database', ok: false, detail: `not readable: ${(error as Error).message}` });
    }
    try {
      const fs = statfsSync(this.deps.info.dataDir);
      const freeMiB = Math.floor((fs.bavail * fs.bsize) / (1024 * 1024));
      checks.push({ id: 'disk', ok: freeMiB > 512, detail: `${freeMiB} MiB free in the data folder` });
    } catch {
      checks.push({ id: 'disk', ok: false, detail: 'free space unknown' });
    }
    return { status: checks.every((c) => c.ok) ? 'ok' : 'degraded', checks, uptimeMs: Date.now() - this.deps.startedAt };
  }
}
