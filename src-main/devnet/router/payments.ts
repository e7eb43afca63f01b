/**
 * The router pays per epoch (docs/practice-network.md §8, "Rewards"), as the validator pays per
 * round and the coordinator per epoch: every job whose result the router **accepted** (state
 * `done`) is a credit of the miner that reported it; once a chain epoch has ended, the
 * competition's `emission_per_epoch` is split in proportion to each hotkey's credits of that epoch
 * (floored to base units) and sent as one `emit_rewards` signed by the router authority key. The
 * chain pays each hotkey's coldkey and refuses a second payment of an epoch
 * (`EPOCH_ALREADY_PAID`), so a restart between sending and recording never pays twice.
 *
 * A credit gets its epoch from the chain head the payer last read (at most one tick old; a credit
 * made while the chain was never read gets the epoch of the next tick), and its hotkey from the
 * chain's session members (PROTOCOLS §2.9: the EOA a miner joined with names its hotkey). A
 * miner allowed only by `ENCRYPTION_ALLOWED_LIST` has no hotkey and is not paid; a hotkey that is
 * no longer registered when its epoch is paid is left out (the chain would refuse the whole
 * transaction).
 */
import { authorityKey } from '../common/keys';
import { ChainClient } from '../chain/chain-client';
import type { DevnetLog } from '../common/http';
import type { RouterDb } from './router-db';

/** How often the payer reads the chain head, names credits and pays ended epochs (default 1 s). */
export const PAY_INTERVAL_MS = 1000;
/** Credits of paid epochs are kept this long (for the operator and tests). */
const PAID_CREDITS_KEPT_MS = 2 * 60 * 60 * 1000;

export interface EpochPayout {
  competition_id: string;
  epoch: number;
  tx_id: string | null;
  block: number | null;
  /** `paid`: in a block; `nothing`: no payable credit (no transaction); `elsewhere`: the chain had it paid already. */
  state: 'paid' | 'nothing' | 'elsewhere';
  payouts: { hotkey: string; amount: string; jobs: number }[];
}

