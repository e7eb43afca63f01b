import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { backupDirOf } from '../db/open';

/**
 * A failed start after an update can roll back. Before the desktop app installs a verified update
 * it writes `<data dir>/updates/pending.json` (from, to, when, and the previous version's
 * installer if it kept one). Every start of the app calls `startupCheck` before it opens core:
 *
 *   - no marker                       → nothing to do
 *   - the marker names another version → the install did not happen; the marker is dropped
 *   - the marker names this version    → a trial start: its attempt is counted; once the app is
 *                                        up (core open, window shown), the host calls `markHealthy`,
 *                                        which removes the marker and records the update
 *   - more than MAX_TRIAL_STARTS trial starts without `markHealthy` → `rollback`: `rollBack`
 *     puts back the database copy written before this version's migrations (db/open.ts), so the
 *     previous version can open it, and returns the previous installer for the host to run.
 *
 * Nothing here touches the vault: the wallet file's format does not change with an update.
 * Pure file work (no Electron), tested in tests/unit/core/updates/pending.test.ts.
 */
export const MAX_TRIAL_STARTS = 2;

const markerSchema = z.object({
  from: z.string(),
  to: z.string(),
  at: z.string(),
  /** The previous version's installer, kept to roll back to (null: none kept). */
  previous: z.string().nullable(),
  attempts: z.number().int().min(0).default(0),
});
export type PendingUpdate = z.infer<typeof markerSchema>;

const recordSchema = z.object({ from: z.string(), to: z.string(), at: z.string(), outcome: z.enum(['updated', 'rolled-back']), detail: z.string() });
export type UpdateRecord = z.infer<typeof recordSchema>;

export type StartupDecision =
  | { state: 'none' }
  | { state: 'not-applied'; marker: PendingUpdate }
  | { state: 'trial'; marker: PendingUpdate; attempt: number }
  | { state: 'rollback'; marker: PendingUpdate };

export function updatesDir(dataDir: string): string {
  return join(dataDir, 'updates');
}
const markerPath = (dataDir: string): string => join(updatesDir(dataDir), 'pending.json');
const recordPath = (dataDir: string): string => join(updatesDir(dataDir), 'last.json');

function writeJson(file: string, value: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}

export function readPendingUpdate(dataDir: string): PendingUpdate | null {
  try {
    return markerSchema.parse(JSON.parse(readFileSync(markerPath(dataDir), 'utf8')));
  } catch {
    return null;
  }
}

/** Written by the host just before it installs `to` (the user chose to restart). */
export function writePendingUpdate(dataDir: string, update: { from: string; to: string; previous: string | null }, now = new Date()): PendingUpdate {
  const marker: PendingUpdate = { ...update, at: now.toISOString(), attempts: 0 };
  writeJson(markerPath(dataDir), marker);
  return marker;
}

/** Called by the host at every start, before core opens (so a start that throws is still counted). */
export function startupCheck(dataDir: string, runningVersion: string): StartupDecision {
  const marker = readPendingUpdate(dataDir);
  if (!marker) {
    rmSync(markerPath(dataDir), { force: true });
    return { state: 'none' };
  }
  if (marker.to !== runningVersion) {
    rmSync(markerPath(dataDir), { force: true });
    return { state: 'not-applied', marker };
  }
  if (marker.attempts >= MAX_TRIAL_STARTS) return { state: 'rollback', marker };
  const next = { ...marker, attempts: marker.attempts + 1 };
  writeJson(markerPath(dataDir), next);
  return { state: 'trial', marker: next, attempt: next.attempts };
}

/** The app is up on the new version: the update stays. Returns the record (null: no update was pending). */
export function markHealthy(dataDir: string, runningVersion: string, now = new Date()): UpdateRecord | null {
  const marker = readPendingUpdate(dataDir);
  if (!marker || marker.to !== runningVersion) return null;
  const record: UpdateRecord = { from: marker.from, to: marker.to, at: now.toISOString(), outcome: 'updated', detail: `Updated from ${marker.from} to ${marker.to}.` };
  writeJson(recordPath(dataDir), record);
  rmSync(markerPath(dataDir), { force: true });
  return record;
}

/** The last update or rollback, for Settings → Updates. */
export function lastUpdateRecord(dataDir: string): UpdateRecord | null {
  try {
    return recordSchema.parse(JSON.parse(readFileSync(recordPath(dataDir), 'utf8')));
  } catch {
    return null;
  }
}

/**
 * Rolls back a version that failed to start: the database copy written before its migrations
 * (if it migrated) replaces `minerva.db` — the failed version's copy is kept beside it as
 * `minerva.db.failed-<version>` — and the marker becomes a record. Returns the previous
 * installer for the host to run (null: none was kept; the record says to reinstall `from`).
 */
export function rollBack(dataDir: string, marker: PendingUpdate, now = new Date()): { previous: string | null; restoredDatabase: string | null; record: UpdateRecord } {
  const dbFile = join(dataDir, 'minerva.db');
  const copy = backupSince(backupDirOf(dbFile), Date.parse(marker.at));
  if (copy) {
    if (existsSync(dbFile)) copyFileSync(dbFile, `${dbFile}.failed-${marker.to}`);
    for (const side of ['-wal', '-shm']) rmSync(`${dbFile}${side}`, { force: true });
    copyFileSync(copy, dbFile);
  }
  const previous = marker.previous && existsSync(marker.previous) ? marker.previous : null;
  const record: UpdateRecord = {
    from: marker.to,
    to: marker.from,
    at: now.toISOString(),
    outcome: 'rolled-back',
    detail:
      `Minerva ${marker.to} did not start ${marker.attempts} times, so it was rolled back to ${marker.from}` +
      (copy ? ' and the database copy from before its upgrade was put back.' : '.') +
      (previous ? '' : ` Install Minerva ${marker.from} again from the website.`),
  };
  writeJson(recordPath(dataDir), record);
  rmSync(markerPath(dataDir), { force: true });
  return { previous, restoredDatabase: copy, record };
}

/** The oldest pre-migration copy written at or after `sinceMs` (the first migration of the new version). */
function backupSince(dir: string, sinceMs: number): string | null {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.db'));
  } catch {
    return null;
  }
  const candidates = names.map((n) => ({ path: join(dir, n), at: statSync(join(dir, n)).mtimeMs })).filter((c) => c.at >= sinceMs - 1000);
  candidates.sort((a, b) => a.at - b.at);
  return candidates[0]?.path ?? null;
}
