import { createHash } from 'node:crypto';
import { Keyring } from '@polkadot/keyring';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { connectBittensor, type BittensorClient } from '@core/network/bittensor/bittensor-client';
import type { ChainSigner } from '@core/network/bittensor/signer';
import { startChopsticks, TAO, type ChopsticksChain } from '../../helpers/chopsticks';

/**
 * The Bittensor adapter against the real subtensor runtime (spec 218) run by chopsticks on
 * loopback: real pallet rules, fees, events and errors. Fresh keys (//C…, //H…), never the dev
 * keys that sit in the genesis state. One chain for the whole file; the tests run in order and
 * build on each other (register → serve → commit → swap).
 */
let chain: ChopsticksChain;
let client: BittensorClient;
let pair: (uri: string) => KeyringPair;
let signer: (uri: string) => ChainSigner;

const NETUID = 1;

/** Runs `fn`, expecting an AppError; returns it. */
async function refused(fn: () => Promise<unknown>): Promise<AppError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, got success');
}

/** Signs and sends with a test key (network setup, not Minerva's code); resolves at inclusion with the dispatch error decoded, if any. */
async function sendAs(uri: string, extrinsic: SubmittableExtrinsic<'promise'>): Promise<string | null> {
  const api = client.api;
  const who = pair(uri);
  const nonce = (await api.rpc.system.accountNextIndex(who.address)).toNumber();
  return new Promise<string | null>((resolve, reject) => {
    extrinsic
      .signAndSend(who, { nonce }, (result) => {
        if (!result.status.isInBlock) return;
        const error = result.dispatchError;
        if (!error) return resolve(null);
        if (!error.isModule) return resolve(error.toString());
        const meta = api.registry.findMetaError(error.asModule);
        resolve(`${meta.section}.${meta.name}`);
      })
      .catch(reject);
  });
}

const sudo = (call: SubmittableExtrinsic<'promise'>) => sendAs('//S1', client.api.tx.sudo!.sudo!(call));

beforeAll(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const pairs = new Map<string, KeyringPair>();
  pair = (uri) => {
    let p = pairs.get(uri);
    if (!p) {
      p = keyring.addFromUri(uri);
      pairs.set(uri, p);
    }
    return p;
  };
  signer = (uri) => {
    const p = pair(uri);
    return { address: p.address, scheme: 'sr25519', sign: (message) => p.sign(message) };
  };
  chain = await startChopsticks();
  await chain.fund(
    {
      [pair('//C1').address]: 10n * TAO,
      [pair('//C2').address]: TAO / 2n,
      [pair('//S1').address]: 1_000n * TAO,
      [pair('//CV1').address]: 100n * TAO,
    },
    pair('//S1').address,
  );
  client = await connectBittensor({ endpoint: chain.url });
}, 120_000);

afterAll(async () => {
  await client?.disconnect();
  await chain?.stop();
});

