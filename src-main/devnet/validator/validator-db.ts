/**
 * The validator's own SQLite (`<dataDir>/devnet/validator/validator.db`): submissions and their
 * verdicts, round payouts, and the §4 replay store of the blob store (`replay_nonces`).
 *
 * At most one accepted submission per (competition, hotkey, expert group, round): a partial unique
 * index holds it even if two evaluations race.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SubmissionReason, SubmissionStage } from '@shared/protocol/validator-api';

export type ValidatorDb = Database.Database;

export function validatorDir(dataDir: string): string {
  return join(dataDir, 'devnet', 'validator');
}

export function openValidatorDb(dataDir: string): ValidatorDb {
  const dir = validatorDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dir, 'validator.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS submissions (
      id TEXT PRIMARY KEY,
      competition_id TEXT NOT NULL, hotkey TEXT NOT NULL, expert_group TEXT NOT NULL,
      checkpoint_url TEXT NOT NULL, block_number INTEGER NOT NULL, round INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
      stage TEXT, reason TEXT, message TEXT,
      sha256 TEXT, size INTEGER,
      commit_hash TEXT, commit_block INTEGER, commit_tx TEXT,
      loss REAL, score REAL,
      received_at TEXT NOT NULL, decided_at TEXT,
      download_ms INTEGER, eval_ms INTEGER);
    CREATE INDEX IF NOT EXISTS submissions_round ON submissions(competition_id, round, status);
    CREATE INDEX IF NOT EXISTS submissions_hotkey ON submissions(competition_id, hotkey, received_at);
    CREATE UNIQUE INDEX IF NOT EXISTS submissions_one_accepted
      ON submissions(competition_id, hotkey, expert_group, round) WHERE status = 'accepted';
    CREATE TABLE IF NOT EXISTS payouts (
      competition_id TEXT NOT NULL, round INTEGER NOT NULL,
      tx_id TEXT, state TEXT NOT NULL CHECK (state IN ('sent', 'included', 'failed', 'nothing')),
      block INTEGER, error TEXT, payouts_json TEXT NOT NULL, at TEXT NOT NULL,
      PRIMARY KEY (competition_id, round)) WITHOUT ROWID;`);
  return db;
}

export interface SubmissionRow {
  id: string;
  competition_id: string;
  hotkey: string;
  expert_group: string;
  checkpoint_url: string;
  block_number: number;
  round: number;
  status: 'pending' | 'accepted' | 'rejected';
  stage: SubmissionStage | null;
  reason: SubmissionReason | null;
  message: string | null;
  sha256: string | null;
  size: number | null;
  commit_hash: string | null;
  commit_block: number | null;
  commit_tx: string | null;
  loss: number | null;
  score: number | null;
  received_at: string;
  decided_at: string | null;
  download_ms: number | null;
  eval_ms: number | null;
}

export interface PayoutRow {
  competition_id: string;
  round: number;
  tx_id: string | null;
  state: 'sent' | 'included' | 'failed' | 'nothing';
  block: number | null;
  error: string | null;
  /** `[{hotkey, amount}]` as sent. */
  payouts_json: string;
  at: string;
}

type Patch = Partial<Omit<SubmissionRow, 'id' | 'competition_id' | 'hotkey' | 'expert_group' | 'checkpoint_url' | 'block_number' | 'round' | 'received_at'>>;

const PATCHABLE = new Set(['status', 'stage', 'reason', 'message', 'sha256', 'size', 'commit_hash', 'commit_block', 'commit_tx', 'loss', 'score', 'decided_at', 'download_ms', 'eval_ms']);

export class SubmissionsRepo {
  constructor(private readonly db: ValidatorDb) {}

  insert(row: Pick<SubmissionRow, 'id' | 'competition_id' | 'hotkey' | 'expert_group' | 'checkpoint_url' | 'block_number' | 'round' | 'received_at'>): void {
    this.db
      .prepare(
        `INSERT INTO submissions(id, competition_id, hotkey, expert_group, checkpoint_url, block_number, round, status, stage, received_at)
         VALUES (@id, @competition_id, @hotkey, @expert_group, @checkpoint_url, @block_number, @round, 'pending', 'queued', @received_at)`,
      )
      .run(row);
  }

