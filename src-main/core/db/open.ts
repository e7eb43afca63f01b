import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '@shared/contract/errors';
import { MigrationError, latestVersion, migrate, type Migration } from './migrations';

export type Db = Database.Database;

/**
 * Opens `<data dir>/minerva.db` with WAL, foreign keys and a busy timeout, then migrates it with
 * every feature's migrations (MIGRATIONS in create-core.ts). Before migrating a database that has
 * data (an app update added tables), a copy is written to `<folder>/backups/` first
 * (`backupBeforeMigrate`): a failed start after an update rolls back to it (core/updates/pending.ts).
 * No copy, no upgrade: a copy that cannot be written (full disk, a folder that refuses writes)
 * stops the start with DB_BACKUP_FAILED, and the database is left as it was.
 * Errors come back as AppError in words a miner understands.
 */
export function openDatabase(file: string, migrations: readonly Migration[]): Db {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let db: Db;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
  } catch (error) {
    throw new AppError('DB_CORRUPT', 'The app database could not be opened. It may be damaged or locked by another program; close other copies of Minerva and try again.', {
      cause: error,
    });
  }
  try {
    backupBeforeMigrate(db, file, migrations);
    migrate(db, migrations);
  } catch (error) {
    db.close();
    if (error instanceof AppError) throw error;
    if (error instanceof MigrationError && error.kind === 'FROM_FUTURE') throw new AppError('DB_FROM_FUTURE', error.message, { cause: error });
    throw new AppError('DB_CORRUPT', 'The app database could not be upgraded. Your data is unchanged; report this with the log file.', { cause: error });
  }
  return db;
}

/** How many pre-migration copies are kept (the oldest go first). */
export const KEPT_BACKUPS = 3;

/** The folder with pre-migration copies of `<file>`. */
export function backupDirOf(file: string): string {
  return join(dirname(file), 'backups');
}

/**
 * When migrations are pending on a database that already has a schema, writes a consistent copy
 * (`VACUUM INTO`) to `backups/minerva-schema-<from>-<time>.db` before anything changes. A fresh
 * database (schema 0) or one already current is not copied. Returns the copy's path, or null.
 */
export function backupBeforeMigrate(db: Db, file: string, migrations: readonly Migration[]): string | null {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === 0 || current >= latestVersion(migrations)) return null;
  const dir = backupDirOf(file);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = join(dir, `minerva-schema-${current}-${stamp}.db`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    db.prepare('VACUUM INTO ?').run(target);
  } catch (error) {
    // A half-written copy is no copy; the database itself was only read.
    try {
      rmSync(target, { force: true });
    } catch {
      // the folder refuses even that: nothing of ours is in it
    }
    throw backupFailed(error, dir, file);
  }
  try {
    const copies = readdirSync(dir).filter((n) => /^minerva-schema-\d+-.*\.db$/.test(n));
    // Names sort by time within a schema; order by the time part so the newest are kept.
    const byTime = copies.sort((a, b) => a.replace(/^minerva-schema-\d+-/, '').localeCompare(b.replace(/^minerva-schema-\d+-/, '')));
    for (const old of byTime.slice(0, Math.max(0, byTime.length - KEPT_BACKUPS))) rmSync(join(dir, old), { force: true });
  } catch {
    // an older copy left over costs disk space only; the next upgrade prunes again
  }
  return target;
}

/** The copy could not be written: in words, with what to do (the upgrade did not start). */
function backupFailed(error: unknown, dir: string, file: string): AppError {
  const code = (error as { code?: unknown }).code;
  const full = code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
  let size = '';
  try {
    size = ` (about ${Math.max(1, Math.ceil(statSync(file).size / 1_000_000))} MB)`;
  } catch {
    // the size is only a hint
  }
  const why = full ? 'the disk is full' : `that folder cannot be written to${typeof code === 'string' ? ` (${code})` : ''}`;
  const next = full
    ? `Free some disk space${size} and start Minerva again.`
    : 'Make it a folder your user can write to (or move whatever is in its place away), and check that the disk is not read-only; then start Minerva again.';
  return new AppError('DB_BACKUP_FAILED', `Minerva saves a copy of its database in ${dir} before upgrading it, and ${why}. Nothing was changed: your data is as it was. ${next}`, {
    cause: error,
    details: { code: typeof code === 'string' ? code : null },
  });
}