export function migratePayments(db: RouterDb): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS job_credits (
      job_id TEXT PRIMARY KEY, session_id INTEGER NOT NULL, competition_id TEXT NOT NULL,
      miner TEXT NOT NULL, hotkey TEXT, epoch INTEGER, credited_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS job_credits_epoch ON job_credits(competition_id, epoch);
    CREATE TABLE IF NOT EXISTS epoch_payouts (
      competition_id TEXT NOT NULL, epoch INTEGER NOT NULL, state TEXT NOT NULL,
      tx_id TEXT, block INTEGER, payouts_json TEXT NOT NULL, at INTEGER NOT NULL,
      PRIMARY KEY (competition_id, epoch)) WITHOUT ROWID;`);
}

export interface RouterPaymentsOptions {
  dataDir: string;
  db: RouterDb;
  chainUrl: () => string | null;
  log: DevnetLog;
  intervalMs?: number;
}

export class RouterPayments {
  private client: ChainClient | undefined;
  private readonly current = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private readonly unknown = new Set<string>();
  private readonly paidWaiters: { competitionId: string; epoch: number; resolve: (p: EpochPayout) => void }[] = [];

  constructor(private readonly options: RouterPaymentsOptions) {
    migratePayments(options.db);
  }

  /** A result the router accepted: one credit for `miner` (lowercase EOA) in the epoch under way. */
  credit(job: { job_id: string; session_id: number }, competitionId: string, miner: string, nowMs: number): void {
    let epoch = this.current.get(competitionId) ?? null;
    // A head read long ago (the chain away) may name an epoch already settled: the next tick names it instead.
    if (epoch !== null && this.options.db.prepare(`SELECT 1 FROM epoch_payouts WHERE competition_id = ? AND epoch = ?`).get(competitionId, epoch)) epoch = null;
    this.options.db
      .prepare(`INSERT INTO job_credits(job_id, session_id, competition_id, miner, epoch, credited_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(job_id) DO NOTHING`)
      .run(job.job_id, job.session_id, competitionId, miner, epoch, nowMs);
  }

  start(): void {
    const schedule = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.inFlight = this.tick()
          .then(() => undefined)
          .catch((error: unknown) => this.options.log.warn('router payments: tick failed', { error: error instanceof Error ? error.message : 'unknown' }))
          .finally(() => {
            this.inFlight = undefined;
            schedule();
          });
      }, this.options.intervalMs ?? PAY_INTERVAL_MS);
      this.timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }

  private chain(): ChainClient | null {
    const url = this.options.chainUrl();
    if (url === null) return null;
    if (this.client?.url !== url) this.client = new ChainClient(url);
    return this.client;
  }

  /** Reads the head epoch of every credited competition, names credits, and pays ended epochs. */
  async tick(): Promise<EpochPayout[]> {
    const chain = this.chain();
    if (!chain) return [];
    const db = this.options.db;
    // Every competition with a session here (so a credit always finds a fresh head), and any credited one.
    const competitions = (
      db.prepare(`SELECT competition_id FROM sessions WHERE competition_id IS NOT NULL UNION SELECT competition_id FROM job_credits`).all() as { competition_id: string }[]
    ).map((r) => r.competition_id);
    const done: EpochPayout[] = [];
    for (const competitionId of competitions) {
      if (this.stopped) break;
      let head;
      try {
        head = await chain.call('chain_getEpoch', { competition_id: competitionId }, { timeoutMs: 5000 });
        this.unknown.delete(competitionId);
      } catch (error) {
        // A session of a competition this chain does not know (or the chain away): said once, tried again.
        if (!this.unknown.has(competitionId)) this.options.log.warn('router payments: no epoch for competition', { competition: competitionId, error: error instanceof Error ? error.message : 'unknown' });
        this.unknown.add(competitionId);
        continue;
      }
      this.current.set(competitionId, head.epoch);
      db.prepare(`UPDATE job_credits SET epoch = ? WHERE competition_id = ? AND epoch IS NULL`).run(head.epoch, competitionId);
      await this.nameHotkeys(chain, competitionId);
      const ended = db
        .prepare(`SELECT DISTINCT epoch FROM job_credits WHERE competition_id = ? AND epoch < ? AND epoch NOT IN (SELECT epoch FROM epoch_payouts WHERE competition_id = ?) ORDER BY epoch`)
        .all(competitionId, head.epoch, competitionId) as { epoch: number }[];
      for (const { epoch } of ended) {
        if (this.stopped) break;
        const payout = await this.payEpoch(chain, competitionId, epoch, head.epoch_blocks);
        done.push(payout);
        this.settled(payout);
      }
    }
    db.prepare(`DELETE FROM job_credits WHERE credited_at < ? AND epoch IN (SELECT epoch FROM epoch_payouts p WHERE p.competition_id = job_credits.competition_id)`).run(Date.now() - PAID_CREDITS_KEPT_MS);
    return done;
  }

  /** Credits without a hotkey get the hotkey their EOA is a session member with ('' when none: not payable). */
  private async nameHotkeys(chain: ChainClient, competitionId: string): Promise<void> {
    const db = this.options.db;
    const sessions = db.prepare(`SELECT DISTINCT session_id FROM job_credits WHERE competition_id = ? AND hotkey IS NULL`).all(competitionId) as { session_id: number }[];
    for (const { session_id } of sessions) {
      const { members } = await chain.call('chain_getSessionMembers', { session_id }, { timeoutMs: 5000 });
      const byEoa = new Map(members.filter((m) => m.competition_id === competitionId).map((m) => [m.eoa.toLowerCase(), m.hotkey]));
      const rows = db.prepare(`SELECT job_id, miner FROM job_credits WHERE competition_id = ? AND session_id = ? AND hotkey IS NULL`).all(competitionId, session_id) as { job_id: string; miner: string }[];
      const set = db.prepare(`UPDATE job_credits SET hotkey = ? WHERE job_id = ?`);
      db.transaction(() => {
        for (const r of rows) set.run(byEoa.get(r.miner) ?? '', r.job_id);
      })();
    }
  }

  /** One `emit_rewards` for an ended epoch, split by accepted jobs per registered hotkey. */
  private async payEpoch(chain: ChainClient, competitionId: string, epoch: number, epochBlocks: number): Promise<EpochPayout> {
    const db = this.options.db;
    const record = (p: EpochPayout): EpochPayout => {
      db.prepare(`INSERT INTO epoch_payouts(competition_id, epoch, state, tx_id, block, payouts_json, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(competition_id, epoch) DO NOTHING`).run(
        competitionId,
        epoch,
        p.state,
        p.tx_id,
        p.block,
        JSON.stringify(p.payouts),
        Date.now(),
      );
      return p;
    };
    const info = await chain.call('chain_getEpoch', { competition_id: competitionId, block: epoch * epochBlocks }, { timeoutMs: 5000 });
    if (info.paid_block !== null) {
      this.options.log.info('router payments: epoch already paid on chain', { competition: competitionId, epoch, block: info.paid_block });
      return record({ competition_id: competitionId, epoch, tx_id: null, block: info.paid_block, state: 'elsewhere', payouts: [] });
    }
    const counts = db.prepare(`SELECT hotkey, COUNT(*) AS n FROM job_credits WHERE competition_id = ? AND epoch = ? AND hotkey IS NOT NULL AND hotkey != '' GROUP BY hotkey ORDER BY hotkey`).all(competitionId, epoch) as { hotkey: string; n: number }[];
    const payable: { hotkey: string; n: number }[] = [];
    for (const c of counts) {
      if ((await chain.call('chain_getHotkey', { competition_id: competitionId, hotkey: c.hotkey }, { timeoutMs: 5000 })).registered) payable.push(c);
    }
    const total = BigInt(payable.reduce((sum, c) => sum + c.n, 0));
    // `chain_getEpoch` gives the emission in whole tokens; the competition's record, in base units.
    const competition = (await chain.call('chain_listCompetitions', {}, { timeoutMs: 5000 })).competitions.find((c) => c.competition_id === competitionId);
    if (!competition) throw new Error(`The chain has no competition ${competitionId}.`);
    const emission = BigInt(competition.emission_per_epoch);
    const payouts = total === 0n ? [] : payable.map((c) => ({ hotkey: c.hotkey, jobs: c.n, amount: ((emission * BigInt(c.n)) / total).toString() })).filter((p) => p.amount !== '0');
    if (payouts.length === 0) {
      this.options.log.info('router payments: epoch without payable jobs', { competition: competitionId, epoch });
      return record({ competition_id: competitionId, epoch, tx_id: null, block: null, state: 'nothing', payouts: [] });
    }
    const { tx_id } = await chain.sendTx('emit_rewards', { competition_id: competitionId, epoch, payouts: payouts.map(({ hotkey, amount }) => ({ hotkey, amount })) }, authorityKey(this.options.dataDir, 'router'));
    const status = await chain.waitForTx(tx_id);
    if (status.state !== 'included') {
      if (status.error.code === 'EPOCH_ALREADY_PAID') return record({ competition_id: competitionId, epoch, tx_id, block: status.block, state: 'elsewhere', payouts: [] });
      // Anything else (e.g. a hotkey deregistered in that very block): the next tick tries again.
      throw new Error(`emit_rewards for epoch ${epoch} failed on chain: ${status.error.code}`);
    }
    this.options.log.info('router payments: epoch paid', { competition: competitionId, epoch, tx_id, block: status.block, payouts: payouts.map((p) => ({ hotkey: p.hotkey, jobs: p.jobs, units: p.amount })) });
    return record({ competition_id: competitionId, epoch, tx_id, block: status.block, state: 'paid', payouts });
  }

  /** What the router recorded for an epoch (null while unpaid). */
  payout(competitionId: string, epoch: number): EpochPayout | null {
    const row = this.options.db.prepare(`SELECT * FROM epoch_payouts WHERE competition_id = ? AND epoch = ?`).get(competitionId, epoch) as
      | { competition_id: string; epoch: number; state: EpochPayout['state']; tx_id: string | null; block: number | null; payouts_json: string }
      | undefined;
    return row ? { competition_id: row.competition_id, epoch: row.epoch, state: row.state, tx_id: row.tx_id, block: row.block, payouts: JSON.parse(row.payouts_json) as EpochPayout['payouts'] } : null;
  }

  /** Credits per epoch of a competition (tests and the operator): `{epoch, jobs}` oldest first. */
  credits(competitionId: string): { epoch: number | null; miner: string; hotkey: string | null; jobs: number }[] {
    return this.options.db
      .prepare(`SELECT epoch, miner, hotkey, COUNT(*) AS jobs FROM job_credits WHERE competition_id = ? GROUP BY epoch, miner, hotkey ORDER BY epoch`)
      .all(competitionId) as { epoch: number | null; miner: string; hotkey: string | null; jobs: number }[];
  }

  /** Resolves once an epoch of the competition at or after `fromEpoch` is settled with a payment (tests). */
  waitForPaidEpoch(competitionId: string, fromEpoch = 0): Promise<EpochPayout> {
    const found = this.options.db.prepare(`SELECT epoch FROM epoch_payouts WHERE competition_id = ? AND epoch >= ? AND state = 'paid' ORDER BY epoch LIMIT 1`).get(competitionId, fromEpoch) as { epoch: number } | undefined;
    if (found) return Promise.resolve(this.payout(competitionId, found.epoch)!);
    return new Promise((resolve) => this.paidWaiters.push({ competitionId, epoch: fromEpoch, resolve }));
  }

  private settled(p: EpochPayout): void {
    if (p.state !== 'paid') return;
    for (let i = this.paidWaiters.length - 1; i >= 0; i--) {
      const w = this.paidWaiters[i]!;
      if (w.competitionId === p.competition_id && p.epoch >= w.epoch) {
        this.paidWaiters.splice(i, 1);
        w.resolve(p);
      }
    }
  }
}
