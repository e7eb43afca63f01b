import type { Migration } from '../db/migrations';

/** This feature's tables (versions in tens, shared numbering with every feature: see db/migrations.ts). */
export const checkpointsMigrations: readonly Migration[] = [
  {
    version: 40,
    name: 'checkpoint submissions',
    up(db) {
      db.exec(`
        CREATE TABLE checkpoint_submissions (
          id TEXT PRIMARY KEY NOT NULL,
          network_id TEXT NOT NULL,
          competition_id TEXT NOT NULL,
          expert_group TEXT NOT NULL,
          file_path TEXT NOT NULL,
          file_size INTEGER,
          file_mtime_ms REAL,
          sha256 TEXT,
          hotkey TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('running', 'waiting', 'accepted', 'rejected', 'failed')),
          steps_json TEXT NOT NULL,
          commit_tx TEXT,
          commit_block INTEGER,
          commit_round INTEGER,
          publish_url TEXT,
          submit_block INTEGER,
          submit_message_json TEXT,
          submission_id TEXT,
          verdict_json TEXT,
          error_code TEXT,
          error_message TEXT,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX checkpoint_submissions_created ON checkpoint_submissions(created_at);
      `);
    },
  },
  {
    version: 90,
    name: 'checkpoint publish consent',
    up(db) {
      // One row per network the miner agreed to publish checkpoints to (issue 19): the first
      // publish to a network asks first, later ones do not.
      db.exec(`
        CREATE TABLE checkpoint_publish_consent (
          network_id TEXT PRIMARY KEY NOT NULL,
          file_name TEXT NOT NULL,
          consented_at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
];
