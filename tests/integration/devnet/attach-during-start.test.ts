import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startLockFile } from '@common/practice-start-lock';
import { readStateFile } from '@common/practice-state';
import { spawnDevnetProcess, type DevnetStarting } from '../../helpers/devnet-process';
import { CLI, runCli, startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';

/**
 * A command that attaches to the practice network (here `minerva serve`) while `minerva devnet
 * start` is still starting its parties waits for that start and uses what it started — it used to
 * find some parties missing, start them too and collide (CONFLICT, or a second chain). Real
 * processes throughout; `MINERVA_DEVNET_START_STEP_MS` stretches the start so that the attacher
 * meets it under way.
 */
const PARTIES = ['chain', 'hub', 'router', 'validator', 'coordinator'];
const STEP_ENV = { MINERVA_DEVNET_START_STEP_MS: '2500' };
const dirs: string[] = [];
const devnets: DevnetStarting[] = [];
const serves: ServeHandle[] = [];

afterEach(async () => {
  for (const s of serves.splice(0)) await s.stop();
  for (const d of devnets.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = tempDataDir('minerva-attach-start-');
  dirs.push(d);
  return d;
}

/** Resolves once serve's output matches `pattern` (its log goes to stderr as JSON lines). */
function serveLogs(serve: ServeHandle, pattern: RegExp, timeoutMs = 90_000): Promise<void> {
  return new Promise((resolve, reject) => {
    // The handle's own listener, added first, has appended each chunk by the time this one runs.
    const check = (): void => {
      if (!pattern.test(serve.output())) return;
      serve.process.stderr?.off('data', check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      serve.process.stderr?.off('data', check);
      reject(new Error(`minerva serve never logged ${pattern}:\n${serve.output()}`));
    }, timeoutMs);
    serve.process.stderr?.on('data', check);
    check();
  });
}

/** Each recorded party's pid, and each party's own answer to GET /health. */
async function partiesOf(dir: string): Promise<Record<string, { pid: number; health: number }>> {
  const state = readStateFile(dir);
  const out: Record<string, { pid: number; health: number }> = {};
  for (const [party, entry] of Object.entries(state?.parties ?? {})) {
    if (entry.stopped_at !== undefined) continue;
    const health = (await (await fetch(`${entry.url}/health`)).json()) as { pid: number; party: string };
    expect(health.party).toBe(party);
    out[party] = { pid: entry.pid, health: health.pid };
  }
  return out;
}

/**
 * `minerva devnet start` of every party, slowed; once its router runs (the start under way, four
 * more steps of 2.5 s), `minerva serve` on the same data folder, until serve says it waits for it.
 */
async function serveDuringDevnetStart(dir: string): Promise<{ devnet: DevnetStarting; serve: ServeHandle; pid: number }> {
  const devnet = spawnDevnetProcess(['--data-dir', dir, '--block-ms', '200', '--demo-ms', '0', '--party', 'all'], { env: STEP_ENV });
  devnets.push(devnet);
  await devnet.stderrMatch(/practice router running/);
  const serve = await startServe({ dataDir: dir });
  serves.push(serve);
  const pid = devnet.child.pid!;
  await serveLogs(serve, new RegExp(`Waiting for process ${pid} to finish starting the practice chain, hub, router, validator, coordinator, then using what it started…`));
  return { devnet, serve, pid };
}

function devnetStatus(dir: string): { running: boolean; healthy: boolean; parties: Record<string, { pid: number }> } {
  const r = spawnSync(process.execPath, [CLI, 'devnet', 'status', '--json', '--data-dir', dir], { encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(r.stdout) as { running: boolean; healthy: boolean; parties: Record<string, { pid: number }> };
}

/**
 * serve started the network itself: all five parties recorded and answering from serve's process,
 * the lock gone, healthy; and what serve started stops with it (nothing of either process left running).
 */
async function expectServeRanTheNetwork(dir: string, serve: ServeHandle): Promise<void> {
  const servePid = serve.process.pid!;
  const parties = await partiesOf(dir);
  expect(Object.keys(parties).sort()).toEqual([...PARTIES].sort());
  for (const p of PARTIES) expect(parties[p]).toEqual({ pid: servePid, health: servePid });
  expect(existsSync(startLockFile(dir))).toBe(false);
  expect(devnetStatus(dir)).toMatchObject({ running: true, healthy: true });
  await serve.stop();
  expect(devnetStatus(dir)).toMatchObject({ running: false });
}

describe('attaching while `minerva devnet start` is still starting', () => {
  it('serve waits for the start under way, says so, and attaches to the one set of parties it started; a second devnet start waits too, then is refused', async () => {
    const dir = dataDir();
    const { devnet, serve, pid } = await serveDuringDevnetStart(dir);

    // Another `devnet start` of a party meanwhile waits as well, then finds it running: CONFLICT, not a second chain.
    const second = await runCli(['devnet', 'start', '--json', '--party', 'chain', '--data-dir', dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Waiting for process ${pid} to finish starting the practice chain, hub, router, validator, coordinator`);
    expect(JSON.parse(second.stderr.trim().split('\n').at(-1) ?? '')).toMatchObject({ error: { code: 'CONFLICT' } });

    const started = await devnet.running;
    await serveLogs(serve, /attached to the practice network/);
    const attachedLine = serve
      .output()
      .split('\n')
      .find((l) => l.includes('attached to the practice network'));
    expect((JSON.parse(attachedLine!) as { fields: { endpoints: Record<string, string> } }).fields.endpoints).toEqual(Object.fromEntries(PARTIES.map((p) => [p, started.summary.endpoints[p]])));
    expect(serve.output()).not.toMatch(/CONFLICT|failed to start|practice network started/);

    // Exactly one set of parties: all five recorded and answering from the devnet process, none from serve.
    const parties = await partiesOf(dir);
    expect(Object.keys(parties).sort()).toEqual([...PARTIES].sort());
    for (const p of PARTIES) expect(parties[p]).toEqual({ pid, health: pid });
    expect(existsSync(startLockFile(dir))).toBe(false);

    // serve leaves what it attached to running when it stops.
    await serve.stop();
    expect(devnetStatus(dir)).toMatchObject({ running: true, healthy: true });
  });

  it('a starter asked to stop (SIGTERM) mid-start stops its parties before it releases the lock: the waiter does not attach to them, it starts its own', async () => {
    const dir = dataDir();
    const { devnet, serve, pid } = await serveDuringDevnetStart(dir);
    devnet.child.kill('SIGTERM');
    // It finishes starting, then stops what it started — the lock still held — and exits cleanly.
    expect(await devnet.exited).toBe(0);
    expect(devnet.stderr()).toMatch(/asked to stop while starting: stopping the practice parties before anyone attaches to them/);
    // serve saw the stop under way in the lock (the stop slowed by one step), not parties to use.
    await serveLogs(serve, new RegExp(`Process ${pid} was asked to stop while it started the practice chain, hub, router, validator, coordinator: waiting for it to stop them, then going on without them…`));

    // Before: serve attached to the five parties the moment the lock was released, and they stopped under it.
    await serveLogs(serve, /practice network started/);
    expect(serve.output()).not.toMatch(/attached to the practice network|CONFLICT|failed to start/);
    expect(serve.process.pid).not.toBe(pid);
    await expectServeRanTheNetwork(dir, serve);
  });

  it('recovers when the starter is killed (SIGKILL) mid-start: the waiter notices, clears the stale lock and starts the network itself', async () => {
    const dir = dataDir();
    const { devnet, serve, pid } = await serveDuringDevnetStart(dir);
    // Killed with its lock held and some parties recorded under its pid.
    expect(readStateFile(dir)?.parties.router?.pid).toBe(pid);
    devnet.child.kill('SIGKILL');
    expect(await devnet.exited).toBeNull();

    await serveLogs(serve, new RegExp(`Process ${pid} stopped before it had started the practice chain, hub, router, validator, coordinator; going on without it\\.`));
    await serveLogs(serve, /practice network started/);
    expect(serve.output()).not.toMatch(/CONFLICT|failed to start/);

    await expectServeRanTheNetwork(dir, serve);
  });
});
