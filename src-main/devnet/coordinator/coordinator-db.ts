/**
 * The coordinator's own SQLite (`<dataDir>/devnet/coordinator/coordinator.db`): certificates it
 * issued, the certificate service's replay store (`replay_nonces`) and a log of runner calls
 * (model id, method, verdict, duration; never key material).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { coordinatorDir } from './ca';

export type CoordinatorDb = Database.Database;

export function openCoordinatorDb(dataDir: string): CoordinatorDb {
  const dir = coordinatorDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dir, 'coordinator.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS issued_certificates (
      serial TEXT PRIMARY KEY, usage TEXT NOT NULL, model_id TEXT, wallet_b58 TEXT, san_dns TEXT NOT NULL,
      spki_sha256 TEXT NOT NULL, not_after TEXT NOT NULL, issued_at TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS runner_calls (
      id INTEGER PRIMARY KEY, at TEXT NOT NULL, model_id TEXT NOT NULL, method TEXT NOT NULL,
      verdict TEXT NOT NULL, duration_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS runner_scores (
      id INTEGER PRIMARY KEY, round INTEGER NOT NULL, epoch INTEGER NOT NULL, model_id TEXT NOT NULL, score REAL NOT NULL,
      verdict TEXT NOT NULL, at TEXT NOT NULL, UNIQUE (round, model_id));`);
  return db;
}

export interface IssuedRow {
  serial: string;
  usage: 'server' | 'client';
  model_id: string | null;
  wallet_b58: string | null;
  san_dns: string;
  spki_sha256: string;
  not_after: string;
  issued_at: string;
}

export class CoordinatorRepo {
  constructor(private readonly db: CoordinatorDb) {}

  recordIssued(row: IssuedRow): void {
    this.db
      .prepare(`INSERT INTO issued_certificates(serial, usage, model_id, wallet_b58, san_dns, spki_sha256, not_after, issued_at) VALUES (@serial, @usage, @model_id, @wallet_b58, @san_dns, @spki_sha256, @not_after, @issued_at)`)
      .run(row);
  }

  issued(): IssuedRow[] {
    return this.db.prepare(`SELECT * FROM issued_certificates ORDER BY issued_at`).all() as IssuedRow[];
  }

  recordCall(modelId: string, method: string, verdict: string, durationMs: number): void {
    this.db.prepare(`INSERT INTO runner_calls(at, model_id, method, verdict, duration_ms) VALUES (?, ?, ?, ?, ?)`).run(new Date().toISOString(), modelId, method, verdict, Math.round(durationMs));
  }

  recordScore(round: number, epoch: number, modelId: string, score: number, verdict: string): void {
    this.db
      .prepare(`INSERT INTO runner_scores(round, epoch, model_id, score, verdict, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(round, model_id) DO UPDATE SET score = excluded.score, verdict = excluded.verdict, at = excluded.at`)
      .run(round, epoch, modelId, score, verdict, new Date().toISOString());
  }

  /** Chain epochs in which rounds were scored, oldest first. */
  scoredEpochs(): number[] {
    return (this.db.prepare(`SELECT DISTINCT epoch FROM runner_scores ORDER BY epoch`).all() as { epoch: number }[]).map((r) => r.epoch);
  }

  /** Sum of each model's round scores in a chain epoch. */
  epochScores(epoch: number): Map<string, number> {
    const rows = this.db.prepare(`SELECT model_id, sum(score) AS total FROM runner_scores WHERE epoch = ? GROUP BY model_id ORDER BY model_id`).all(epoch) as { model_id: string; total: number }[];
    return new Map(rows.map((r) => [r.model_id, r.total]));
  }

  scores(): { round: number; model_id: string; score: number; verdict: string }[] {
    return this.db.prepare(`SELECT round, model_id, score, verdict FROM runner_scores ORDER BY round, model_id`).all() as { round: number; model_id: string; score: number; verdict: string }[];
  }

  nextRound(): number {
    return ((this.db.prepare(`SELECT max(round) AS r FROM runner_scores`).get() as { r: number | null }).r ?? -1) + 1;
  }

  calls(): { model_id: string; method: string; verdict: string; duration_ms: number }[] {
    return this.db.prepare(`SELECT model_id, method, verdict, duration_ms FROM runner_calls ORDER BY id`).all() as { model_id: string; method: string; verdict: string; duration_ms: number }[];
  }
}
