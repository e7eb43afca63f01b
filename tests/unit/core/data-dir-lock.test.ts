import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDataDirLock } from '@core/data-dir-lock';

const dir = () => mkdtempSync(join(tmpdir(), 'minerva-lock-'));

describe('data folder lock', () => {
  it('refuses a second Minerva on the same folder while the first runs, with what to do', async () => {
    const d = dir();
    // Another live process holds the lock.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(join(d, 'minerva.lock'), JSON.stringify({ pid: other.pid, host: 'electron', startedAt: 'x' }));
      expect(() => acquireDataDirLock(d, 'headless')).toThrow(/already running with this data folder .*the desktop app.*another --data-dir/);
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    // Once that process is gone, its stale lock is taken over.
    const lock = acquireDataDirLock(d, 'headless');
    lock.release();
    expect(existsSync(join(d, 'minerva.lock'))).toBe(false);
  });

  it('takes over an unreadable lock file and releases only its own', () => {
    const d = dir();
    writeFileSync(join(d, 'minerva.lock'), 'garbage');
    const lock = acquireDataDirLock(d, 'headless');
    expect(existsSync(join(d, 'minerva.lock'))).toBe(true);
    lock.release();
    lock.release();
    expect(existsSync(join(d, 'minerva.lock'))).toBe(false);
  });
});
