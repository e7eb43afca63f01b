import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '@shared/contract/errors';
import { MigrationError, migrate, type Migration } from './migrations';

export type Db = Database.Database;

/**
 * Opens `<data dir>/minerva.db` with WAL, foreign keys and a busy timeout, then migrates it with
 * every feature's migrations (MIGRATIONS in create-core.ts).
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
    migrate(db, migrations);
  } catch (error) {
    db.close();
    if (error instanceof MigrationError && error.kind === 'FROM_FUTURE') throw new AppError('DB_FROM_FUTURE', error.message, { cause: error });
    throw new AppError('DB_CORRUPT', 'The app database could not be upgraded. Your data is unchanged; report this with the log file.', { cause: error });
  }
  return db;
}
