import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NetworksView } from '@shared/contract/networks';
import { readStateFile } from '@common/practice-state';
import { createCore, type Core } from '@core/create-core';
import { inProcessPracticeHost } from '../../../src-main/cli/practice-host';
import { CLI, startServe, tempDataDir } from '../../helpers/serve-process';

/**
 * Stopping `minerva serve` while it is still starting (issue: a stop in its first second).
 * In process: core's close gives up a practice-network start still waiting for serve's gate (a
 * gate that never opens here: a close that waited for it would never end) and stops one already
 * under way. As a real child process: a SIGTERM that comes while core is starting — before the
 * control endpoint is up, when serve used to have no handler yet — still closes core (exit 0,
 * the data folder's lock released, the log's "core stopping"), and one right after the address
 * is printed leaves no practice party recorded as running.
 */
const cores: Core[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
});

/** Parties recorded as running in the data dir's state file (a stopped one carries `stopped_at`). */
function recordedRunning(dataDir: string): string[] {
  const state = readStateFile(dataDir);
  return Object.entries(state?.parties ?? {}).flatMap(([party, entry]) => (entry && entry.stopped_at === undefined ? [party] : []));
}

function practiceStates(core: Core): string[] {
  const seen: string[] = [];
  core.events.onAny((m) => {
    if (m.event === 'networks.changed') seen.push((m.payload as NetworksView).practice.state);
  });
  return seen;
}

/** Lets core's start run until the practice network's start is under way (networks.list says so). */
async function untilStarting(core: Core): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    const reply = await core.router.call('networks.list', {}, { transport: 'test', clientId: 't' });
    if (reply.ok && (reply.result as NetworksView).practice.state === 'starting') return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('the practice network never started starting');
}

/** Until the start under way has recorded `party` (it holds the start lock then: past any point where a stop cancels it). */
async function untilRecorded(dataDir: string, party: 'router' | 'chain'): Promise<void> {
  for (let i = 0; i < 15_000; i++) {
    if (readStateFile(dataDir)?.parties[party]) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`the practice ${party} was never recorded`);
}

const logText = (dataDir: string) => readFileSync(join(dataDir, 'logs', 'minerva.log'), 'utf8');

describe('serve stopped while starting', () => {
  it('core.close gives up a practice start still waiting for its gate, at once, and starts nothing', async () => {
    const dataDir = tempDataDir('minerva-stop-gate-');
    const never = new Promise<void>(() => undefined);
    const core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false, practiceHost: inProcessPracticeHost(dataDir, { log: () => undefined, startAfter: never }) });
    const states = practiceStates(core);
    // The networks feature asks for the practice network as core starts: the start waits at the gate.
    await untilStarting(core);
    await core.close();
    expect(states).not.toContain('running');
    expect(recordedRunning(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, 'devnet', 'state.json'))).toBe(false);
    const log = logText(dataDir);
    expect(log).toContain('practice network start given up');
    expect(log).not.toContain('practice network failed to start');
  }, 30_000);

  it('core.close waits for a practice start already under way, then stops what it started', async () => {
    const dataDir = tempDataDir('minerva-stop-starting-');
    const core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false, practiceHost: inProcessPracticeHost(dataDir, { log: () => undefined, blockTimeMs: 300 }) });
    cores.push(core);
    const states = practiceStates(core);
    await untilStarting(core);
    // A stop before the start took the data folder's start lock cancels it (nothing started, as at
    // the gate above); once it has started a party, the start finishes and is then stopped.
    await untilRecorded(dataDir, 'router');
    await core.close();
    expect(states.at(-1)).toBe('running');
    expect(readStateFile(dataDir)?.parties.chain?.stopped_at).toEqual(expect.any(String));
    expect(recordedRunning(dataDir)).toEqual([]);
  }, 60_000);

  it('a SIGTERM while core starts, before the control endpoint is up, still closes core', async () => {
    const dataDir = tempDataDir('minerva-sigterm-early-');
    const lock = join(dataDir, 'minerva.lock');
    // The moment core takes the data folder (its lock file): serve has not listened yet.
    const locked = new Promise<void>((resolve) => {
      const watcher = watch(dataDir, (_event, name) => {
        if (name === 'minerva.lock' && existsSync(lock)) {
          watcher.close();
          resolve();
        }
      });
    });
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json', '--data-dir', dataDir, '--block-ms', '300', '--demo-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await locked;
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }, out).toEqual({ code: 0, signal: null });
    expect(existsSync(lock)).toBe(false);
    expect(logText(dataDir)).toContain('core stopping');
    expect(recordedRunning(dataDir)).toEqual([]);
  }, 60_000);

  it('a SIGTERM right after the address is printed: exit 0, no practice party left recorded as running', async () => {
    const serve = await startServe({ dataDir: tempDataDir('minerva-sigterm-first-second-'), args: ['--block-ms', '300', '--demo-ms', '0'] });
    const exited = once(serve.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    serve.process.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }, serve.output()).toEqual({ code: 0, signal: null });
    expect(existsSync(join(serve.dataDir, 'minerva.lock'))).toBe(false);
    expect(recordedRunning(serve.dataDir)).toEqual([]);
  }, 60_000);
});
