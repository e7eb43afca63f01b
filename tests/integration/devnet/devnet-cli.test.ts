import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CatalogueWire } from '@shared/protocol/hub-api';
import { spawnDevnetProcess, type DevnetProcess } from '../../helpers/devnet-process';
import { runCli as run, tempDataDir } from '../../helpers/serve-process';

const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = tempDataDir('minerva-devnet-cli-');
  dirs.push(d);
  return d;
}

/** `minerva devnet start --json` in the background; resolves with its first stdout line. */
async function start(args: string[]): Promise<DevnetProcess> {
  const starting = spawnDevnetProcess(args);
  children.push(starting.child);
  return starting.running;
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('minerva devnet start / status / stop', () => {
  it('a SIGTERM while the parties start (the desktop app quitting in its first seconds): they finish starting, then stop; exit 0, none left running', async () => {
    const dataDir = tempDir();
    const devnet = spawnDevnetProcess(['--data-dir', dataDir, '--block-ms', '300', '--demo-ms', '0']);
    children.push(devnet.child);
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => devnet.child.on('exit', (code, signal) => resolve([code, signal])));
    let summaryPrinted = false;
    void devnet.running.then(
      () => (summaryPrinted = true),
      () => undefined, // it stops before printing one: what this test asks
    );
    // The first log line: the start is under way, no summary printed yet.
    await devnet.stderrMatch(/./);
    expect(summaryPrinted).toBe(false);
    devnet.child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null }); // before: killed by the signal half-way
    const status = await run(['devnet', 'status', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false });
  }, 60_000);

  it('starts chain and hub, reports both healthy, and stops on `devnet stop`', async () => {
    const dataDir = tempDir();
    const before = await run(['devnet', 'status', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(before.stdout)).toMatchObject({ running: false });

    const net = await start(['--data-dir', dataDir, '--block-ms', '200']);
    expect(net.summary.endpoints.chain).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(net.summary.endpoints.hub).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const status = await run(['devnet', 'status', '--json', '--data-dir', dataDir]);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { running: boolean; healthy: boolean; parties: Record<string, { url: string; healthy: boolean; pid: number }> };
    expect(parsed).toMatchObject({ running: true, healthy: true });
    expect(parsed.parties.chain).toMatchObject({ url: net.summary.endpoints.chain, healthy: true, pid: net.summary.pid });
    expect(parsed.parties.hub).toMatchObject({ url: net.summary.endpoints.hub, healthy: true });

    const catalogue = (await (await fetch(`${net.summary.endpoints.hub}/v1/competitions`)).json()) as CatalogueWire;
    expect(catalogue.competitions.map((c) => c.kind)).toEqual(['private-inference', 'model-runner', 'checkpoint']);

    // A second chain for the same data folder is refused while the first runs.
    const second = await run(['devnet', 'start', '--json', '--party', 'chain', '--data-dir', dataDir]);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(JSON.parse(second.stderr.trim().split('\n').at(-1) ?? '')).toMatchObject({ error: { code: 'CONFLICT' } });

    const stopped = await run(['devnet', 'stop', '--json', '--data-dir', dataDir]);
    expect(stopped.code).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ stopped: [net.summary.pid] });
    expect(await net.exited).toBe(0);
    const after = await run(['devnet', 'status', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(after.stdout)).toMatchObject({ running: false });
  });

  it('runs each party alone in its own process; the hub finds the chain through the state file; restart keeps the chain', async () => {
    const dataDir = tempDir();
    const chain = await start(['--party', 'chain', '--data-dir', dataDir, '--block-ms', '200']);
    const hub = await start(['--party', 'hub', '--data-dir', dataDir]);
    expect(hub.summary.endpoints.chain).toBe(chain.summary.endpoints.chain);
    expect(hub.summary.pid).not.toBe(chain.summary.pid);
    const status = JSON.parse((await run(['devnet', 'status', '--json', '--data-dir', dataDir])).stdout) as { healthy: boolean; parties: Record<string, { pid: number }> };
    expect(status.healthy).toBe(true);
    expect(status.parties.chain!.pid).toBe(chain.summary.pid);
    expect(status.parties.hub!.pid).toBe(hub.summary.pid);

    const info = async (url: string): Promise<{ genesis_hash: string; block_number: number }> => {
      const res = await fetch(`${url}/rpc`, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_info', params: {} }) });
      return ((await res.json()) as { result: { genesis_hash: string; block_number: number } }).result;
    };
    const firstInfo = await info(chain.summary.endpoints.chain);

    // Ctrl+C (SIGINT) stops the chain alone; the hub keeps running and says the chain is away.
    chain.child.kill('SIGINT');
    expect(await chain.exited).toBe(0);
    const refused = await fetch(`${hub.summary.endpoints.hub}/v1/competitions/practice-runner/join`, { method: 'POST', headers: { 'X-Hotkey': '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' }, body: '{}' });
    expect(refused.status).toBe(503);

    const again = await start(['--party', 'chain', '--data-dir', dataDir, '--block-ms', '200']);
    const secondInfo = await info(again.summary.endpoints.chain);
    expect(secondInfo.genesis_hash).toBe(firstInfo.genesis_hash);
    expect(secondInfo.block_number).toBeGreaterThanOrEqual(firstInfo.block_number);
    // The hub follows the restarted chain (which takes its old port back when it is free).
    expect(again.summary.endpoints.chain).toBe(chain.summary.endpoints.chain);
    const back = await fetch(`${hub.summary.endpoints.hub}/v1/competitions/practice-runner/join`, { method: 'POST', headers: { 'X-Hotkey': '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' }, body: '{}' });
    expect(back.status).toBe(401);

    const stopped = await run(['devnet', 'stop', '--json', '--data-dir', dataDir]);
    expect(stopped.code).toBe(0);
    expect(await hub.exited).toBe(0);
    expect(await again.exited).toBe(0);
  });
});
