/**
 * SQLite replay store for the practice network's verifiers (router §2.6, hub §4): the
 * `ReplayStore` of @shared/protocol/replay-store kept in the party's own database, so a restart
 * does not reopen the replay window.
 *
 * One table, `(key PRIMARY KEY, seen_at)`; check-and-record is one statement inside a
 * transaction, so two requests racing with the same nonce cannot both pass.
 */
import type Database from 'better-sqlite3';
import type { ReplayStore } from '@shared/protocol/replay-store';

export class SqliteReplayStore implements ReplayStore {
  private readonly upsert: Database.Statement<[string, number, number]>;
  private readonly sweep: Database.Statement<[number]>;
  private readonly tx: (key: string, now: number, window: number) => boolean;
  private lastSweep = 0;

  constructor(private readonly db: Database.Database, table = 'replay_nonces') {
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error('replay store table name must be a plain identifier');
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, seen_at INTEGER NOT NULL) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS ${table}_seen_at ON ${table}(seen_at);`);
    // Insert, or take over an entry that has left the window; no row changes → replay.
    this.upsert = db.prepare(`INSERT INTO ${table}(key, seen_at) VALUES (?, ?)
                              ON CONFLICT(key) DO UPDATE SET seen_at = excluded.seen_at WHERE excluded.seen_at - ${table}.seen_at >= ?`);
    this.sweep = db.prepare(`DELETE FROM ${table} WHERE seen_at < ?`);
    this.tx = db.transaction((key: string, now: number, window: number) => this.upsert.run(key, now, window).changes === 1);
  }

  checkAndRecord(key: string, nowSeconds: number, windowSeconds: number): boolean {
    if (nowSeconds - this.lastSweep >= windowSeconds) {
      this.sweep.run(nowSeconds - windowSeconds);
      this.lastSweep = nowSeconds;
    }
    return this.tx(key, nowSeconds, windowSeconds);
  }
}
