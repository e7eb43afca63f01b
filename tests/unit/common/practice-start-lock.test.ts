import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireStartLock, readStartLock, startLockFile, waitForPracticeStart } from '@common/practice-start-lock';
import type { AppError } from '@shared/contract/errors';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'minerva-start-lock-'));
  dirs.push(d);
  return d;
}

/** The pid of a process that has exited (a starter killed mid-start leaves one like it). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function lockOf(dir: string, pid: number, parties: string[] = ['chain', 'hub']): void {
  mkdirSync(join(dir, 'devnet'), { recursive: true });
  writeFileSync(startLockFile(dir), JSON.stringify({ pid, id: `test-${pid}`, started_at: '2026-12-06T00:00:00.000Z', parties }));
}

describe('the practice network start lock (one start at a time per data folder)', () => {
  it('is <data dir>/devnet/start.lock (0600) with the holder’s pid while held, and gone once released', async () => {
    const dir = dataDir();
    const lock = await acquireStartLock(dir, ['chain', 'hub']);
    expect(startLockFile(dir)).toBe(join(dir, 'devnet', 'start.lock'));
    expect(statSync(startLockFile(dir)).mode & 0o777).toBe(0o600);
    expect(readStartLock(dir)).toMatchObject({ pid: process.pid, parties: ['chain', 'hub'] });
    lock.release();
    lock.release();
    expect(readStartLock(dir)).toBeNull();
    expect(readdirSync(join(dir, 'devnet'))).toEqual([]);
  });

  it('a holder asked to stop while starting says so in the lock (replaced whole, still 0600); waiters say they wait for the stop, then go on', async () => {
    const dir = dataDir();
    const first = await acquireStartLock(dir, ['chain', 'hub']);
    const words: string[] = [];
    const second = acquireStartLock(dir, ['chain'], { pollMs: 10, progressEveryMs: 60_000, onProgress: (w) => words.push(w) });
    await new Promise((r) => setTimeout(r, 100));
    first.markStopping();
    expect(readStartLock(dir)).toMatchObject({ pid: process.pid, parties: ['chain', 'hub'], stopping: true });
    expect(statSync(startLockFile(dir)).mode & 0o777).toBe(0o600);
    await new Promise((r) => setTimeout(r, 100));
    expect(words).toEqual([
      `Waiting for process ${process.pid} to finish starting the practice chain, hub, then using what it started…`,
      `Process ${process.pid} was asked to stop while it started the practice chain, hub: waiting for it to stop them, then going on without them…`,
    ]);
    first.release();
    first.markStopping(); // released: leaves the next holder's lock alone
    const lock = await second;
    expect(readStartLock(dir)).toMatchObject({ parties: ['chain'] });
    expect(readStartLock(dir)?.stopping).toBeUndefined();
    lock.release();
    expect(readdirSync(join(dir, 'devnet'))).toEqual([]);
  });

  it('makes a second start wait for the first, saying so in words, and go on once it is released', async () => {
    const dir = dataDir();
    const first = await acquireStartLock(dir, ['chain', 'hub']);
    const words: string[] = [];
    let secondHolds = false;
    const second = acquireStartLock(dir, [], { pollMs: 10, progressEveryMs: 50, onProgress: (w) => words.push(w) }).then((lock) => {
      secondHolds = true;
      return lock;
    });
    const waiter = waitForPracticeStart(dir, { pollMs: 10 });
    await new Promise((r) => setTimeout(r, 200));
    expect(secondHolds).toBe(false);
    expect(words[0]).toBe(`Waiting for process ${process.pid} to finish starting the practice chain, hub, then using what it started…`);
    expect(words.slice(1).some((w) => /^Still waiting for process \d+ to finish starting the practice chain, hub \(\d+ s of at most 60 s\)…$/.test(w))).toBe(true);
    first.release();
    const lock = await second;
    expect(readStartLock(dir)).toMatchObject({ pid: process.pid, parties: [] });
    lock.release();
    await waiter;
    expect(readStartLock(dir)).toBeNull();
  });

  it('moves aside the lock of a process that is gone (killed mid-start) and says so; no stale file is left', async () => {
    const dir = dataDir();
    const pid = deadPid();
    lockOf(dir, pid);
    expect(readStartLock(dir)).toBeNull();
    const words: string[] = [];
    const lock = await acquireStartLock(dir, ['router'], { onProgress: (w) => words.push(w) });
    expect(words).toEqual([`Process ${pid} stopped before it had started the practice chain, hub; going on without it.`]);
    expect(readStartLock(dir)).toMatchObject({ pid: process.pid, parties: ['router'] });
    lock.release();
    expect(readdirSync(join(dir, 'devnet'))).toEqual([]);
  });

  it('notices the holder dying while it waits', async () => {
    const dir = dataDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      lockOf(dir, holder.pid!, ['chain']);
      const words: string[] = [];
      const waited = waitForPracticeStart(dir, { pollMs: 20, onProgress: (w) => words.push(w) });
      await new Promise((r) => setTimeout(r, 100));
      expect(words).toEqual([`Waiting for process ${holder.pid} to finish starting the practice chain, then using what it started…`]);
      const exited = new Promise((r) => holder.once('exit', r));
      holder.kill('SIGKILL');
      await exited;
      await waited;
      expect(words.at(-1)).toBe(`Process ${holder.pid} stopped before it had started the practice chain; going on without it.`);
      expect(readdirSync(join(dir, 'devnet'))).toEqual([]);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('gives up after its bound with TIMEOUT in words, and stops at once when cancelled', async () => {
    const dir = dataDir();
    const first = await acquireStartLock(dir, ['chain']);
    await expect(acquireStartLock(dir, ['hub'], { timeoutMs: 150, pollMs: 10 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(
        new RegExp(`^Process ${process.pid} is still starting the practice chain for this data folder after \\d+ s\\. Wait for it \\(minerva devnet status\\), or stop it \\(minerva devnet stop\\), and try again\\.$`),
      ) as unknown as string,
    });
    const abort = new AbortController();
    const cancelled = waitForPracticeStart(dir, { signal: abort.signal });
    abort.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' } satisfies Partial<AppError>);
    // The holder's lock is untouched by those who gave up.
    expect(readStartLock(dir)).toMatchObject({ pid: process.pid, parties: ['chain'] });
    first.release();
    await waitForPracticeStart(dir);
  });

  it('reads a broken lock as nobody’s and clears it', async () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'devnet'));
    writeFileSync(startLockFile(dir), '{"pid":');
    expect(readStartLock(dir)).toBeNull();
    await waitForPracticeStart(dir);
    expect(readdirSync(join(dir, 'devnet'))).toEqual([]);
  });
});
