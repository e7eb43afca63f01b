import type { AuditRepo } from './db/audit.repo';
import type { Db } from './db/open';
import type { CompetitionsService } from './competitions/competitions.service';
import type { MinerKeys } from './competitions/competitions.service';
import type { ScopedLogger } from './log/logger';
import type { ChainRounds, NetworkClient } from './network/client';
import type { ActiveNetwork, NetworksService } from './network/networks.service';
import type { PracticeNetworkHost } from './network/practice';
import type { EventBus } from './rpc/events';
import type { RuntimeService } from './runtime/runtime.service';
import type { VaultService } from './vault/vault.service';

/**
 * What create-core hands to the worker modules of joined competitions (private inference, model
 * runner): each takes what it needs from here and returns its handler group and lifecycle.
 */
export interface WorkerModuleDeps {
  dataDir: string;
  db: Db;
  audit: AuditRepo;
  log: ScopedLogger;
  events: EventBus;
  networks: NetworksService;
  activeNetwork: () => Promise<ActiveNetwork>;
  clientFor: (network: ActiveNetwork) => NetworkClient & ChainRounds;
  competitions: CompetitionsService;
  vault: VaultService;
  /** Undefined while there is no wallet at all. */
  keys: () => MinerKeys | undefined;
  runtime: RuntimeService;
  practiceHost: PracticeNetworkHost | undefined;
  now: () => Date;
}

/** A tuning number from the environment (tests, operators), clamped to [min, max]; absent or not a number: the default. */
export function envNumber(name: string, dflt: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : dflt;
}

/** The latest thing a worker did, for the Rewards checklist's "last job or submission". */
export interface WorkerActivity {
  /** iso */
  at: string;
  ok: boolean | null;
  detail: string;
}

/** A worker's answer to "is it doing its work?" (the Rewards checklist asks). */
export interface WorkerState {
  running: boolean;
  detail: string;
}
