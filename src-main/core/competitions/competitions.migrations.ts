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
  {
    version: 160,
    name: 'challenge submissions and their status',
    up(db) {
      // A Platform challenge submission sent from this app and where its evaluation stands, followed
      // by core (submission-status.flow.ts) until the challenge gives a final status.
      db.exec(`
        CREATE TABLE challenge_submissions (
          key TEXT PRIMARY KEY NOT NULL,
          network_id TEXT NOT NULL,
          competition_id TEXT NOT NULL,
          submission_id TEXT,
          hotkey TEXT NOT NULL,
          file_name TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          sha256 TEXT NOT NULL,
          submitted_at TEXT NOT NULL,
          status TEXT,
          score REAL,
          reason TEXT,
          following TEXT NOT NULL CHECK (following IN ('following', 'done', 'stopped')),
          checks INTEGER NOT NULL DEFAULT 0,
          failures INTEGER NOT NULL DEFAULT 0,
          checked_at TEXT,
          next_check_at TEXT,
          error_code TEXT,
          error_message TEXT,
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX challenge_submissions_by_competition ON challenge_submissions(network_id, competition_id, submitted_at);
      `);
    },
  },
  {
    version: 170,
    name: 'challenge submissions: when the follow window starts',
    up(db) {
      // "Check again" on a submission Minerva stopped following for its age starts the follow
      // window again; the time it was sent (shown, and the order of the list) stays. NULL: since it was sent.
      db.exec('ALTER TABLE challenge_submissions ADD COLUMN follow_from TEXT;');
    },
  },
];