describe('Bittensor adapter on the spec-218 subtensor runtime', () => {
  it('connects and reads what the chain is', async () => {
    expect(client.identity).toMatchObject({ chain: 'bittensor', specName: 'node-subtensor', specVersion: 218, tokenSymbol: 'TAO', tokenDecimals: 9, ss58Format: 42 });
    const genesis = await chain.rpc<string>('chain_getBlockHash', [0]);
    expect(client.identity.genesisHash).toBe(genesis);

    // The same chain under a profile that expects another genesis is refused in words.
    const other = await refused(() => connectBittensor({ endpoint: chain.url, expect: { profile: 'finney', genesisHash: `0x${'12'.repeat(32)}` } }));
    expect(other.code).toBe('NETWORK_MISMATCH');
    expect(other.message).toMatch(/is "bittensor" .*but the profile "finney" expects genesis 0x1212…1212\. Check the address/);
    const old = await refused(() => connectBittensor({ endpoint: chain.url, expect: { profile: 'finney', specName: 'node-subtensor', minSpecVersion: 300 } }));
    expect(old.code).toBe('NETWORK_MISMATCH');
    expect(old.message).toMatch(/older than the runtime v300/);
    const matching = await connectBittensor({ endpoint: chain.url, expect: { profile: 'local', genesisHash: genesis, chain: 'bittensor', specName: 'node-subtensor', minSpecVersion: 218 } });
    await matching.disconnect();

    const notWs = await refused(() => connectBittensor({ endpoint: 'https://example.org' }));
    expect(notWs.code).toBe('VALIDATION');
  });

  it('refuses an endpoint where nothing answers', async () => {
    const dead = await refused(() => connectBittensor({ endpoint: 'ws://127.0.0.1:1', timeoutMs: 5_000 }));
    expect(['NETWORK_ERROR', 'TIMEOUT']).toContain(dead.code);
    expect(dead.message).toMatch(/ws:\/\/127\.0\.0\.1:1/);
  });

  it('lists subnets with their registration cost, and reads balances', async () => {
    const subnets = await client.subnets();
    expect(subnets.map((s) => s.netuid)).toEqual([0, 1]);
    const one = subnets.find((s) => s.netuid === NETUID);
    expect(one).toMatchObject({ registrationAllowed: true, burn: TAO, tempo: 100 });
    expect(one?.maxNeurons).toBeGreaterThan(one?.neurons ?? Infinity);
    expect(await client.balance(pair('//C1').address)).toMatchObject({ free: 10n * TAO, transferable: 10n * TAO });
    expect((await client.balance(pair('//H9').address)).free).toBe(0n);
  });

  it('registers a hotkey by burn and reads it back in the metagraph', async () => {
    const hotkey = pair('//H1').address;
    expect(await client.uid(NETUID, hotkey)).toBeNull();
    const prepared = await client.prepareBurnedRegister({ netuid: NETUID, hotkey, coldkey: signer('//C1') });
    expect(prepared.burn).toBe(TAO);
    expect(prepared.fee).toBeGreaterThanOrEqual(0n);
    expect(prepared.total).toBe(prepared.burn + prepared.fee);
    const before = await client.bestBlock();
    const receipt = await prepared.submit();
    expect(receipt.blockNumber).toBe(before + 1);
    expect(receipt.blockHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(receipt.events.map((e) => `${e.pallet}.${e.name}`)).toContain('subtensorModule.NeuronRegistered');
    expect(receipt.uid).toBe(await client.uid(NETUID, hotkey));

    const graph = await client.metagraph(NETUID, [hotkey, pair('//H9').address]);
    expect(graph.block).toBeGreaterThanOrEqual(receipt.blockNumber);
    const [mine, stranger] = graph.neurons;
    expect(mine).toMatchObject({ hotkey, uid: receipt.uid, coldkey: pair('//C1').address, registeredAt: receipt.blockNumber, axon: null });
    expect(mine?.trust).toBeGreaterThanOrEqual(0);
    expect(mine?.incentive).toBeGreaterThanOrEqual(0);
    expect(typeof mine?.emission).toBe('bigint');
    expect(typeof mine?.lastUpdate).toBe('number');
    expect(typeof mine?.stake).toBe('bigint');
    expect(stranger).toMatchObject({ uid: null, trust: null, coldkey: null });

    const after = await client.balance(pair('//C1').address);
    expect(after.free).toBe(10n * TAO - TAO - (receipt.feePaid ?? 0n));
  });

  it('says "already registered" before sending, and decodes the chain\'s own refusal', async () => {
    const hotkey = pair('//H1').address;
    const block = await client.bestBlock();
    const early = await refused(() => client.prepareBurnedRegister({ netuid: NETUID, hotkey, coldkey: signer('//C1') }));
    expect(early.code).toBe('CONFLICT');
    expect(early.message).toMatch(/already registered on subnet 1 \(UID \d+\).*nothing was sent/);
    expect(await client.bestBlock()).toBe(block);

    const prepared = await client.prepareBurnedRegister({ netuid: NETUID, hotkey, coldkey: signer('//C1'), check: false });
    const chainSays = await refused(() => prepared.submit());
    expect(chainSays.code).toBe('CONFLICT');
    expect(chainSays.details).toMatchObject({ pallet: 'subtensorModule', reason: 'HotKeyAlreadyRegisteredInSubNet', block: block + 1 });
    expect(chainSays.message).toMatch(/already registered on subnet 1.*register another hotkey.*\(block \d+/);
    const twice = await refused(() => prepared.submit());
    expect(twice.code).toBe('CONFLICT');
    expect(twice.message).toMatch(/already submitted/);
  });

  it('says "not enough TAO" before sending, and decodes the chain\'s own refusal', async () => {
    const hotkey = pair('//H5').address;
    const block = await client.bestBlock();
    const early = await refused(() => client.prepareBurnedRegister({ netuid: NETUID, hotkey, coldkey: signer('//C2') }));
    expect(early.code).toBe('INSUFFICIENT_FUNDS');
    expect(early.message).toMatch(/costs 1 TAO \(burned\).*holds 0\.5 TAO\. Send at least 0\.5 TAO more/);
    expect(await client.bestBlock()).toBe(block);

    const chainSays = await refused(async () => (await client.prepareBurnedRegister({ netuid: NETUID, hotkey, coldkey: signer('//C2'), check: false })).submit());
    expect(chainSays.code).toBe('INSUFFICIENT_FUNDS');
    expect(chainSays.details).toMatchObject({ reason: 'NotEnoughBalanceToStake' });
    expect(chainSays.message).toMatch(/does not hold enough free TAO.*Send TAO to your coldkey/);
    expect(await client.uid(NETUID, hotkey)).toBeNull();
  });

  it('serves an axon: loopback and private refused before sending, a public address accepted, then rate-limited', async () => {
    const hotkey = signer('//H1');
    const block = await client.bestBlock();
    for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.1.20', '::1', 'fd00::5']) {
      const error = await refused(() => client.prepareServeAxon({ netuid: NETUID, hotkey, ip, port: 8091 }));
      expect(error.code).toBe('VALIDATION');
      expect(error.message).toMatch(/validators on the internet cannot reach it.*Nothing was sent/);
    }
    expect(await client.bestBlock()).toBe(block);

    // The chain's own rule, when asked anyway.
    const loopback = await refused(async () => (await client.prepareServeAxon({ netuid: NETUID, hotkey, ip: '127.0.0.1', port: 8091, allowNonPublic: true })).submit());
    expect(loopback.code).toBe('VALIDATION');
    expect(loopback.details).toMatchObject({ reason: 'InvalidIpAddress' });
    expect(await client.axon(NETUID, hotkey.address)).toBeNull();

    const receipt = await (await client.prepareServeAxon({ netuid: NETUID, hotkey, ip: '45.79.10.20', port: 8091, version: 7 })).submit();
    expect(receipt.events.map((e) => e.name)).toContain('AxonServed');
    expect(await client.axon(NETUID, hotkey.address)).toEqual({ ip: '45.79.10.20', ipType: 4, port: 8091, protocol: 4, version: 7, block: receipt.blockNumber });

    const again = await refused(async () => (await client.prepareServeAxon({ netuid: NETUID, hotkey, ip: '45.79.10.21', port: 8092 })).submit());
    expect(again.code).toBe('RATE_LIMITED');
    expect(again.details).toMatchObject({ reason: 'ServingRateLimitExceeded' });
    expect(again.message).toMatch(/Wait about 50 blocks/);

    const ipv6 = await refused(() => client.prepareServeAxon({ netuid: NETUID, hotkey: signer('//H7'), ip: '2a01:4f8::10', port: 8091 }));
    expect(ipv6.code).toBe('NOT_FOUND');
    expect(ipv6.message).toMatch(/not registered on subnet 1\. Register it first/);
  });

  it('commits a checkpoint hash and reads it back; a second commit is rate-limited', async () => {
    const hotkey = signer('//H1');
    const sha = createHash('sha256').update('checkpoint bytes of round 1').digest('hex');
    const receipt = await (await client.prepareSetCommitment({ netuid: NETUID, hotkey, fields: [{ kind: 'sha256', hex: sha }] })).submit();
    expect(await client.commitment(NETUID, hotkey.address)).toMatchObject({ block: receipt.blockNumber, fields: [{ variant: 'Sha256', hex: `0x${sha}` }] });

    const second = await refused(async () => (await client.prepareSetCommitment({ netuid: NETUID, hotkey, fields: [{ kind: 'sha256', hex: sha.replace(/^./, 'f') }] })).submit());
    expect(second.code).toBe('RATE_LIMITED');
    expect(second.details).toMatchObject({ reason: 'CommitmentSetRateLimitExceeded' });
    expect(second.message).toMatch(/Wait about 100 blocks.*previous commitment stays/);
    expect((await client.commitment(NETUID, hotkey.address))?.fields[0]?.hex).toBe(`0x${sha}`);

    // An unregistered hotkey: refused before sending, and by the chain when asked anyway.
    const stranger = signer('//H8');
    const early = await refused(() => client.prepareSetCommitment({ netuid: NETUID, hotkey: stranger, fields: [{ kind: 'sha256', hex: sha }] }));
    expect(early.code).toBe('FORBIDDEN');
    const chainSays = await refused(async () => (await client.prepareSetCommitment({ netuid: NETUID, hotkey: stranger, fields: [{ kind: 'sha256', hex: sha }], check: false })).submit());
    expect(chainSays.details).toMatchObject({ reason: 'AccountNotAllowedCommit' });
    expect(chainSays.message).toMatch(/Register this hotkey first/);
    expect(await client.commitment(NETUID, stranger.address)).toBeNull();

    await expect(client.prepareSetCommitment({ netuid: NETUID, hotkey, fields: [{ kind: 'sha256', hex: 'abc' }] })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('swaps the hotkey: the UID moves to the new one', async () => {
    const oldHotkey = pair('//H1').address;
    const newHotkey = pair('//H2').address;
    const uid = await client.uid(NETUID, oldHotkey);
    expect(uid).not.toBeNull();

    const wrongOwner = await refused(() => client.prepareSwapHotkey({ oldHotkey, newHotkey, coldkey: signer('//C2') }));
    expect(wrongOwner.code).toBe('FORBIDDEN');

    const prepared = await client.prepareSwapHotkey({ oldHotkey, newHotkey, coldkey: signer('//C1') });
    const receipt = await prepared.submit();
    expect(receipt.blockNumber).toBeGreaterThan(0);
    expect(await client.uid(NETUID, newHotkey)).toBe(uid);
    expect(await client.uid(NETUID, oldHotkey)).toBeNull();
    const graph = await client.metagraph(NETUID, [oldHotkey, newHotkey]);
    expect(graph.neurons.map((n) => n.uid)).toEqual([null, uid]);
    expect(graph.neurons[1]?.coldkey).toBe(pair('//C1').address);

    // The swap rate limit: TxRateLimit is 0 in this genesis; set it (sudo) and swap again from
    // the same coldkey. The chain refuses it; the error says how long to wait, from storage.
    expect(await sudo(client.api.tx.adminUtils!.sudoSetTxRateLimit!(1_000))).toBeNull();
    const again = await (await client.prepareSwapHotkey({ oldHotkey: newHotkey, newHotkey: pair('//H3').address, coldkey: signer('//C1') })).submit().then(
      () => null,
      (error: unknown) => error,
    );
    expect(again).toBeInstanceOf(AppError);
    expect(again).toMatchObject({ code: 'RATE_LIMITED', details: { pallet: 'subtensorModule', reason: 'HotKeySetTxRateLimitExceeded' } });
    expect((again as AppError).message).toMatch(/^Swapping hotkey .* failed: The chain limits how often a coldkey may swap hotkeys\. Wait about (99\d|1000) blocks \(12 s each\), then swap again; until then your UIDs stay on the old hotkey/);
    expect(await client.uid(NETUID, newHotkey)).toBe(uid);
    expect(await sudo(client.api.tx.adminUtils!.sudoSetTxRateLimit!(0))).toBeNull();
  });

  it("reads an epoch's emission in the metagraph", async () => {
    // Shorten subnet 1's tempo (sudo, the key set by dev_setStorage) so an epoch runs within a
    // few blocks, then read the standing of the genesis neuron at UID 0, which earns the epoch's
    // emission (our fresh hotkeys earn nothing without a staked validator's weights).
    const api = client.api;
    const tx = (pallet: string, name: string) => {
      const fn = api.tx[pallet]?.[name];
      if (!fn) throw new Error(`no ${pallet}.${name} in this runtime`);
      return fn;
    };
    const query = (pallet: string, name: string) => {
      const fn = api.query[pallet]?.[name];
      if (!fn) throw new Error(`no storage ${pallet}.${name} in this runtime`);
      return fn;
    };
    const sudo = pair('//S1');
    const nonce = (await api.rpc.system.accountNextIndex(sudo.address)).toNumber();
    const setTempo = tx('sudo', 'sudo')(tx('adminUtils', 'sudoSetTempo')(NETUID, 2));
    await new Promise<void>((resolve, reject) => {
      setTempo
        .signAndSend(sudo, { nonce }, (result) => {
          if (!result.status.isInBlock) return;
          if (result.dispatchError) reject(new Error(result.dispatchError.toString()));
          else resolve();
        })
        .catch(reject);
    });
    const owner = (await query('subtensorModule', 'keys')(NETUID, 0)).toString();
    expect(await client.uid(NETUID, owner)).toBe(0);
    const lastEpoch = async () => Number((await query('subtensorModule', 'lastMechansimStepBlock')(NETUID)).toString());
    const epochBefore = await lastEpoch();
    const head = await chain.newBlocks(3);
    expect(await lastEpoch()).toBeGreaterThan(epochBefore);
    expect(await lastEpoch()).toBeLessThanOrEqual(head);
    const graph = await client.metagraph(NETUID, [owner, pair('//H2').address]);
    expect(graph.tempo).toBe(2);
    const [genesisNeuron, mine] = graph.neurons;
    expect(genesisNeuron?.emission).toBeGreaterThan(0n);
    expect(mine?.emission).toBe(0n);
    expect(mine?.incentive).toBe(0);
  });

  it("a staked validator's real set_weights on our UID: spec 218's epoch ignores weights (incentive stays 0); emission reaches our hotkey through stake", async () => {
    const api = client.api;
    const q = (name: string) => api.query.subtensorModule![name]!;
    const st = api.tx.subtensorModule!;
    const mine = pair('//H2').address;
    const validator = pair('//V1').address;
    const ourUid = await client.uid(NETUID, mine);
    expect(ourUid).not.toBeNull();

    // Network setup: the genesis pool of subnet 1 holds 1 rao of alpha (SubnetAlphaIn), so any
    // add_stake buys 0 alpha (why a validator's stake read 0 before). Give the pool 11 alpha
    // against its 11 TAO (storage: no call sets it), and lift the weights rate limit (sudo).
    await chain.rpc('dev_setStorage', [{ SubtensorModule: { SubnetAlphaIn: [[[NETUID], (11n * TAO).toString()]] } }]);
    expect(await sudo(api.tx.adminUtils!.sudoSetWeightsSetRateLimit!(NETUID, 0))).toBeNull();
    expect(await sudo(api.tx.adminUtils!.sudoSetKappa!(NETUID, 0))).toBeNull();

    // A fresh validator: registered by burn, staked, holding a permit, sets weights on our UID only.
    expect(await sendAs('//CV1', st.burnedRegister!(NETUID, validator))).toBeNull();
    expect(await sendAs('//CV1', st.addStake!(validator, NETUID, 20n * TAO))).toBeNull();
    const validatorUid = (await client.uid(NETUID, validator)) as number;
    expect(BigInt((await q('totalHotkeyAlpha')(validator, NETUID)).toString())).toBeGreaterThan(0n);
    await chain.newBlocks(1);
    const permits = (await q('validatorPermit')(NETUID)).toJSON() as boolean[];
    expect(permits[validatorUid]).toBe(true);
    expect((await q('commitRevealWeightsEnabled')(NETUID)).toJSON()).toBe(false);
    const versionKey = (await q('weightsVersionKey')(NETUID)).toString();
    expect(await sendAs('//V1', st.setWeights!(NETUID, [ourUid], [65535], versionKey))).toBeNull();
    expect((await q('weights')(NETUID, validatorUid)).toJSON()).toEqual([[ourUid, 65535]]);
    await chain.newBlocks(3);

    // The runtime's epoch (it drains every block here: LastMechansimStepBlock is the head) left
    // every Yuma output at 0 although the only weights point at us, with kappa 0 and the
    // validator holding most of the stake: spec 218 splits a subnet's emission by stake alone.
    const head = await client.bestBlock();
    expect(Number((await q('lastMechansimStepBlock')(NETUID)).toString())).toBe(head);
    for (const item of ['incentive', 'rank', 'consensus', 'dividends']) {
      expect(((await q(item)(NETUID)).toJSON() as number[]).every((v) => v === 0)).toBe(true);
    }
    let graph = await client.metagraph(NETUID, [mine, validator]);
    expect(graph.neurons[0]).toMatchObject({ uid: ourUid, incentive: 0, emission: 0n });
    expect(graph.neurons[1]?.emission).toBeGreaterThan(0n);

    // Emission reaches our hotkey once it holds stake: our coldkey stakes to it.
    expect(await sendAs('//C1', st.addStake!(mine, NETUID, 2n * TAO))).toBeNull();
    await chain.newBlocks(1);
    graph = await client.metagraph(NETUID, [mine, validator]);
    expect(graph.neurons[0]?.stake).toBeGreaterThan(0n);
    expect(graph.neurons[0]?.emission).toBeGreaterThan(0n);
    expect(graph.neurons[0]?.incentive).toBe(0);
  });
});
