import type { AuditRepo } from './db/audit.repo';
import type { Db } from './db/open';
import type { CompetitionsApi } from './competitions/competitions.feature';
import type { MinerKeys } from './competitions/competitions.service';
import type { ScopedLogger } from './log/logger';
import type { ChainRounds, NetworkClient } from './network/client';
import type { NetworksApi } from './network/networks.feature';
import type { ActiveNetwork } from './network/networks.service';
import type { PracticeNetworkHost } from './network/practice';
import type { EventBus } from './rpc/events';
import type { RuntimeService } from './runtime/runtime.service';
import type { DomainEvents } from './kernel/domain-events';
import type { VaultCapabilities } from './vault/capabilities';

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
  networks: NetworksApi;
  activeNetwork: () => Promise<ActiveNetwork>;
  clientFor: (network: ActiveNetwork) => NetworkClient & ChainRounds;
  competitions: CompetitionsApi;
  /** Narrow capabilities: the unlock gate and a signer per role (never the vault itself). */
  vault: VaultCapabilities;
  /** Typed events between features (memberships and networks changed). */
  domain: DomainEvents;
  /** Undefined while there is no wallet at all. */
  keys: () => MinerKeys | undefined;
  runtime: RuntimeService;
  practiceHost: PracticeNetworkHost | undefined;
  now: () => Date;
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

/** Work a feature did for a competition over a span of time (the checklist's "work done, nothing paid"). */
export interface WorkDone {
  count: number;
  /** How to name one unit and many: "job reported" / "jobs reported". */
  one: string;
  many: string;
}

/** What a work feature tells the Rewards checklist: is it working, what did it do last, and how much. */
export interface WorkReporter {
  /** The worker of a joined competition of this feature's kind, or null for another kind. */
  workerState(competitionId: string, kind: string): WorkerState | null;
  lastActivity(): WorkerActivity | null;
  /** Work that earns for a competition of this feature's kind in [since, until), or null for another kind. */
  workDone(networkId: string, competitionId: string, kind: string, since: Date, until: Date): WorkDone | null;
}
