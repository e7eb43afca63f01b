/**
 * `<dataDir>/devnet/start.lock`: held by the process that is starting practice parties for a data
 * folder, from before it reads the state file until every party it starts is recorded there. A
 * process that would attach (serve, `minerva checkpoint`, the desktop app) or start parties
 * (`minerva devnet start`) while another one is still starting waits for that start to finish and
 * then uses what it started, instead of finding some parties missing, starting them too and
 * colliding (`CONFLICT`, or two chains).
 *
 * The lock is a file created whole (written to a temp file, then hard-linked to its name, which
 * fails when it exists) holding the starter's pid. A lock whose process is gone (kill -9 mid-start)
 * is stale: the next process moves it aside and carries on. Waiting is bounded (`TIMEOUT`) and
 * says what it waits for, in words.
 *
 * ```json
 * {"pid":4242,"id":"…uuid…","started_at":"2026-…Z","parties":["chain","hub"]}
 * ```
 *
 * A holder asked to stop while it starts (SIGTERM to `minerva devnet start`) adds `"stopping":true`
 * and stops what it started before it releases the lock: a waiter then finds nothing to attach to
 * and starts its own, instead of attaching to parties about to stop.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@shared/contract/errors';
import { isProcessAlive } from './process';

export interface StartLockInfo {
  pid: number;
  /** Tells two holders with the same pid apart (two starts in one process, a reused pid). */
  id: string;
  started_at: string;
  /** What the holder starts; empty when it first looks what is missing (attach). */
  parties: string[];
  /** Set when the holder was asked to stop while starting: it stops what it started before releasing the lock, and a waiter starts its own. */
  stopping?: boolean;
}

export interface StartLock {
  /** Removes the lock if it is still this one; safe to call twice. */
  release(): void;
  /** Says in the lock that this start ends in a stop (written whole; waiters' words follow). */
  markStopping(): void;
}

export interface StartWaitOptions {
  /** Give up after this long with `TIMEOUT` (default 60 000 ms). */
  timeoutMs?: number;
  /** Progress in words: once when the wait begins, every `progressEveryMs` while it lasts, and when the holder is found gone. */
  onProgress?: (words: string) => void;
  /** Default 5000 ms. */
  progressEveryMs?: number;
  /** How often the lock and its holder's pid are looked at (default 100 ms). */
  pollMs?: number;
  /** Stops the wait with `CANCELLED` (the app is stopping; the words of core's `practiceStartCancelled()`). */
  signal?: AbortSignal;
}

export const DEFAULT_START_WAIT_MS = 60_000;

export function startLockFile(dataDir: string): string {
  return join(dataDir, 'devnet', 'start.lock');
}

function readLock(file: string): StartLockInfo | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StartLockInfo>;
    if (typeof parsed.pid !== 'number' || typeof parsed.id !== 'string') return null;
    return { pid: parsed.pid, id: parsed.id, started_at: String(parsed.started_at ?? ''), parties: Array.isArray(parsed.parties) ? parsed.parties.map(String) : [], ...(parsed.stopping === true ? { stopping: true } : {}) };
  } catch {
    return null;
  }
}

/** The start in progress for this data folder (its holder alive), or null. */
export function readStartLock(dataDir: string): StartLockInfo | null {
  const lock = readLock(startLockFile(dataDir));
  return lock && isProcessAlive(lock.pid) ? lock : null;
}

