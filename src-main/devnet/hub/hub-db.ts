/**
 * The hub's own SQLite (`<dataDir>/devnet/hub/hub.db`): participants of each competition and the
 * §4 replay store (`replay_nonces`, src-main/devnet/common/replay-store.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ParticipantWire } from '@shared/protocol/hub-api';

export type HubDb = Database.Database;

export function openHubDb(dataDir: string): HubDb {
  const dir = join(dataDir, 'devnet', 'hub');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dir, 'hub.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS participants (
    competition_id TEXT NOT NULL, hotkey TEXT NOT NULL, coldkey TEXT, eoa TEXT, joined_at TEXT NOT NULL,
    PRIMARY KEY (competition_id, hotkey)) WITHOUT ROWID;`);
  return db;
}

export class ParticipantsRepo {
  constructor(private readonly db: HubDb) {}

  get(competitionId: string, hotkey: string): ParticipantWire | undefined {
    return this.db.prepare(`SELECT hotkey, coldkey, eoa, joined_at FROM participants WHERE competition_id = ? AND hotkey = ?`).get(competitionId, hotkey) as ParticipantWire | undefined;
  }

  upsert(competitionId: string, p: ParticipantWire): void {
    this.db
      .prepare(
        `INSERT INTO participants(competition_id, hotkey, coldkey, eoa, joined_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(competition_id, hotkey) DO UPDATE SET coldkey = excluded.coldkey, eoa = excluded.eoa`,
      )
      .run(competitionId, p.hotkey, p.coldkey, p.eoa, p.joined_at);
  }

  remove(competitionId: string, hotkey: string): boolean {
    return this.db.prepare(`DELETE FROM participants WHERE competition_id = ? AND hotkey = ?`).run(competitionId, hotkey).changes > 0;
  }

  list(competitionId: string): ParticipantWire[] {
    return this.db.prepare(`SELECT hotkey, coldkey, eoa, joined_at FROM participants WHERE competition_id = ? ORDER BY joined_at, hotkey`).all(competitionId) as ParticipantWire[];
  }
}
