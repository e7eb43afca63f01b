/**
 * The round timer finds the runner on chain (address, payout hotkey) and pays each finished epoch
 * once: with 60-block epochs at 40 ms a block, rounds run across an epoch boundary and the ended
 * epoch's emission reaches the coldkey of the runner's payout hotkey.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { CoordinatorNode } from '@devnet/coordinator/coordinator-server';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { pairFromSeed, pairFromSuri, walletFromSeed } from '@shared/protocol/identities';
import { obtainRunnerCertificate, registerPayoutHotkey, TestRunner } from './test-runner';

const COMPETITION = 'practice-runner';
const MODEL = 'practice-ts-1';
const seed = new Uint8Array(32).fill(61);
const hotkey = walletFromSeed(new Uint8Array(32).fill(62)).address;

let dataDir: string;
let net: PracticeNetwork;
let coordinator: CoordinatorNode;
let runner: TestRunner;
let payout: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-coordinator-epoch-'));
  net = await startPracticeNetwork({ dataDir, blockTimeMs: 40, parties: ['chain'] });
  coordinator = new CoordinatorNode({ dataDir, chainUrl: net.endpoints.chain });
  await coordinator.start();
  const chain = coordinator.chain;
  payout = await registerPayoutHotkey(chain, COMPETITION, 'EpochRunner');
  // The certificate service needs the runner wallet on chain first; the address follows once the runner listens.
  const first = await chain.sendTx('register_runner', { competition_id: COMPETITION, model_id: MODEL, wallet_b58: walletFromSeed(seed).address, smp_hotkey_b58: hotkey, address: '127.0.0.1:1', payout_hotkey: payout }, pairFromSeed(seed, 'ed25519'));
  expect((await chain.waitForTx(first.tx_id)).state).toBe('included');
  const credentials = await obtainRunnerCertificate(coordinator.url, COMPETITION, MODEL, seed);
  runner = new TestRunner({ credentials, walletSeed: seed, hotkey, modelId: MODEL, className: 'TrackerBase', otherWalletSeed: new Uint8Array(32).fill(63), otherCertPem: credentials.certPem });
  const port = await runner.start();
  const reg = await chain.sendTx('register_runner', { competition_id: COMPETITION, model_id: MODEL, wallet_b58: walletFromSeed(seed).address, smp_hotkey_b58: hotkey, address: `127.0.0.1:${port}`, payout_hotkey: payout }, pairFromSeed(seed, 'ed25519'));
  expect((await chain.waitForTx(reg.tx_id)).state).toBe('included');
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  await runner?.stop();
  await net?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('pays the ended epoch of the scored rounds once, to the coldkey of the runner hotkey', async () => {
  const chain = new ChainClient(net.endpoints.chain);
  const cold = pairFromSuri('//EpochRunnerCold', 'sr25519');
  // Discovery: the runner's address and payout hotkey come from the chain (chain_listRunners).
  expect(await coordinator.discoverRunners()).toEqual({ targets: [{ address: `127.0.0.1:${runner.port}`, modelId: MODEL, transport: 'mtls' }], payees: { [MODEL]: payout } });
  coordinator.startRounds({ intervalMs: 50, ticks: 2 });
  const deadline = Date.now() + 25_000;
  while (coordinator.repo.scoredEpochs().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // The epoch of the first scored round: it is paid once it has ended on chain.
  const startEpoch = coordinator.repo.scoredEpochs()[0]!;
  let entries: { epoch: number; base_units: string }[] = [];
  while (Date.now() < deadline) {
    entries = (await chain.call('chain_getRewards', { address: cold.address, competition_id: COMPETITION })).entries;
    if (entries.some((e) => e.epoch === startEpoch)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await coordinator.stopRounds();
  const emission = (await chain.call('chain_listCompetitions', {})).competitions.find((c) => c.competition_id === COMPETITION)!.emission_per_epoch;
  const forStart = entries.filter((e) => e.epoch === startEpoch);
  expect(forStart).toHaveLength(1);
  expect(forStart[0]!.base_units).toBe(emission);
  // Paid once: a later pass finds nothing left to pay for that epoch.
  expect(await coordinator.payFinishedEpochs({ [MODEL]: payout })).not.toContain(startEpoch);
}, 60_000);
