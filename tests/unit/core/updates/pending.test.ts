import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '@core/create-core';
import { backupDirOf, openDatabase, KEPT_BACKUPS } from '@core/db/open';
import type { Migration } from '@core/db/migrations';
import { MAX_TRIAL_STARTS, lastUpdateRecord, markHealthy, rollBack, startupCheck, writePendingUpdate } from '@core/updates/pending';

/**
 * A failed start after an update rolls back; a good one stays. Real files and a real SQLite
 * database: the "new version" is the app's migrations plus one more, as an update that adds a
 * table would be.
 */
const newer: Migration[] = [...MIGRATIONS, { version: MIGRATIONS.at(-1)!.version + 10_000, name: 'an update adds a table', up: (db) => db.exec('CREATE TABLE from_the_update (x INTEGER) STRICT') }];
const folder = (): string => mkdtempSync(join(tmpdir(), 'minerva-pending-'));

function oldVersionWrites(dataDir: string): void {
  const db = openDatabase(join(dataDir, 'minerva.db'), MIGRATIONS);
  db.prepare("INSERT INTO audit_log (at, actor, action) VALUES ('2026-12-06', 'user', 'written by 0.1.0')").run();
  db.close();
}

describe('a start after an update', () => {
  it('a healthy start keeps the update and records it; the marker is gone', () => {
    const dir = folder();
    writePendingUpdate(dir, { from: '0.1.0', to: '0.2.0', previous: null });
    expect(startupCheck(dir, '0.2.0')).toMatchObject({ state: 'trial', attempt: 1 });
    expect(markHealthy(dir, '0.2.0')).toMatchObject({ outcome: 'updated', detail: 'Updated from 0.1.0 to 0.2.0.' });
    expect(startupCheck(dir, '0.2.0')).toEqual({ state: 'none' });
    expect(lastUpdateRecord(dir)).toMatchObject({ from: '0.1.0', to: '0.2.0' });
  });

  it('an install that did not happen (still the old version) drops the marker', () => {
    const dir = folder();
    writePendingUpdate(dir, { from: '0.1.0', to: '0.2.0', previous: null });
    expect(startupCheck(dir, '0.1.0')).toMatchObject({ state: 'not-applied' });
    expect(startupCheck(dir, '0.1.0')).toEqual({ state: 'none' });
  });

  it('after repeated failed starts it rolls back: the pre-upgrade database copy returns and the old version opens it', () => {
    const dir = folder();
    oldVersionWrites(dir);
    const installer = join(dir, 'Minerva-0.1.0.AppImage');
    writeFileSync(installer, 'previous version');
    writePendingUpdate(dir, { from: '0.1.0', to: '0.2.0', previous: installer }, new Date(Date.now() - 500));
    // The new version starts, migrates (a copy is written first), and dies before it is healthy.
    for (let i = 1; i <= MAX_TRIAL_STARTS; i++) {
      expect(startupCheck(dir, '0.2.0')).toMatchObject({ state: 'trial', attempt: i });
      openDatabase(join(dir, 'minerva.db'), newer).close();
    }
    const decision = startupCheck(dir, '0.2.0');
    expect(decision.state).toBe('rollback');
    // The old version refuses the migrated database, as it must (newer schema)…
    expect(() => openDatabase(join(dir, 'minerva.db'), MIGRATIONS)).toThrow(/newer Minerva/);
    if (decision.state !== 'rollback') return;
    const result = rollBack(dir, decision.marker);
    expect(result.previous).toBe(installer);
    expect(result.restoredDatabase).not.toBeNull();
    expect(result.record.detail).toMatch(/0\.2\.0 did not start 2 times, so it was rolled back to 0\.1\.0 and the database copy/);
    // …and after the rollback it opens it, with what it had written.
    const db = openDatabase(join(dir, 'minerva.db'), MIGRATIONS);
    expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'written by 0.1.0'").get()).toEqual({ n: 1 });
    db.close();
    expect(existsSync(join(dir, 'minerva.db.failed-0.2.0'))).toBe(true);
    expect(startupCheck(dir, '0.1.0')).toEqual({ state: 'none' });
    expect(lastUpdateRecord(dir)?.outcome).toBe('rolled-back');
  });

  it('a rollback without a kept installer says to reinstall the previous version', () => {
    const dir = folder();
    writePendingUpdate(dir, { from: '0.1.0', to: '0.2.0', previous: join(dir, 'gone.AppImage') });
    for (let i = 0; i < MAX_TRIAL_STARTS; i++) startupCheck(dir, '0.2.0');
    const decision = startupCheck(dir, '0.2.0');
    if (decision.state !== 'rollback') throw new Error(`expected a rollback, got ${decision.state}`);
    const result = rollBack(dir, decision.marker);
    expect(result.previous).toBeNull();
    expect(result.restoredDatabase).toBeNull();
    expect(result.record.detail).toContain('Install Minerva 0.1.0 again from the website.');
  });
});

describe('database copy before migrations', () => {
  it('is written only when a database with data is migrated, and only the newest copies are kept', () => {
    const dir = folder();
    const file = join(dir, 'minerva.db');
    openDatabase(file, MIGRATIONS).close();
    expect(existsSync(backupDirOf(file))).toBe(false); // a new database is not copied
    openDatabase(file, MIGRATIONS).close();
    expect(existsSync(backupDirOf(file))).toBe(false); // nothing pending: no copy
    let migrations = MIGRATIONS as readonly Migration[];
    for (let i = 1; i <= KEPT_BACKUPS + 2; i++) {
      migrations = [...migrations, { version: migrations.at(-1)!.version + 10, name: `step ${i}`, up: (db) => db.exec(`CREATE TABLE t${i} (x INTEGER) STRICT`) }];
      openDatabase(file, migrations).close();
    }
    const copies = readdirSync(backupDirOf(file));
    expect(copies).toHaveLength(KEPT_BACKUPS);
    const last = MIGRATIONS.at(-1)!.version;
    expect(copies.some((n) => n.startsWith(`minerva-schema-${last + 40}-`))).toBe(true);
    expect(copies.some((n) => n.startsWith(`minerva-schema-${last}-`))).toBe(false);
  });
});
