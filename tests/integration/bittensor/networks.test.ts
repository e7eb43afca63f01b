import { spawnSync } from 'node:child_process';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import { createLogger } from '@core/log/logger';
import { BittensorConnections, createBittensorNetworkClient } from '@core/network/bittensor-network';
import type { ActiveNetwork } from '@core/network/networks.service';
import type { NetworksView } from '@shared/contract/networks';
import type { ChecklistItem, RewardsView } from '@shared/contract/rewards';
import type { BittensorOverview, PowProgress, RegisterQuote, ServeQuote, SwapQuote } from '@shared/contract/bittensor';
import { startChopsticks, TAO, type ChopsticksChain } from '../../helpers/chopsticks';
import { CLI, tempDataDir } from '../../helpers/serve-process';

/**
 * Bittensor network profiles against the real subtensor runtime (spec 218, chopsticks on
 * loopback): `minerva networks add` spawned for real reads the chain's identity and stores it,
 * a "finney" whose genesis is not finney's is refused in words and stores nothing, and once
 * selected, the app's network client for it reads balances from the chain and answers
 * practice-only features with a typed "not on this network".
 */
let chain: ChopsticksChain;
let dataDir: string;
let core: Core | undefined;
/** The wallet's coldkey (the test imported its phrase), to stake as the network's setup. */
let walletColdkey: KeyringPair;
const KDF = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 } as const;

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8', timeout: 120_000 });
}

beforeAll(async () => {
  await cryptoWaitReady();
  chain = await startChopsticks();
  dataDir = tempDataDir('minerva-bt-networks-');
}, 120_000);

afterAll(async () => {
  await core?.close();
  await chain?.stop();
});