  get(id: string): SubmissionRow | undefined {
    return this.db.prepare(`SELECT * FROM submissions WHERE id = ?`).get(id) as SubmissionRow | undefined;
  }

  update(id: string, patch: Patch): void {
    const keys = Object.keys(patch).filter((k) => PATCHABLE.has(k));
    if (keys.length === 0) return;
    this.db.prepare(`UPDATE submissions SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...patch, id });
  }

  /** A hotkey's submissions, newest first (at most 200). */
  idsOf(competitionId: string, hotkey: string, round?: number): string[] {
    const rows =
      round === undefined
        ? this.db.prepare(`SELECT id FROM submissions WHERE competition_id = ? AND hotkey = ? ORDER BY received_at DESC, id LIMIT 200`).all(competitionId, hotkey)
        : this.db.prepare(`SELECT id FROM submissions WHERE competition_id = ? AND hotkey = ? AND round = ? ORDER BY received_at DESC, id LIMIT 200`).all(competitionId, hotkey, round);
    return (rows as { id: string }[]).map((r) => r.id);
  }

  pending(): SubmissionRow[] {
    return this.db.prepare(`SELECT * FROM submissions WHERE status = 'pending' ORDER BY received_at, id`).all() as SubmissionRow[];
  }

  hasAccepted(competitionId: string, hotkey: string, expertGroup: string, round: number): boolean {
    return (
      this.db.prepare(`SELECT 1 FROM submissions WHERE competition_id = ? AND hotkey = ? AND expert_group = ? AND round = ? AND status = 'accepted'`).get(competitionId, hotkey, expertGroup, round) !==
      undefined
    );
  }

  /** Accepts unless another submission of the same key is accepted already (then false). */
  tryAccept(row: SubmissionRow, patch: Patch): boolean {
    try {
      this.update(row.id, { ...patch, status: 'accepted', stage: null });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw error;
    }
  }

  accepted(competitionId: string, round: number): SubmissionRow[] {
    return this.db.prepare(`SELECT * FROM submissions WHERE competition_id = ? AND round = ? AND status = 'accepted' ORDER BY received_at, id`).all(competitionId, round) as SubmissionRow[];
  }

  countPending(competitionId: string, round: number): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM submissions WHERE competition_id = ? AND round = ? AND status = 'pending'`).get(competitionId, round) as { n: number }).n;
  }

  /** Rounds with accepted submissions and no payout record, oldest first. */
  unpaidRounds(competitionId: string): number[] {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT s.round FROM submissions s
           WHERE s.competition_id = ? AND s.status = 'accepted'
             AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.competition_id = s.competition_id AND p.round = s.round)
           ORDER BY s.round`,
        )
        .all(competitionId) as { round: number }[]
    ).map((r) => r.round);
  }
}

export class PayoutsRepo {
  constructor(private readonly db: ValidatorDb) {}

  get(competitionId: string, round: number): PayoutRow | undefined {
    return this.db.prepare(`SELECT * FROM payouts WHERE competition_id = ? AND round = ?`).get(competitionId, round) as PayoutRow | undefined;
  }

  insert(row: PayoutRow): void {
    this.db.prepare(`INSERT INTO payouts(competition_id, round, tx_id, state, block, error, payouts_json, at) VALUES (@competition_id, @round, @tx_id, @state, @block, @error, @payouts_json, @at)`).run(row);
  }

  settle(competitionId: string, round: number, state: PayoutRow['state'], block: number | null, error: string | null): void {
    this.db.prepare(`UPDATE payouts SET state = ?, block = ?, error = ? WHERE competition_id = ? AND round = ?`).run(state, block, error, competitionId, round);
  }

  /** Payouts sent but not yet seen in a block. */
  unsettled(): PayoutRow[] {
    return this.db.prepare(`SELECT * FROM payouts WHERE state = 'sent'`).all() as PayoutRow[];
  }
}
