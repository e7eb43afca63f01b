import type { Migration } from '../db/migrations';

/** This feature's tables (versions in tens, shared numbering with every feature: see db/migrations.ts). */
export const inferenceMigrations: readonly Migration[] = [
  {
    version: 50,
    name: 'private inference jobs',
    up(db) {
      // One row per router job this miner took (PROTOCOLS §2.6): ids, URNs, state, step timings,
      // sizes, key version, error code — never a prompt, an output or a key. `seq` orders newest first.
      db.exec(`
        CREATE TABLE inference_jobs (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          network_id TEXT NOT NULL,
          competition_id TEXT NOT NULL,
          router_url TEXT NOT NULL,
          job_id TEXT NOT NULL,
          session_id INTEGER NOT NULL,
          task_id INTEGER NOT NULL,
          input_urn TEXT NOT NULL,
          result_urn TEXT,
          key_version TEXT,
          scope_type TEXT CHECK (scope_type IN ('session', 'task')),
          state TEXT NOT NULL CHECK (state IN ('queued', 'key', 'decrypt', 'run', 'encrypt', 'upload', 'report', 'reported', 'failed', 'withdrawn')),
          router_done INTEGER NOT NULL DEFAULT 0,
          key_ms INTEGER, decrypt_ms INTEGER, run_ms INTEGER, encrypt_ms INTEGER, upload_ms INTEGER, report_ms INTEGER,
          total_ms INTEGER,
          input_bytes INTEGER,
          output_bytes INTEGER,
          error_code TEXT,
          error_message TEXT,
          attempts INTEGER NOT NULL DEFAULT 0,
          received_at TEXT NOT NULL,
          received_ms INTEGER NOT NULL,
          updated_at TEXT NOT NULL,
          finished_ms INTEGER,
          deadline TEXT NOT NULL,
          lease_expires_at TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX inference_jobs_job ON inference_jobs(network_id, competition_id, job_id);
        CREATE INDEX inference_jobs_competition ON inference_jobs(competition_id, seq);
        CREATE INDEX inference_jobs_session ON inference_jobs(session_id, task_id);
        CREATE INDEX inference_jobs_state ON inference_jobs(state, seq);
        CREATE INDEX inference_jobs_finished ON inference_jobs(finished_ms) WHERE finished_ms IS NOT NULL;
        CREATE INDEX inference_jobs_open ON inference_jobs(competition_id) WHERE router_done = 0;
        CREATE TABLE inference_workers (
          competition_id TEXT PRIMARY KEY NOT NULL,
          concurrency INTEGER NOT NULL CHECK (concurrency BETWEEN 1 AND 16),
          updated_at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 150,
    name: 'inference result URN chosen before upload',
    up(db) {
      // The URN a job's result is uploaded under, chosen and recorded before the upload (issue 19):
      // after a kill between the upload and `result_urn`, the restart finds the upload at the
      // router under this URN instead of computing and uploading the result again.
      db.exec(`ALTER TABLE inference_jobs ADD COLUMN upload_urn TEXT`);
    },
  },
];
