import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { readPracticeNetworkState, startOrAttachPracticeNetwork, startPracticeNetwork, stateFile, type PracticeNetwork } from '@devnet/index';
import type { AppError } from '@shared/contract/errors';
import { pairFromSuri } from '@shared/protocol/identities';

const dirs: string[] = [];
const running: { stop(): Promise<void> }[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'minerva-devnet-pm-'));
  dirs.push(d);
  return d;
}

async function start(options: Parameters<typeof startPracticeNetwork>[0]): Promise<PracticeNetwork> {
  const net = await startPracticeNetwork(options);
  running.push(net);
  return net;
}

beforeAll(async () => {
  await cryptoWaitReady();
});

afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('practice network process model', () => {
  it('seals blocks on its own at the configured pace and records itself in state.json', async () => {
    const dataDir = tempDir();
    const net = await start({ dataDir, blockTimeMs: 100 });
    const block = await net.chain!.waitForBlock(3);
    expect(block.number).toBe(3);
    // The pace, read from the chain's own block times (not from this test's clock, which starts
    // after the chain may already have sealed a block).
    const times = await Promise.all(
      [1, 2, 3].map(async (number) => {
        const res = await fetch(`${net.endpoints.chain}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: number, method: 'chain_getBlock', params: { number } }) });
        return Date.parse(((await res.json()) as { result: { at: string } }).result.at);
      }),
    );
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(90);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(90);
    const state = readPracticeNetworkState(dataDir);
    expect(state?.parties.chain).toMatchObject({ url: net.endpoints.chain, pid: process.pid });
    expect(state?.parties.hub).toMatchObject({ url: net.endpoints.hub!, pid: process.pid });
    await expect(startPracticeNetwork({ dataDir, parties: ['hub'] })).rejects.toMatchObject({ code: 'CONFLICT' } satisfies Partial<AppError>);
  });

  it('attaches to a network already running, and its stop leaves that network running', async () => {
    const dataDir = tempDir();
    // The app's practice network is all five parties (the coordinator included, docs/practice-network.md §7).
    const net = await start({ dataDir, blockTimeMs: 100, parties: ['chain', 'hub', 'router', 'validator', 'coordinator'], coordinatorRounds: false });
    const attached = await startOrAttachPracticeNetwork({ dataDir });
    expect(attached).toMatchObject({ attached: true, endpoints: { chain: net.endpoints.chain, hub: net.endpoints.hub, coordinator: net.endpoints.coordinator } });
    await attached.stop();
    const res = await fetch(`${net.endpoints.hub}/health`);
    expect(res.status).toBe(200);
  });

  it('after a stop, starts again on the same ports with the same chain state', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir, blockTimeMs: 100 });
    const alice = pairFromSuri('//Alice', 'sr25519');
    const cold = pairFromSuri('//Cold', 'sr25519');
    const client = new ChainClient(first.endpoints.chain);
    const { tx_id } = await client.sendTx('register_hotkey', { competition_id: 'practice-runner', hotkey: alice.address, coldkey: cold.address }, alice);
    expect((await client.waitForTx(tx_id)).state).toBe('included');
    const genesis = await client.genesisHash();
    await first.stop();
    running.splice(running.indexOf(first), 1);
    expect(readPracticeNetworkState(dataDir)).toBeNull();
    expect((JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as { parties: { chain: { stopped_at?: string } } }).parties.chain.stopped_at).toBeDefined();

    const second = await start({ dataDir, blockTimeMs: 100 });
    expect(second.endpoints).toEqual(first.endpoints);
    const again = new ChainClient(second.endpoints.chain);
    expect(await again.genesisHash()).toBe(genesis);
    expect(await again.call('chain_getHotkey', { competition_id: 'practice-runner', hotkey: alice.address })).toMatchObject({ registered: true, coldkey: cold.address });
    expect(await again.call('chain_txStatus', { tx_id })).toMatchObject({ state: 'included' });
    expect((await again.call('chain_getNonce', { signer: alice.address })).next_nonce).toBe(1);
  });
});