/** Creates the lock whole; false when one exists. */
function tryCreate(file: string, info: StartLockInfo): boolean {
  const temp = `${file}.${info.pid}-${info.id}.tmp`;
  writeFileSync(temp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Moves aside the lock judged stale (`seen`). If what was moved is not `seen` — a new start took
 * the lock between the look and the move — it is put back.
 */
function removeStale(file: string, seen: StartLockInfo | null): void {
  const aside = `${file}.${process.pid}-${randomUUID()}.stale`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readLock(aside);
  if (moved && moved.id !== seen?.id) {
    try {
      linkSync(aside, file);
    } catch {
      // yet another start holds the lock now: it waits on nobody but itself
    }
  }
  rmSync(aside, { force: true });
}

function what(holder: StartLockInfo): string {
  return holder.parties.length > 0 ? `the practice ${holder.parties.join(', ')}` : 'the practice network';
}

/**
 * The shared loop: returns once no live start holds the lock (or, with `take`, once this process
 * holds it). A lock of a process that is gone is removed and said so.
 */
async function untilFree(dataDir: string, options: StartWaitOptions, take: StartLockInfo | null): Promise<void> {
  const file = startLockFile(dataDir);
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_WAIT_MS;
  const everyMs = options.progressEveryMs ?? 5000;
  const pollMs = options.pollMs ?? 100;
  const say = options.onProgress ?? (() => undefined);
  const began = Date.now();
  let waitingFor: string | null = null;
  let lastWord = 0;
  for (;;) {
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'Minerva is stopping: the practice network was not started.');
    if (take && !existsSync(file) && tryCreate(file, take)) return;
    const holder = readLock(file);
    if (!take && holder === null && !existsSync(file)) return;
    if (holder === null || !isProcessAlive(holder.pid)) {
      // Gone mid-start (killed, crashed) or an unreadable lock: nobody will release it.
      if (holder) say(`Process ${holder.pid} stopped before it had started ${what(holder)}; going on without it.`);
      removeStale(file, holder);
      waitingFor = null;
      if (!take) return;
      continue;
    }
    const waited = Date.now() - began;
    if (waited >= timeoutMs) {
      throw new AppError(
        'TIMEOUT',
        `Process ${holder.pid} is still starting ${what(holder)} for this data folder after ${Math.round(waited / 1000)} s. Wait for it (minerva devnet status), or stop it (minerva devnet stop), and try again.`,
      );
    }
    const seen = `${holder.id}${holder.stopping ? ':stopping' : ''}`;
    if (waitingFor !== seen) {
      waitingFor = seen;
      lastWord = Date.now();
      say(
        holder.stopping
          ? `Process ${holder.pid} was asked to stop while it started ${what(holder)}: waiting for it to stop them, then going on without them…`
          : `Waiting for process ${holder.pid} to finish starting ${what(holder)}, then using what it started…`,
      );
    } else if (Date.now() - lastWord >= everyMs) {
      lastWord = Date.now();
      say(`Still waiting for process ${holder.pid} to ${holder.stopping ? 'stop' : 'finish starting'} ${what(holder)} (${Math.round(waited / 1000)} s of at most ${Math.round(timeoutMs / 1000)} s)…`);
    }
    try {
      await sleep(pollMs, undefined, options.signal ? { signal: options.signal } : undefined);
    } catch {
      // aborted: said at the top of the loop
    }
  }
}

/**
 * Takes the start lock of this data folder, first waiting (bounded, with progress in words) for a
 * start in progress in another process — or another start in this one — to finish.
 */
export async function acquireStartLock(dataDir: string, parties: readonly string[], options: StartWaitOptions = {}): Promise<StartLock> {
  mkdirSync(join(dataDir, 'devnet'), { recursive: true, mode: 0o700 });
  const file = startLockFile(dataDir);
  const info: StartLockInfo = { pid: process.pid, id: randomUUID(), started_at: new Date().toISOString(), parties: [...parties] };
  await untilFree(dataDir, options, info);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (readLock(file)?.id === info.id) rmSync(file, { force: true });
    },
    markStopping() {
      if (released || readLock(file)?.id !== info.id) return;
      // Replaced whole (rename over it): a waiter never reads half a lock.
      const temp = `${file}.${info.pid}-${info.id}.stopping.tmp`;
      writeFileSync(temp, `${JSON.stringify({ ...info, stopping: true })}\n`, { mode: 0o600 });
      renameSync(temp, file);
    },
  };
}

/** Waits (as `acquireStartLock` does) until no start is in progress for this data folder, without taking the lock. */
export function waitForPracticeStart(dataDir: string, options: StartWaitOptions = {}): Promise<void> {
  return untilFree(dataDir, options, null);
}
