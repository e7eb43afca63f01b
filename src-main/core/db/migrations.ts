import type Database from 'better-sqlite3';

/**
 * Schema migrations, Signal-style: one function per version, versions in steps of ten, tracked
 * by `PRAGMA user_version`, all pending ones applied in one transaction, a database from the
 * future refused. Migrations are additive: a dropped table or column name is never reused.
 *
 * Adding one: append `{ version: <last + 10>, name, up }` to MIGRATIONS, add a test in
 * tests/unit/core/db/migrations.test.ts and update tests/unit/core/db/schema.snapshot.sql.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 10,
    name: 'settings and audit log',
    up(db) {
      db.exec(`
        CREATE TABLE settings (
          key TEXT PRIMARY KEY NOT NULL,
          value_json TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE audit_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          detail_json TEXT NOT NULL DEFAULT '{}'
        ) STRICT;
        CREATE INDEX audit_log_at ON audit_log(at);
      `);
    },
  },
  {
    version: 20,
    name: 'network profiles',
    up(db) {
      db.exec(`
        CREATE TABLE network_profiles (
          id TEXT PRIMARY KEY NOT NULL,
          name TEXT NOT NULL,
          chain_url TEXT NOT NULL,
          hub_url TEXT NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
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
    version: 60,
    name: 'model runner',
    up(db) {
      // Per joined model-runner competition (PROTOCOLS §5): the enrolment step list, policy, where it
      // listens, the certificate (public), the TLS private key only as sealed by the vault (never in
      // plaintext), the SMP hotkey on chain and the signed runner message (public). Coordinator
      // calls (method, verdict, reason, timing) and the model's predictions — never key material.
      db.exec(`
        CREATE TABLE runner_enrolments (
          network_id TEXT NOT NULL,
          competition_id TEXT NOT NULL,
          model_id TEXT NOT NULL,
          steps_json TEXT NOT NULL,
          policy TEXT NOT NULL DEFAULT 'either' CHECK (policy IN ('v1', 'pinned', 'either')),
          listen_host TEXT NOT NULL DEFAULT '127.0.0.1',
          listen_port INTEGER CHECK (listen_port IS NULL OR listen_port BETWEEN 0 AND 65535),
          beyond_loopback INTEGER NOT NULL DEFAULT 0 CHECK (beyond_loopback IN (0, 1)),
          tls_key_sealed BLOB,
          tls_spki_sha256 TEXT,
          cert_pem TEXT,
          ca_pem TEXT,
          cert_not_before TEXT,
          cert_not_after TEXT,
          smp_hotkey TEXT,
          smp_index INTEGER,
          registered_address TEXT,
          message_json TEXT,
          error_code TEXT,
          error_message TEXT,
          updated_at TEXT NOT NULL,
          PRIMARY KEY (network_id, competition_id)
        ) STRICT;
        CREATE TABLE runner_calls (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          competition_id TEXT NOT NULL,
          at TEXT NOT NULL,
          method TEXT NOT NULL,
          outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused')),
          reason TEXT,
          status TEXT,
          ms REAL NOT NULL
        ) STRICT;
        CREATE INDEX runner_calls_competition ON runner_calls(competition_id, id);
        CREATE TABLE runner_predictions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          competition_id TEXT NOT NULL,
          at TEXT NOT NULL,
          tick INTEGER,
          value REAL,
          score REAL
        ) STRICT;
        CREATE INDEX runner_predictions_competition ON runner_predictions(competition_id, id);
      `);
    },
  },
  {
    version: 70,
    name: 'remote TEE runners',
    up(db) {
      // A runner the miner deployed in a TEE elsewhere (issue 9 item 8): its address and the last
      // TEE check, check by check (public: measurements, TCB status, reportData); registered only
      // after a passing check. The quote is not kept.
      db.exec(`
        CREATE TABLE remote_runners (
          id TEXT PRIMARY KEY NOT NULL,
          competition_id TEXT NOT NULL,
          address TEXT NOT NULL,
          registered INTEGER NOT NULL DEFAULT 0 CHECK (registered IN (0, 1)),
          tee_ok INTEGER NOT NULL CHECK (tee_ok IN (0, 1)),
          tee_json TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          CHECK (registered = 0 OR tee_ok = 1)
        ) STRICT;
        CREATE UNIQUE INDEX remote_runners_address ON remote_runners(competition_id, address);
      `);
    },
  },
];

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly kind: 'FROM_FUTURE' | 'ORDER',
    message: string,
  ) {
    super(message);
  }
}

/** Checks that versions rise in steps that are multiples of ten. */
export function checkMigrationOrder(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (m.version <= previous || m.version % 10 !== 0) {
      throw new MigrationError('ORDER', `Migration ${m.version} (${m.name}) is out of order: versions rise in tens.`);
    }
    previous = m.version;
  }
}

export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.at(-1)?.version ?? 0;
}

/** Applies every pending migration in one transaction. Returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  checkMigrationOrder(migrations);
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = latestVersion(migrations);
  if (current > latest) {
    throw new MigrationError(
      'FROM_FUTURE',
      `This database was written by a newer Minerva (schema ${current}, this version knows ${latest}). Update Minerva, or start with another data folder.`,
    );
  }
  const pending = migrations.filter((m) => m.version > current);
  if (pending.length === 0) return [];
  db.transaction(() => {
    for (const m of pending) {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
  })();
  return pending.map((m) => m.version);
}
