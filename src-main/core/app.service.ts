import { statfsSync } from 'node:fs';
import type { AppHealth, AppInfo, HealthCheck } from '@shared/contract/app';
import type { EarningVerdict } from '@shared/contract/rewards';
import type { KeySafetyWarning } from '@shared/contract/vault';
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

  /**
   * The services' checks, and — when given — key safety and earning, so that the Dashboard, the
   * CLI and the diagnostics bundle all say "Everything is working" only when it is.
   */
  health(state: HealthState = {}): AppHealth {
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
    if (state.warnings) checks.push(keySafetyCheck(state.warnings));
    if (state.earning && state.earning.length > 0) checks.push(earningCheck(state.earning));
    return { status: checks.every((c) => c.ok) ? 'ok' : 'degraded', checks, uptimeMs: Date.now() - this.deps.startedAt };
  }
}

/** What health reads from other features (absent: it could not be read, and is left out). */
export interface HealthState {
  warnings?: readonly KeySafetyWarning[];
  earning?: readonly EarningVerdict[];
}

/** A critical key-safety warning makes the app unhealthy (the warning's title, and where to fix it). */
export function keySafetyCheck(warnings: readonly KeySafetyWarning[]): HealthCheck {
  const critical = warnings.filter((w) => w.severity === 'critical');
  return {
    id: 'key safety',
    ok: critical.length === 0,
    detail: critical.length === 0 ? 'No critical key-safety warning.' : `${critical.map((w) => w.title).join('; ')} (see Wallet & Security)`,
  };
}

/** "Work done, nothing paid" for any joined competition makes the app unhealthy. */
export function earningCheck(earning: readonly EarningVerdict[]): HealthCheck {
  const unpaid = earning.filter((v) => v.state === 'unpaid');
  return {
    id: 'earning',
    ok: unpaid.length === 0,
    detail: unpaid.length > 0 ? unpaid.map((v) => v.words).join(' ') : earning.some((v) => v.state === 'paid') ? 'Work done is being paid.' : 'No work is waiting for a payment.',
  };
}
