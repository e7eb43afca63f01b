import { lstatSync, readdirSync, rmSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';

/**
 * Browser uploads (`<data dir>/uploads/<uuid>/<name>`, headless/upload.ts) that no submission ever
 * used: the miner cancelled the publish confirmation, closed the tab before submitting, or the app
 * was killed mid-upload. The verdict step removes the uploads it used; these would stay forever.
 *
 * At start, an upload folder is removed when nothing in it changed for `graceMs` AND no submission
 * that may still need it names a file inside it (running, waiting, or failed — a failed one keeps
 * its file for Retry). Only folders directly under `uploads/` are looked at; symlinks are never
 * followed (removing one removes the link only). Returns the names of the folders removed.
 */
export function removeAbandonedUploads(opts: { uploadsDir: string; liveFiles: readonly string[]; graceMs: number; nowMs: number }): string[] {
  let entries: string[];
  try {
    entries = readdirSync(opts.uploadsDir);
  } catch {
    return []; // no uploads folder yet
  }
  const live = new Set(opts.liveFiles.map((file) => folderOf(opts.uploadsDir, file)).filter((f): f is string => f !== null));
  const removed: string[] = [];
  for (const name of entries) {
    if (live.has(name)) continue;
    const dir = join(opts.uploadsDir, name);
    const info = lstatOrNull(dir);
    if (!info?.isDirectory()) continue;
    if (opts.nowMs - newestChange(dir, info) < opts.graceMs) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** The upload folder (its name under `uploads/`) a file lies in, or null when it is elsewhere. */
function folderOf(uploadsDir: string, file: string): string | null {
  const rel = relative(uploadsDir, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !rel.includes(sep)) return null;
  return rel.split(sep)[0] ?? null;
}

/** The latest change in an upload folder (an upload still being written keeps moving its file's mtime). */
function newestChange(dir: string, info: Stats): number {
  let newest = info.mtimeMs;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return newest;
  }
  for (const name of names) {
    const entry = lstatOrNull(join(dir, name));
    if (entry) newest = Math.max(newest, entry.mtimeMs);
  }
  return newest;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
