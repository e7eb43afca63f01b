import type { CompetitionKind } from '@shared/contract/competitions';
import type { CompetitionsApi } from '../competitions/competitions.feature';
import type { MembershipRow } from '../competitions/memberships.repo';
import type { ScopedLogger } from '../log/logger';
import type { CatalogueEntry } from '../network/client';
import type { NetworksApi } from '../network/networks.feature';
import type { ActiveNetwork } from '../network/networks.service';
import type { DomainEvents } from './domain-events';

/**
 * One background worker per joined competition of a kind on the active network (an inference
 * job loop, a model runner). Reconciles on membership and network changes and on a timer:
 * starts workers for new memberships, stops those left (or of another network), and restarts a
 * worker whose setup changed (router, session, payout hotkey…: `setupKey`). Reconciles never
 * overlap; a request during one runs once more after it.
 */
export interface MembershipWorker {
  start(): void;
  stop(): Promise<void>;
}

export interface MembershipWorkersOptions<W extends MembershipWorker> {
  kind: CompetitionKind;
  log: ScopedLogger;
  reconcileMs: number;
  networks: NetworksApi;
  competitions: CompetitionsApi;
  domain: DomainEvents;
  /** The catalogue entry is complete for this kind (else it is fetched again once). */
  entryReady?(entry: CatalogueEntry): boolean;
  /** What the worker depends on; a change restarts it. A string result: no worker, and why. */
  setup(m: MembershipRow, entry: CatalogueEntry, network: ActiveNetwork): { key: string } | string;
  create(m: MembershipRow, entry: CatalogueEntry, network: ActiveNetwork): W;
  /** The competition was left (or its network deselected): release what the worker held. */
  released?(competitionId: string): Promise<void>;
  /** A worker was started, stopped or marked idle. */
  onChange?(competitionId: string): void;
}

export class MembershipWorkers<W extends MembershipWorker> {
  private readonly workers = new Map<string, { worker: W; networkId: string; key: string }>();
  private readonly idleReasons = new Map<string, string>();
  private readonly offs: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private again = false;
  private closed = false;

  constructor(private readonly o: MembershipWorkersOptions<W>) {}

  get(competitionId: string): W | undefined {
    return this.workers.get(competitionId)?.worker;
  }

  all(): W[] {
    return [...this.workers.values()].map((w) => w.worker);
  }

  /** Joined competitions without a worker, and why (shown in status views). */
  idle(): ReadonlyMap<string, string> {
    return this.idleReasons;
  }

  start(): void {
    if (this.closed) return;
    this.offs.push(
      this.o.domain.on('competitions.changed', () => void this.reconcile()),
      this.o.domain.on('networks.changed', () => void this.reconcile()),
    );
    this.timer = setInterval(() => void this.reconcile(), this.o.reconcileMs);
    this.timer.unref?.();
    void this.reconcile();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.offs.splice(0).forEach((off) => off());
    await this.reconciling.catch(() => undefined);
    await Promise.allSettled([...this.workers.keys()].map((id) => this.stopWorker(id)));
  }

  /** Brings the workers in line with the memberships (at most one at a time). */
  reconcile(): Promise<void> {
    if (this.again) return this.reconciling;
    this.again = true;
    this.reconciling = this.reconciling.then(async () => {
      this.again = false;
      try {
        await this.reconcileOnce();
      } catch (error) {
        this.o.log.warn('workers could not be updated', { kind: this.o.kind, error });
      }
    });
    return this.reconciling;
  }

  private async stopWorker(competitionId: string): Promise<void> {
    const w = this.workers.get(competitionId);
    if (!w) return;
    this.workers.delete(competitionId);
    await w.worker.stop();
    this.o.onChange?.(competitionId);
  }

  private async reconcileOnce(): Promise<void> {
    if (this.closed) return;
    // Never (re)start the practice network from here: that is the networks feature's decision.
    const view = this.o.networks.view();
    if (view.selectedId === 'practice' && view.practice.state !== 'running' && view.practice.state !== 'attached') return;
    let network: ActiveNetwork;
    let joined: MembershipRow[];
    try {
      network = await this.o.networks.active();
      joined = (await this.o.competitions.activeMemberships()).filter((m) => m.kind === this.o.kind && m.state === 'joined');
    } catch {
      return; // the network is not up yet: the next round tries again
    }
    const wanted = new Set(joined.map((m) => m.competitionId));
    for (const [id, w] of this.workers) {
      if (wanted.has(id) && w.networkId === network.id) continue;
      await this.stopWorker(id);
      await this.o.released?.(id).catch(() => undefined);
    }
    for (const id of [...this.idleReasons.keys()]) if (!wanted.has(id)) this.idleReasons.delete(id);
    for (const m of joined) {
      if (this.closed) return;
      await this.ensure(m, network);
    }
  }

  private async ensure(m: MembershipRow, network: ActiveNetwork): Promise<void> {
    let entry: CatalogueEntry;
    try {
      entry = (await this.o.competitions.entry(m.competitionId)).entry;
      if (this.o.entryReady && !this.o.entryReady(entry)) {
        // A catalogue cached by an older version: fetch it again for this kind's fields.
        await this.o.competitions.list(true);
        entry = (await this.o.competitions.entry(m.competitionId)).entry;
      }
    } catch {
      return;
    }
    const setup = this.o.setup(m, entry, network);
    const existing = this.workers.get(m.competitionId);
    if (existing && (typeof setup === 'string' || existing.key !== setup.key)) await this.stopWorker(m.competitionId);
    if (typeof setup === 'string') {
      if (this.idleReasons.get(m.competitionId) !== setup) {
        this.idleReasons.set(m.competitionId, setup);
        this.o.onChange?.(m.competitionId);
      }
      return;
    }
    if (this.workers.has(m.competitionId)) return;
    this.idleReasons.delete(m.competitionId);
    const worker = this.o.create(m, entry, network);
    this.workers.set(m.competitionId, { worker, networkId: network.id, key: setup.key });
    worker.start();
    this.o.onChange?.(m.competitionId);
  }
}
