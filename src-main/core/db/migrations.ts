import type Database from 'better-sqlite3';

/**
 * Schema migrations, Signal-style: one function per version, versions in steps of ten, tracked
 * by `PRAGMA user_version`, all pending ones applied in one transaction, a database from the
 * future refused. Migrations are additive: a dropped table or column name is never reused.
 *
 * Each feature declares its own migrations next to its tables (`<feature>.migrations.ts`); the
 * kernel collects them in version order (`collectMigrations`, a version used twice is refused)
 * and `MIGRATIONS` in create-core.ts is the whole list. Core's own tables (settings, audit log)
 * are BASE_MIGRATIONS here. Adding one: the next free version in tens, a test in
 * tests/unit/core/db/migrations.test.ts, and tests/unit/core/db/schema.snapshot.sql updated.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export const BASE_MIGRATIONS: readonly Migration[] = [
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

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/** Applies every pending migration in one transaction. Returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number[] {
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
