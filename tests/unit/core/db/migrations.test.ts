import Database from 'better-sqlite3';
import { MIGRATIONS } from '@core/create-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MigrationError, checkMigrationOrder, latestVersion, migrate } from '@core/db/migrations';
import { openDatabase } from '@core/db/open';
import { SettingsRepo } from '@core/db/settings.repo';
import { AppError } from '@shared/contract/errors';
import { DEFAULT_SETTINGS } from '@shared/contract/settings';

const here = dirname(fileURLToPath(import.meta.url));
const tempFile = () => join(mkdtempSync(join(tmpdir(), 'minerva-db-')), 'minerva.db');

/** The schema as SQLite reports it, normalised, for the snapshot. */
function schemaOf(db: Database.Database): string {
  const rows = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as { sql: string }[];
  return `${rows.map((r) => r.sql.replace(/\s+/g, ' ').trim()).join(';\n')};\n`;
}

describe('migration runner', () => {
  it('applies every migration in order on a new database and records user_version', () => {
    const db = new Database(':memory:');
    expect(migrate(db, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion(MIGRATIONS));
    expect(migrate(db, MIGRATIONS)).toEqual([]);
  });

  it('refuses a database from the future and leaves it untouched', () => {
    const file = tempFile();
    const db = new Database(file);
    db.pragma(`user_version = ${latestVersion(MIGRATIONS) + 10}`);
    db.exec('CREATE TABLE from_future (x INTEGER)');
    db.close();
    expect(() => openDatabase(file, MIGRATIONS)).toThrow(AppError);
    try {
      openDatabase(file, MIGRATIONS);
    } catch (error) {
      expect((error as AppError).code).toBe('DB_FROM_FUTURE');
      expect((error as AppError).message).toMatch(/newer Minerva/);
    }
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(latestVersion(MIGRATIONS) + 10);
    expect(again.prepare("SELECT name FROM sqlite_master WHERE name = 'settings'").get()).toBeUndefined();
  });

  it('rolls back every pending migration when one fails', () => {
    const db = new Database(':memory:');
    const broken = [
      ...MIGRATIONS,
      { version: latestVersion(MIGRATIONS) + 10, name: 'ok', up: (d: Database.Database) => d.exec('CREATE TABLE t_ok (x)') },
      { version: latestVersion(MIGRATIONS) + 20, name: 'broken', up: (d: Database.Database) => d.exec('CREATE TABLE oops (') },
    ];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('settings','t_ok')").all()).toEqual([]);
  });

  it('refuses migrations out of order or off the tens', () => {
    const up = () => undefined;
    expect(() => checkMigrationOrder([{ version: 20, name: 'a', up }, { version: 10, name: 'b', up }])).toThrow(MigrationError);
    expect(() => checkMigrationOrder([{ version: 15, name: 'a', up }])).toThrow(MigrationError);
    expect(() => checkMigrationOrder(MIGRATIONS)).not.toThrow();
  });

  it('opens with WAL, foreign keys and a busy timeout', () => {
    const db = openDatabase(tempFile(), MIGRATIONS);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('matches the schema snapshot (update tests/unit/core/db/schema.snapshot.sql with a new migration)', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS);
    expect(schemaOf(db)).toBe(readFileSync(join(here, 'schema.snapshot.sql'), 'utf8'));
  });
});

describe('migration 10: settings and audit log', () => {
  it('creates settings and audit_log that accept rows', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 10));
    db.prepare("INSERT INTO settings VALUES ('theme', '\"dark\"', 'now')").run();
    db.prepare("INSERT INTO audit_log (at, actor, action) VALUES ('now', 'user', 'x')").run();
    expect(db.prepare('SELECT detail_json FROM audit_log').get()).toEqual({ detail_json: '{}' });
  });
});

describe('migration 20: network profiles', () => {
  it('creates network_profiles with unique ids', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 20));
    const insert = db.prepare("INSERT INTO network_profiles VALUES (?, 'Mine', 'https://chain.example', 'https://hub.example', 'now')");
    insert.run('net-1');
    expect(() => insert.run('net-1')).toThrow(/UNIQUE/);
  });
});

describe('migration 30: memberships and catalogue cache', () => {
  it('keeps one membership per network and competition, with a checked state', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 30));
    const insert = db.prepare(
      "INSERT INTO memberships (network_id, competition_id, kind, hotkey, state, intent, steps_json, updated_at) VALUES ('practice', 'c1', 'checkpoint', '5H', ?, 'join', '[]', 'now')",
    );
    insert.run('joining');
    expect(() => insert.run('joining')).toThrow(/UNIQUE/);
    expect(() => db.prepare("UPDATE memberships SET state = 'dancing'").run()).toThrow(/CHECK/);
    db.prepare("INSERT INTO catalogue_cache VALUES ('practice', 'now', '[]')").run();
    expect(db.prepare('SELECT COUNT(*) AS n FROM catalogue_cache').get()).toEqual({ n: 1 });
  });
});

