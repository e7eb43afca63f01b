import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '@common/process';
import { recordParties } from '@common/practice-state';
import { waitForPracticeEndpoints } from '@core/network/practice';
import { childPracticeHost, type PracticeChild } from '../../../src-main/electron/practice-child-host';
import { tempDir } from '../vault/helpers';

/**
 * The desktop app's practice host (src-main/electron/practice-child-host.ts; Electron's utility
 * process is the only thing practice-host.ts adds) with real child processes and a real
 * state.json: a stand-in for `minerva devnet start` that records its parties after a moment (or
 * never, or exits at once), and on SIGTERM writes `stopped` and exits as devnet start does after
 * stopping its parties. Core's abort signal is honoured as `minerva serve`'s host honours it.
 */
const CHILD = `
const [mode, dataDir] = process.argv.slice(1);
const fs = require('node:fs'), path = require('node:path');
process.on('SIGTERM', () => { fs.writeFileSync(path.join(dataDir, 'stopped'), String(process.pid)); process.exit(0); });
fs.writeFileSync(path.join(dataDir, 'listening'), ''); // SIGTERM is handled from here on
if (mode === 'exit') process.exit(3);
if (mode === 'ready') setTimeout(() => {
  const at = new Date().toISOString(), pid = process.pid;
  fs.mkdirSync(path.join(dataDir, 'devnet'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'devnet', 'state.json'), JSON.stringify({ version: 1, parties: {
    chain: { url: 'http://127.0.0.1:40001', pid, started_at: at }, hub: { url: 'http://127.0.0.1:40002', pid, started_at: at },
    router: { url: 'http://127.0.0.1:40003', pid, started_at: at } } }));
}, 150);
setInterval(() => undefined, 1000);
`;

const dirs: { cleanup(): void }[] = [];
const pids: number[] = [];
afterEach(() => {
  for (const pid of pids.splice(0)) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  dirs.splice(0).forEach((d) => d.cleanup());
});

function host(mode: 'ready' | 'never' | 'exit', options: { timeoutMs?: number } = {}) {
  const d = tempDir('practice-child');
  dirs.push(d);
  let launches = 0;
  const launch = (): PracticeChild => {
    launches += 1;
    const proc = spawn(process.execPath, ['-e', CHILD, mode, d.path], { stdio: 'ignore' });
    if (proc.pid) pids.push(proc.pid);
    return {
      get pid() {
        return proc.pid;
      },
      onSpawn: (l) => void proc.once('spawn', l),
      onExit: (l) => void proc.once('exit', (code) => l(code)),
      kill: () => void proc.kill('SIGTERM'),
    };
  };
  const h = childPracticeHost(d.path, launch, { intervalMs: 20, ...options });
  return { dataDir: d.path, host: h, launches: () => launches, stopped: () => existsSync(join(d.path, 'stopped')) };
}

describe('desktop practice host (a real child process)', () => {
  it('starts the child and reads its addresses from state.json; stop asks it to stop and waits until it has', async () => {
    const h = host('ready');
    const started = await h.host.start(new AbortController().signal);
    expect(started).toEqual({ attached: false, endpoints: { chain: 'http://127.0.0.1:40001', hub: 'http://127.0.0.1:40002', router: 'http://127.0.0.1:40003' } });
    await h.host.stop();
    expect(h.stopped()).toBe(true);
    expect(pids.some(isProcessAlive)).toBe(false);
  });

  it('attaches to a network already running for the data folder, starting nothing', async () => {
    const h = host('ready');
    mkdirSync(join(h.dataDir, 'devnet'), { recursive: true });
    const at = new Date().toISOString();
    recordParties(h.dataDir, { chain: { url: 'http://127.0.0.1:41001', pid: process.pid, started_at: at }, hub: { url: 'http://127.0.0.1:41002', pid: process.pid, started_at: at } });
    await expect(h.host.start()).resolves.toMatchObject({ attached: true, endpoints: { chain: 'http://127.0.0.1:41001' } });
    expect(h.launches()).toBe(0);
    await h.host.stop(); // an attached network is left running
  });

  it('an aborted signal starts nothing (the app stopped first)', async () => {
    const h = host('ready');
    const abort = new AbortController();
    abort.abort();
    await expect(h.host.start(abort.signal)).rejects.toMatchObject({ code: 'CANCELLED', message: 'Minerva is stopping: the practice network was not started.' });
    expect(h.launches()).toBe(0);
  });

  it('an abort while the child starts ends the wait at once and stops the child before rejecting', async () => {
    const h = host('never');
    const abort = new AbortController();
    const starting = h.host.start(abort.signal);
    // Mid-start: the child runs (and, as devnet start does, handles SIGTERM) but has not reported.
    await expect.poll(() => existsSync(join(h.dataDir, 'listening')), { timeout: 10_000 }).toBe(true);
    const t0 = Date.now();
    abort.abort();
    await expect(starting).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - t0).toBeLessThan(5000); // not the 30 s wait for addresses
    expect(h.stopped()).toBe(true); // it got SIGTERM and had exited when start rejected
    expect(isProcessAlive(pids[0]!)).toBe(false);
    await h.host.stop(); // nothing left to stop
  });

  it('a child that exits at start, or never reports, rejects in words and leaves nothing running', async () => {
    await expect(host('exit').host.start()).rejects.toThrow('the practice network stopped at start (exit 3)');
    const slow = host('never', { timeoutMs: 300 });
    await expect(slow.host.start()).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/did not report its addresses/) as unknown });
    expect(pids.some(isProcessAlive)).toBe(false); // stopped before the start rejected
  });
});

describe('waitForPracticeEndpoints', () => {
  it('gives up at once when the signal aborts mid-wait', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const t0 = Date.now();
    await expect(waitForPracticeEndpoints(() => null, { signal: abort.signal, intervalMs: 10_000, timeoutMs: 60_000 })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
