import type { Migration } from '../db/migrations';

/** This feature's tables (versions in tens, shared numbering with every feature: see db/migrations.ts). */
export const runnerMigrations: readonly Migration[] = [
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
  {
    version: 80,
    name: 'runner mode',
    up(db) {
      // How coordinators reach a runner (issue 15): mTLS (default) or gateway (no client
      // certificate, signed x-gateway-auth-* calls), and the TEE check that allowed gateway mode
      // (public: measurements, TCB status, check by check; the quote itself is not kept).
      db.exec(`
        ALTER TABLE runner_enrolments ADD COLUMN mode TEXT NOT NULL DEFAULT 'mtls' CHECK (mode IN ('mtls', 'gateway'));
        ALTER TABLE runner_enrolments ADD COLUMN mode_tee_json TEXT;
      `);
    },
  },
];