describe('migration 160: challenge submissions', () => {
  it('keeps one row per key, only the three follow states, and a submission without the hub’s id', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 160));
    const insert = db.prepare(
      "INSERT INTO challenge_submissions (key, network_id, competition_id, submission_id, hotkey, file_name, bytes, sha256, submitted_at, status, following, updated_at) VALUES (?, 'bt', 'platform-sn1-x', ?, '5H', 'a.py', 3, 'ab', 'now', 'pending', ?, 'now')",
    );
    insert.run('bt/platform-sn1-x/s1', 's1', 'following');
    insert.run('bt/platform-sn1-x/local-1', null, 'stopped');
    expect(() => insert.run('bt/platform-sn1-x/s1', 's1', 'done')).toThrow(/UNIQUE/);
    expect(() => insert.run('bt/platform-sn1-x/s2', 's2', 'guessing')).toThrow(/CHECK/);
    expect(db.prepare('SELECT checks, failures, score FROM challenge_submissions WHERE key = ?').get('bt/platform-sn1-x/s1')).toEqual({ checks: 0, failures: 0, score: null });
  });
});

describe('migration 170: when a submission’s follow window starts', () => {
  it('adds follow_from, empty for the rows already there (their window starts when they were sent)', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 160));
    db.prepare(
      "INSERT INTO challenge_submissions (key, network_id, competition_id, submission_id, hotkey, file_name, bytes, sha256, submitted_at, status, following, updated_at) VALUES ('bt/x/s1', 'bt', 'x', 's1', '5H', 'a.py', 3, 'ab', 'then', 'pending', 'stopped', 'then')",
    ).run();
    migrate(db, MIGRATIONS.filter((m) => m.version <= 170));
    expect(db.prepare('SELECT submitted_at, follow_from FROM challenge_submissions').get()).toEqual({ submitted_at: 'then', follow_from: null });
  });
});

describe('migration 40: checkpoint submissions', () => {
  it('stores a submission with a checked state', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 40));
    const insert = db.prepare(
      "INSERT INTO checkpoint_submissions (id, network_id, competition_id, expert_group, file_path, hotkey, state, steps_json, created_at, updated_at) VALUES (?, 'practice', 'c', '0', '/f', '5H', ?, '[]', 'now', 'now')",
    );
    insert.run('a', 'running');
    expect(() => insert.run('a', 'running')).toThrow(/UNIQUE/);
    expect(() => insert.run('b', 'exploded')).toThrow(/CHECK/);
  });
});

describe('migration 90: checkpoint publish consent', () => {
  it('keeps one yes per network', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 90));
    const insert = db.prepare("INSERT INTO checkpoint_publish_consent (network_id, file_name, consented_at) VALUES (?, 'model.ckpt', 'now')");
    insert.run('practice');
    expect(() => insert.run('practice')).toThrow(/UNIQUE/);
  });
});

describe('migration 50: private inference jobs', () => {
  it('keeps one row per router job, checks the state, and lists newest first through an index', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 50));
    const insert = db.prepare(
      "INSERT INTO inference_jobs (network_id, competition_id, router_url, job_id, session_id, task_id, input_urn, state, received_at, received_ms, updated_at, deadline, lease_expires_at) VALUES ('practice', 'c', 'http://r', ?, 101, 1, 'urn:x', ?, 'now', 0, 'now', 'later', 'later')",
    );
    insert.run('j1', 'queued');
    expect(() => insert.run('j1', 'queued')).toThrow(/UNIQUE/);
    expect(() => insert.run('j2', 'dancing')).toThrow(/CHECK/);
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM inference_jobs WHERE competition_id = 'c' ORDER BY seq DESC LIMIT 10").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX inference_jobs_competition/);
    expect(() => db.prepare("INSERT INTO inference_workers VALUES ('c', 17, 'now')").run()).toThrow(/CHECK/);
  });
});

describe('migration 60: model runner', () => {
  it('keeps one enrolment per network and competition, refuses unknown policies and ports, and lists calls and predictions newest first by index', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 60));
    const insert = db.prepare("INSERT INTO runner_enrolments (network_id, competition_id, model_id, steps_json, policy, listen_port, updated_at) VALUES (?, ?, 'm', '[]', ?, ?, 'now')");
    insert.run('practice', 'c', 'either', 40_000);
    insert.run('other', 'c', 'v1', null);
    expect(() => insert.run('practice', 'c', 'pinned', 1)).toThrow(/UNIQUE/);
    expect(() => insert.run('practice', 'd', 'none', 1)).toThrow(/CHECK/);
    expect(() => insert.run('practice', 'e', 'v1', 70_000)).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO runner_calls (competition_id, at, method, outcome, ms) VALUES ('c', 'now', 'Setup', 'maybe', 1)").run()).toThrow(/CHECK/);
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM runner_calls WHERE competition_id = 'c' ORDER BY id DESC LIMIT 10").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX runner_calls_competition/);
    const predictions = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM runner_predictions WHERE competition_id = 'c' ORDER BY id DESC LIMIT 10").all() as { detail: string }[];
    expect(predictions.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX runner_predictions_competition/);
  });
});

