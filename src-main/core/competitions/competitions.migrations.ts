import type { Migration } from '../db/migrations';

/** This feature's tables (versions in tens, shared numbering with every feature: see db/migrations.ts). */
export const competitionsMigrations: readonly Migration[] = [
  {
    version: 30,
    name: 'memberships and catalogue cache',
    up(db) {
      db.exec(`
        CREATE TABLE memberships (
          network_id TEXT NOT NULL,
          competition_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          hotkey TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('joining', 'joined', 'leaving', 'left', 'failed')),
          intent TEXT NOT NULL CHECK (intent IN ('join', 'leave')),
          steps_json TEXT NOT NULL,
          pending_tx TEXT,
          attempts INTEGER NOT NULL DEFAULT 0,
          retry_at TEXT,
          error_code TEXT,
          error_message TEXT,
          joined_at TEXT,
          updated_at TEXT NOT NULL,
          PRIMARY KEY (network_id, competition_id)
        ) STRICT;
        CREATE TABLE catalogue_cache (
          network_id TEXT PRIMARY KEY NOT NULL,
          fetched_at TEXT NOT NULL,
          catalogue_json TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
];