describe('Bittensor network profiles on the spec-218 runtime', () => {
  it('adds a custom endpoint after reading its chain, genesis and runtime, and lists it', () => {
    const added = cli(['networks', 'add', '--kind', 'bittensor', '--endpoint', chain.url, '--name', 'Local subtensor']);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Added Local subtensor \(net-[0-9a-f]{8}\): ws:\/\/127\.0\.0\.1:\d+/);
    expect(added.stdout).toMatch(/Chain "bittensor", genesis 0x[0-9a-f]{64}, runtime node-subtensor v218, token TAO/);

    const listed = cli(['networks', '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    const view = JSON.parse(listed.stdout) as NetworksView;
    expect(view.selectedId).toBe('practice');
    expect(view.profiles[1]).toMatchObject({ name: 'Local subtensor', kind: 'bittensor', chainUrl: chain.url, hubUrl: null, chain: { preset: 'custom', chain: 'bittensor', specName: 'node-subtensor', specVersion: 218 } });
  });

  it('refuses "finney" at an endpoint whose genesis is not finney\'s, in words, and stores nothing', () => {
    const refused = cli(['networks', 'add', '--kind', 'bittensor', '--preset', 'finney', '--endpoint', chain.url, '--json']);
    expect(refused.status).toBe(1);
    const error = (JSON.parse(refused.stderr) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('NETWORK_MISMATCH');
    expect(error.message).toMatch(/is "bittensor" \(genesis 0x\w{4}…\w{4}, runtime node-subtensor v218\), but the profile "finney" expects genesis 0x2f05…6c03\. Check the address, or add this endpoint as a network of its own\./);
    // The same endpoint twice is refused too.
    const again = cli(['networks', 'add', '--kind', 'bittensor', '--endpoint', chain.url]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already in your list as "Local subtensor"/);
    const view = JSON.parse(cli(['networks', '--json']).stdout) as NetworksView;
    expect(view.profiles.map((p) => p.kind)).toEqual(['practice', 'bittensor']);
  });

  it('refuses an endpoint that does not answer, within the timeout, in words', () => {
    const refused = cli(['networks', 'add', '--kind', 'bittensor', '--endpoint', 'ws://127.0.0.1:1']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/ws:\/\/127\.0\.0\.1:1/);
    expect(refused.stderr).toMatch(/Check the address/);
  });

  it('once selected, the app reads balances from the chain and says what is practice-only', async () => {
    const view = JSON.parse(cli(['networks', '--json']).stdout) as NetworksView;
    const id = view.profiles[1]?.id ?? '';
    const selected = cli(['networks', 'select', id]);
    expect(selected.status, selected.stderr).toBe(0);
    expect(selected.stdout).toContain('Now using Local subtensor.');

    // A fresh wallet (never a genesis dev key) whose coldkey the chain funded.
    const phrase = mnemonicGenerate(12);
    walletColdkey = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(phrase);
    const coldkey = walletColdkey.address;
    await chain.fund({ [coldkey]: 3n * TAO + TAO / 2n });
    core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false });
    (core.vault.service as unknown as { kdf: unknown }).kdf = KDF;
    const call = async <T>(method: string, input: unknown): Promise<T> => {
      const reply = await (core as Core).router.call(method, input, { transport: 'test', clientId: 'bt-networks' });
      if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
      return reply.result as T;
    };
    await call('vault.import', { password: 'orbit-lantern-walnut-cascade', source: { kind: 'mnemonic', phrase } });
    const rewards = await call<RewardsView>('rewards.get', { range: 'day' });
    expect(rewards).toMatchObject({ networkId: id, coldkey, balance: '3.5', symbol: 'TAO', entries: [], error: null });
    expect(rewards.checklist.find((c) => c.id === 'network')).toMatchObject({ ok: true, detail: 'Working on Local subtensor.' });
    expect((await call<{ competitions: unknown[] }>('competitions.list', { refresh: true })).competitions).toEqual([]);
    // The practice network is not started for a Bittensor selection.
    expect((await call<NetworksView>('networks.list', {})).practice.state).toBe('unavailable');

    // Practice-only calls of the network client come back typed, in words.
    const active: ActiveNetwork = { id, kind: 'bittensor', chainUrl: chain.url, hubUrl: '' };
    const connections = new BittensorConnections(createLogger({ console: false }).scope('test'));
    const client = createBittensorNetworkClient(active, connections);
    try {
      await expect(client.isRegistered('x', coldkey)).rejects.toMatchObject({ code: 'UNSUPPORTED', details: { reason: 'not-on-this-network' } });
      await expect(client.round('x')).rejects.toThrow(/not available on Bittensor networks yet.*Switch to the practice network/);
      expect(await client.balance(coldkey)).toEqual({ amount: '3.5', symbol: 'TAO' });
      // A profile whose stored genesis the endpoint no longer has is refused before anything is read.
      const moved = createBittensorNetworkClient({ ...active, id: 'moved', expect: { profile: 'Moved', genesisHash: `0x${'ab'.repeat(32)}` } }, connections);
      await expect(moved.balance(coldkey)).rejects.toMatchObject({ code: 'NETWORK_MISMATCH' });
    } finally {
      await connections.closeExcept(null);
    }
  });

  it('registers the wallet\'s hotkey by burn after a quote, commits a hash, and reads both back in the metagraph', async () => {
    const call = async <T>(method: string, input: unknown): Promise<T> => {
      const reply = await (core as Core).router.call(method, input, { transport: 'test', clientId: 'bt-networks' });
      if (!reply.ok) throw Object.assign(new Error(`${method}: ${reply.error.code} ${reply.error.message}`), { code: reply.error.code });
      return reply.result as T;
    };
    const before = await call<BittensorOverview>('bittensor.overview', {});
    expect(before).toMatchObject({ balanceText: '3.5 TAO', neurons: [], chain: { chain: 'bittensor', specVersion: 218 } });
    expect(before.subnets.find((s) => s.netuid === 1)).toMatchObject({ registrationOpen: true, burnText: '1 TAO' });
    expect(before.subnets.find((s) => s.netuid === 0)).toMatchObject({ registrationOpen: false });

    const quote = await call<RegisterQuote>('bittensor.quoteRegister', { netuid: 1 });
    expect(quote).toMatchObject({ netuid: 1, hotkey: before.hotkey, coldkey: before.coldkey, burnText: '1 TAO', balanceText: '3.5 TAO' });
    // A confirmation of a lower burn than the chain asks is refused before anything is sent.
    await expect(call('bittensor.register', { netuid: 1, maxBurn: '1' })).rejects.toThrow(/CONFLICT .*rose from 0\.000000001 TAO to 1 TAO .*Nothing was sent/);
    const registered = await call<{ uid: number; blockNumber: number }>('bittensor.register', { netuid: 1, maxBurn: quote.burn });
    expect(registered.blockNumber).toBeGreaterThan(0);
    await expect(call('bittensor.register', { netuid: 1, maxBurn: quote.burn })).rejects.toThrow(/CONFLICT .*already registered on subnet 1 \(UID \d+\)/);

    const hash = 'ab'.repeat(32);
    const committed = await call<{ blockNumber: number }>('bittensor.commit', { netuid: 1, sha256: hash });
    const after = await call<BittensorOverview>('bittensor.overview', {});
    expect(after.neurons).toEqual([
      expect.objectContaining({ netuid: 1, hotkey: before.hotkey, uid: registered.uid, registeredBefore: true, axon: null, incentive: 0, commitment: { block: committed.blockNumber, fields: [{ variant: 'Sha256', hex: `0x${hash}` }] } }),
    ]);
    expect(after.balanceText).toMatch(/^2\.5 TAO$|^2\.49/);

    // Locked: nothing is signed.
    await call('vault.lock', {});
    await expect(call('bittensor.commit', { netuid: 1, sha256: hash })).rejects.toThrow(/VAULT_LOCKED/);
  });

  const call = async <T>(method: string, input: unknown): Promise<T> => {
    const reply = await (core as Core).router.call(method, input, { transport: 'test', clientId: 'bt-networks' });
    if (!reply.ok) throw Object.assign(new Error(`${method}: ${reply.error.code} ${reply.error.message}`), { code: reply.error.code });
    return reply.result as T;
  };

  it('serves an axon: loopback and private addresses refused in words before anything is sent, a public one published and read back', async () => {
    await call('vault.unlock', { password: 'orbit-lantern-walnut-cascade' });
    const block = (await call<BittensorOverview>('bittensor.overview', {})).block;
    for (const ip of ['127.0.0.1', '192.168.1.7', '::1']) {
      await expect(call('bittensor.quoteServeAxon', { netuid: 1, ip, port: 8091 })).rejects.toThrow(/VALIDATION .*validators on the internet cannot reach it.*Nothing was sent/);
      await expect(call('bittensor.serveAxon', { netuid: 1, ip, port: 8091 })).rejects.toThrow(/VALIDATION /);
    }
    expect((await call<BittensorOverview>('bittensor.overview', {})).block).toBe(block);
    const quote = await call<ServeQuote>('bittensor.quoteServeAxon', { netuid: 1, ip: '45.79.10.20', port: 8091 });
    expect(quote).toMatchObject({ netuid: 1, address: '45.79.10.20:8091', feeText: '0 TAO' });
    const served = await call<{ axon: string; blockNumber: number }>('bittensor.serveAxon', { netuid: 1, ip: '45.79.10.20', port: 8091 });
    expect(served).toMatchObject({ axon: '45.79.10.20:8091' });
    expect((await call<BittensorOverview>('bittensor.overview', {})).neurons[0]).toMatchObject({ netuid: 1, axon: '45.79.10.20:8091' });
    // The chain's own serving rate limit, decoded with the wait read from storage.
    await expect(call('bittensor.serveAxon', { netuid: 1, ip: '45.79.10.21', port: 8091 })).rejects.toThrow(/RATE_LIMITED .*Wait about 50 blocks/);
  });

  it('rotating the hotkey in the wallet leaves the UID on the old one until the coldkey swaps it on chain; then the UID moves', async () => {
    const before = await call<BittensorOverview>('bittensor.overview', {});
    const uid = before.neurons[0]?.uid;
    expect(uid).toEqual(expect.any(Number));
    const rotated = await call<{ retired: { address: string }; current: { address: string } }>('vault.rotateHotkey', { role: 'hotkey' });
    expect(rotated.retired.address).toBe(before.hotkey);
    const pending = await call<BittensorOverview>('bittensor.overview', {});
    expect(pending.hotkey).toBe(rotated.current.address);
    expect(pending.swaps).toEqual([{ oldHotkey: rotated.retired.address, newHotkey: rotated.current.address, uids: [{ netuid: 1, uid }] }]);
    expect(pending.neurons).toEqual([]);

    const quote = await call<SwapQuote>('bittensor.quoteSwapHotkey', { oldHotkey: rotated.retired.address });
    expect(quote).toMatchObject({ costText: '1 TAO', uids: [{ netuid: 1, uid }] });
    await expect(call('bittensor.swapHotkey', { oldHotkey: rotated.retired.address, maxCost: '1' })).rejects.toThrow(/CONFLICT .*costs 1 TAO now, more than the 0\.000000001 TAO you confirmed\. Nothing was sent/);
    const swapped = await call<{ uids: { netuid: number; uid: number }[]; blockNumber: number }>('bittensor.swapHotkey', { oldHotkey: rotated.retired.address, maxCost: quote.cost });
    expect(swapped.uids).toEqual([{ netuid: 1, uid }]);
    const after = await call<BittensorOverview>('bittensor.overview', {});
    expect(after.swaps).toEqual([]);
    expect(after.neurons).toEqual([expect.objectContaining({ netuid: 1, hotkey: rotated.current.address, uid, axon: '45.79.10.20:8091' })]);
    // The coldkey paid the swap cost (fees are 0 on this runtime).
    expect(after.balanceText).toBe('1.5 TAO');
  });

  it('registers by proof of work where the subnet allows it: solved on a worker thread with progress, cancellable, signed by the hotkey', async () => {
    await call('vault.rotateHotkey', { role: 'hotkey' });
    // Subnet 1 of the genesis takes no PoW registrations and asks 10,000,000 attempts.
    await expect(call('bittensor.powRegister', { netuid: 1 })).rejects.toThrow(/FORBIDDEN .*does not accept proof-of-work registrations.*Register by burn instead/);
    // Configure the real runtime's subnet (storage, as its owner's sudo_set_* calls would): PoW on, and first a difficulty no one solves here.
    await chain.rpc('dev_setStorage', [{ SubtensorModule: { NetworkPowRegistrationAllowed: [[[1], true]], Difficulty: [[[1], 2_000_000_000]] } }]);
    const events: PowProgress[] = [];
    const off = (core as Core).events.onAny(({ event, payload }) => {
      if (event === 'bittensor.powProgressed') events.push(payload as PowProgress);
    });
    try {
      // A difficulty no one solves here: cancelled while solving, nothing sent.
      const running = call('bittensor.powRegister', { netuid: 1 });
      await vi.waitFor(() => expect(events.some((e) => e.state === 'solving' && e.attempts > 0)).toBe(true), { timeout: 30_000, interval: 100 });
      // The main event loop stays free while the worker solves: another call answers meanwhile.
      expect((await call<BittensorOverview>('bittensor.overview', {})).pow).toMatchObject({ state: 'solving', netuid: 1, expected: '2000000000' });
      expect(await call('bittensor.cancelPow', {})).toEqual({ cancelled: true });
      await expect(running).rejects.toThrow(/CANCELLED .*cancelled\. Nothing was sent/);
      expect(events.at(-1)?.state).toBe('cancelled');
      expect(events.at(-1)?.detail).toMatch(/^Cancelled after [\d,]+ attempts\. Nothing was sent\.$/);
      expect(events.at(-1)?.attempts).toBeGreaterThan(0);

      await chain.rpc('dev_setStorage', [{ SubtensorModule: { Difficulty: [[[1], 20_000]] } }]);
      events.length = 0;
      const done = await call<{ uid: number; blockNumber: number; netuid: number }>('bittensor.powRegister', { netuid: 1 });
      expect(done.netuid).toBe(1);
      expect(done.uid).toBeGreaterThanOrEqual(0);
      expect(events.at(-1)).toMatchObject({ state: 'registered', uid: done.uid, blockNumber: done.blockNumber });
      const overview = await call<BittensorOverview>('bittensor.overview', {});
      expect(overview.neurons).toEqual([expect.objectContaining({ netuid: 1, uid: done.uid, registeredBefore: true })]);
      // PoW burns nothing.
      expect(overview.balanceText).toBe('1.5 TAO');
      await expect(call('bittensor.powRegister', { netuid: 1 })).rejects.toThrow(/CONFLICT .*already registered on subnet 1/);
    } finally {
      off();
    }
  });

  it('the Rewards page reads the metagraph: real reasons in the checklist, an epoch reaches it, and emission reaches our hotkey through stake', async () => {
    const item = (v: RewardsView, id: ChecklistItem['id']) => v.checklist.find((c) => c.id === id);
    const first = await call<RewardsView>('rewards.get', { range: 'day' });
    const mine = first.metagraph?.[0];
    expect(mine).toMatchObject({ netuid: 1, uid: expect.any(Number) as number, axon: null });
    expect(item(first, 'registered')).toMatchObject({ ok: true, detail: `UID ${mine?.uid} on subnet 1.` });
    expect(item(first, 'axon')).toMatchObject({ ok: false, detail: expect.stringContaining('Not served on subnet 1: validators do not know where to reach your miner') as string });
    expect(first.checklist.map((c) => c.id)).not.toContain('joined');

    // Shorten subnet 1's tempo (its storage, as sudo_set_tempo would) and build blocks until an epoch ran.
    await chain.rpc('dev_setStorage', [{ SubtensorModule: { Tempo: [[[1], 2]] } }]);
    await chain.newBlocks(4);
    const after = await call<RewardsView>('rewards.get', { range: 'day' });
    const neuron = after.metagraph?.[0];
    expect(neuron?.epochsSinceRegistration).toBeGreaterThanOrEqual(1);
    expect(neuron?.emission).toBe('0');
    expect(item(after, 'earning')).toMatchObject({ ok: false, detail: expect.stringMatching(/^No incentive for \d+ epochs? on subnet 1 \(incentive 0\.00%, emission 0 α\)\. Validators are not scoring your miner/) as string });
    // Emission reaching our hotkey. On spec 218 the epoch splits a subnet's emission by stake
    // alone (weights never become incentive: docs/networks.md), so it reaches a hotkey that holds
    // stake. Network setup: the genesis pool holds 1 rao of alpha, so give it 11 alpha (storage)
    // or a stake buys none; then the wallet's own coldkey stakes 1 TAO to its hotkey.
    await chain.rpc('dev_setStorage', [{ SubtensorModule: { SubnetAlphaIn: [[[1], (11n * TAO).toString()]] } }]);
    await chain.fund({ [walletColdkey.address]: 5n * TAO });
    const api = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
    try {
      const nonce = (await api.rpc.system.accountNextIndex(walletColdkey.address)).toNumber();
      const failed = await new Promise<string | null>((resolve, reject) => {
        api.tx.subtensorModule!.addStake!(neuron?.hotkey ?? '', 1, TAO)
          .signAndSend(walletColdkey, { nonce }, (result) => {
            if (result.status.isInBlock) resolve(result.dispatchError ? result.dispatchError.toString() : null);
          })
          .catch(reject);
      });
      expect(failed).toBeNull();
    } finally {
      await api.disconnect();
    }
    await chain.newBlocks(1);
    const earning = await call<RewardsView>('rewards.get', { range: 'day' });
    const paid = earning.metagraph?.[0];
    expect(BigInt(paid?.emission ?? '0')).toBeGreaterThan(0n);
    expect(paid?.incentive).toBe(0);
    expect(paid?.emissionText).toMatch(/^[\d.]+ α$/);
    expect(item(earning, 'earning')).toEqual({
      id: 'earning',
      ok: true,
      label: 'Incentive and emission',
      detail: `Last epoch's emission: ${paid?.emissionText ?? ''} on subnet 1 (from the stake on your hotkey; mining incentive 0.00%).`,
      fix: null,
    });
  });
});