describe('migration 70: remote TEE runners', () => {
  it('keeps one row per competition and address, and never a registered runner without a passing check', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 70));
    const insert = db.prepare("INSERT INTO remote_runners (id, competition_id, address, registered, tee_ok, tee_json, created_at, updated_at) VALUES (?, 'c', ?, ?, ?, '{}', 'now', 'now')");
    insert.run('r1', 'a.example:1', 1, 1);
    expect(() => insert.run('r2', 'a.example:1', 0, 1)).toThrow(/UNIQUE/);
    expect(() => insert.run('r3', 'b.example:1', 1, 0)).toThrow(/CHECK/);
    expect(() => insert.run('r4', 'c.example:1', 2, 1)).toThrow(/CHECK/);
    insert.run('r5', 'd.example:1', 0, 0);
    expect(db.prepare('SELECT COUNT(*) AS n FROM remote_runners').get()).toEqual({ n: 2 });
  });
});

describe('migration 80: runner mode', () => {
  it('keeps a runner of an older database in mutual TLS, and no mode but mtls or gateway', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 70));
    db.prepare("INSERT INTO runner_enrolments (network_id, competition_id, model_id, steps_json, updated_at) VALUES ('practice', 'old', 'm', '[]', 'now')").run();
    migrate(db, MIGRATIONS.filter((m) => m.version <= 80));
    expect(db.prepare("SELECT mode, mode_tee_json FROM runner_enrolments WHERE competition_id = 'old'").get()).toEqual({ mode: 'mtls', mode_tee_json: null });
    const insert = db.prepare("INSERT INTO runner_enrolments (network_id, competition_id, model_id, steps_json, mode, updated_at) VALUES ('practice', ?, 'm', '[]', ?, 'now')");
    insert.run('g', 'gateway');
    expect(() => insert.run('p', 'plaintext')).toThrow(/CHECK/);
  });
});

describe('migration 100: Bittensor profiles and registrations', () => {
  it('keeps existing profiles as custom, requires a genesis for a Bittensor one, and one registration per network, subnet and hotkey', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 90));
    db.prepare("INSERT INTO network_profiles VALUES ('net-old', 'Mine', 'https://chain.example', 'https://hub.example', 'now')").run();
    migrate(db, MIGRATIONS.filter((m) => m.version <= 100));
    expect(db.prepare("SELECT kind, genesis_hash FROM network_profiles WHERE id = 'net-old'").get()).toEqual({ kind: 'custom', genesis_hash: null });
    const profile = db.prepare("INSERT INTO network_profiles (id, name, kind, chain_url, hub_url, genesis_hash, created_at) VALUES (?, 'B', ?, 'ws://127.0.0.1:9945', '', ?, 'now')");
    profile.run('net-b', 'bittensor', '0x45');
    expect(() => profile.run('net-c', 'bittensor', null)).toThrow(/CHECK/);
    expect(() => profile.run('net-d', 'polkadot', '0x45')).toThrow(/CHECK/);
    const reg = db.prepare("INSERT INTO bittensor_registrations VALUES ('net-b', ?, '5Hot', 3, 10, '0xab', '1000000000', 'now')");
    reg.run(1);
    expect(() => reg.run(1)).toThrow(/UNIQUE/);
    expect(() => reg.run(-1)).toThrow(/CHECK/);
  });
});

describe('settings repository', () => {
  it('returns defaults, stores changes and falls back for values that no longer parse', () => {
    const db = openDatabase(tempFile(), MIGRATIONS);
    const repo = new SettingsRepo(db);
    expect(repo.read()).toEqual({ settings: DEFAULT_SETTINGS, invalidKeys: [] });
    expect(repo.update({ theme: 'dark', autoLockMinutes: 30 }, 'now')).toMatchObject({ theme: 'dark', autoLockMinutes: 30 });
    db.prepare("UPDATE settings SET value_json = '\"neon\"' WHERE key = 'theme'").run();
    db.prepare("INSERT INTO settings VALUES ('retiredKey', '1', 'now')").run();
    const { settings, invalidKeys } = repo.read();
    expect(settings.theme).toBe(DEFAULT_SETTINGS.theme);
    expect(settings.autoLockMinutes).toBe(30);
    expect(invalidKeys).toEqual(['theme']);
  });
  it('defaults are safe: auto-lock on, developer mode off, practice network', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ autoLockMinutes: 15, developerMode: false, network: 'practice' });
  });
});
