import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '@core/create-core';
import type { Migration } from '@core/db/migrations';
import { backupDirOf, openDatabase } from '@core/db/open';
import { AppError } from '@shared/contract/errors';

/**
 * Before an upgrade migrates the database, a copy goes to `backups/` (core/db/open.ts). When that
 * copy cannot be written — a folder that refuses writes, a full disk — the start stops with
 * DB_BACKUP_FAILED in words (what happened, what to do) and the database is exactly as it was:
 * same bytes, same schema version, no half-written copy. Real folders: as a normal user the
 * folder is chmod 500; as root (who writes anyway) it is a read-only tmpfs, and the full disk a
 * 64 KiB tmpfs (root only: mounting needs it).
 */
const newer: Migration[] = [...MIGRATIONS, { version: MIGRATIONS.at(-1)!.version + 10_000, name: 'an update adds a table', up: (db) => db.exec('CREATE TABLE from_the_update (x INTEGER) STRICT') }];
const isRoot = process.getuid?.() === 0;
const mounts: string[] = [];

afterEach(() => {
  for (const dir of mounts.splice(0)) execFileSync('umount', [dir]);
});

/** A database written by the version before the update, with `rows` audit entries of ~1 KB. */
function oldDatabase(rows = 1): string {
  const file = join(mkdtempSync(join(tmpdir(), 'minerva-backup-')), 'minerva.db');
  const db = openDatabase(file, MIGRATIONS);
  const insert = db.prepare("INSERT INTO audit_log (at, actor, action) VALUES ('2026-12-06', 'user', ?)");
  for (let i = 0; i < rows; i++) insert.run(`written by 0.1.0 #${i} ${'x'.repeat(1000)}`);
  db.close();
  return file;
}

function tmpfs(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    mounts.push(dir);
    return true;
  } catch {
    return false;
  }
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function refusal(file: string): AppError {
  try {
    openDatabase(file, newer).close();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('the upgrade went ahead without its copy');
}

/** The database as the old version left it: same schema version, its row, no table of the update. */
function expectUntouched(file: string, before: string, rows: number): void {
  expect(digest(file)).toBe(before);
  const db = openDatabase(file, MIGRATIONS);
  expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
  expect(db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'written by 0.1.0%'").get()).toEqual({ n: rows });
  expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'from_the_update'").get()).toBeUndefined();
  db.close();
}

describe('the copy before an upgrade cannot be written', () => {
  it('a backups folder that refuses writes: DB_BACKUP_FAILED in words, the database untouched', (context) => {
    const file = oldDatabase();
    const dir = backupDirOf(file);
    mkdirSync(dir, { mode: 0o700 });
    if (isRoot) {
      if (!tmpfs(dir, 'ro,size=1m')) context.skip('running as root without the right to mount a read-only folder');
    } else chmodSync(dir, 0o500);
    const before = digest(file);

    const error = refusal(file);
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('DB_BACKUP_FAILED');
    expect(error.message).toMatch(new RegExp(`^Minerva saves a copy of its database in ${escaped(dir)} before upgrading it, and that folder cannot be written to \\([A-Z_]+\\)\\. Nothing was changed: your data is as it was\\. Make it a folder your user can write to`));
    expect(error.message).toMatch(/then start Minerva again\.$/);
    expect(readdirSync(dir)).toEqual([]);
    expectUntouched(file, before, 1);
    if (!isRoot) chmodSync(dir, 0o700);
  });

  it('a full disk: DB_BACKUP_FAILED says to free space, no half-written copy is left, the database untouched', (context) => {
    if (!isRoot) context.skip('a full disk is a 64 KiB tmpfs here, and mounting one needs root');
    const file = oldDatabase(300); // ~300 KB: more than the folder holds
    const dir = backupDirOf(file);
    mkdirSync(dir, { mode: 0o700 });
    if (!tmpfs(dir, 'size=64k,mode=0700')) context.skip('running as root without the right to mount a tmpfs');
    const before = digest(file);

    const error = refusal(file);
    expect(error.code).toBe('DB_BACKUP_FAILED');
    expect(error.message).toMatch(new RegExp(`^Minerva saves a copy of its database in ${escaped(dir)} before upgrading it, and the disk is full\\. Nothing was changed: your data is as it was\\. Free some disk space \\(about 1 MB\\) and start Minerva again\\.$`));
    expect(readdirSync(dir)).toEqual([]);
    expectUntouched(file, before, 300);
  });
});
