/**
 * The coordinator's gRPC client against a minimal runner over real mTLS, with certificates from the
 * real certificate service and identities on a real chain: a round runs; each §5 check of the
 * runner's x-server-auth-* metadata fails the call on its own; a certificate for another model,
 * from another CA, or other than the pinned leaf is refused in the handshake.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { CertificateAuthority, generateRsaKeyPair, rsa2048Spki } from '@devnet/coordinator/ca';
import { CoordinatorNode } from '@devnet/coordinator/coordinator-server';
import { demoSeries, scoreRound } from '@devnet/coordinator/rounds';
import { driveRound, RunnerCallError, RunnerClient } from '@devnet/coordinator/runner-client';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { pairFromSeed, pairFromSuri, walletFromSeed } from '@shared/protocol/identities';
import { pinnedMatches, spkiFromCertificate, verifySmp, walletKeyFromB58 } from '@shared/protocol/smp';
import { obtainRunnerCertificate, registerPayoutHotkey, TestRunner, type Credentials, type RunnerMode } from './test-runner';

const COMPETITION = 'practice-runner';
const MODEL = 'practice-ts-1';
const seedA = new Uint8Array(32).fill(41);
const seedB = new Uint8Array(32).fill(42);
const hotkeyA = walletFromSeed(new Uint8Array(32).fill(43)).address;

let dataDir: string;
let otherDir: string;
let net: PracticeNetwork;
let chain: ChainClient;
let coordinator: CoordinatorNode;
let payout: string | undefined;
let credsA: Credentials;
let credsB: Credentials;
let runner: TestRunner;
let client: RunnerClient;
const verdicts: string[] = [];
const extra: { stop(): Promise<void> }[] = [];
const clients: RunnerClient[] = [];

async function registerRunner(seed: Uint8Array, modelId: string, hotkey: string): Promise<void> {
  payout ??= await registerPayoutHotkey(chain, COMPETITION, 'RunnerClientPayout');
  const { tx_id } = await chain.sendTx('register_runner', { competition_id: COMPETITION, model_id: modelId, wallet_b58: walletFromSeed(seed).address, smp_hotkey_b58: hotkey, address: '127.0.0.1:1', payout_hotkey: payout }, pairFromSeed(seed, 'ed25519'));
  expect((await chain.waitForTx(tx_id)).state).toBe('included');
}

function clientFor(port: number, modelId = MODEL): RunnerClient {
  const creds = coordinator.clientCredentials;
  const c = new RunnerClient({
    address: `127.0.0.1:${port}`,
    competitionId: COMPETITION,
    modelId,
    domain: 'practice.local',
    caPem: coordinator.authority.certificatePem,
    clientKeyPem: creds.keyPem,
    clientCertPem: creds.certPem,
    chain,
    v1: coordinator.identity.v1Container(creds.certPem),
    chainCacheMs: 0,
    deadlineMs: 10_000,
    onCall: (e) => verdicts.push(`${e.method}:${e.verdict}`),
  });
  clients.push(c);
  return c;
}

function runnerWith(credentials: Credentials, modelId = MODEL): TestRunner {
  const r = new TestRunner({ credentials, walletSeed: seedA, hotkey: hotkeyA, modelId, className: 'TrackerBase', otherWalletSeed: seedB, otherCertPem: credsB.certPem });
  extra.push(r);
  return r;
}

async function refusal(p: Promise<unknown>): Promise<RunnerCallError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunnerCallError);
  return error as RunnerCallError;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-coordinator-grpc-'));
  otherDir = mkdtempSync(join(tmpdir(), 'minerva-coordinator-otherca-'));
  net = await startPracticeNetwork({ dataDir, blockTimeMs: 150, parties: ['chain'] });
  chain = new ChainClient(net.endpoints.chain);
  coordinator = new CoordinatorNode({ dataDir, chainUrl: net.endpoints.chain });
  await coordinator.start();
  await registerRunner(seedA, MODEL, hotkeyA);
  await registerRunner(seedB, 'other-model', hotkeyA);
  credsA = await obtainRunnerCertificate(coordinator.url, COMPETITION, MODEL, seedA);
  credsB = await obtainRunnerCertificate(coordinator.url, COMPETITION, 'other-model', seedB);
  runner = runnerWith(credsA);
  client = clientFor(await runner.start());
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const r of extra) await r.stop();
  await coordinator?.stop();
  await net?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});

describe('a verified round', () => {
  it('health, Setup, tick and predict over mTLS, every response verified', async () => {
    expect(await client.check('')).toBe('SERVING');
    expect(await client.check('dynamic_subclass.DynamicSubclassService')).toBe('SERVING');
    const round = await driveRound(client, 'TrackerBase', [{ value: 1.5 }, { value: -2.25 }]);
    expect(round.statuses).toEqual(['Setup:SUCCESS', 'tick:SUCCESS', 'predict:SUCCESS', 'tick:SUCCESS', 'predict:SUCCESS']);
    expect(round.predictions).toEqual([1.5, -2.25]);
    expect((await client.setup('NotTheBase')).code).toBe('INVALID_ARGUMENT');
    expect((await client.call('no_such_method')).status.code).toBe('INVALID_ARGUMENT');
    expect(Buffer.from(client.pinnedSpkiDer!).equals(Buffer.from(spkiFromCertificate(credsA.certPem)))).toBe(true);
    expect(verdicts.slice(-2)).toEqual(['Setup:ok', 'Call:ok']);
  });

  it('Rest drops the model: Call before Setup is FAILED_PRECONDITION; a legacy gRPC code counts as that Status; 5 MiB answers pass', async () => {
    expect((await client.rest()).code).toBe('SUCCESS');
    expect((await client.call('predict')).status.code).toBe('FAILED_PRECONDITION');
    expect((await client.setup('TrackerBase')).code).toBe('SUCCESS');
    const legacy = await client.call('legacy');
    expect(legacy.status).toEqual({ code: 'INVALID_ARGUMENT', message: 'bad arguments' });
    const big = await client.call('big');
    expect(typeof big.value === 'string' && big.value.length).toBe(5 * 1024 * 1024);
  });

  it('sends no x-auth-* when v1 is not configured', async () => {
    const c = coordinator.connectRunner({ address: `127.0.0.1:${runner.port}`, modelId: MODEL, v1: false });
    clients.push(c);
    expect(await c.check('')).toBe('SERVING');
    expect(runner.received.at(-1)?.container).toBeUndefined();
    expect(runner.received.at(-1)?.peerCertDer).toBeDefined();
  });

  it('the runner receives v1 x-auth-* that verify against the chain, from a client certificate pinned on chain', async () => {
    await client.check('');
    const view = (await chain.call('chain_getCoordinator', { competition_id: COMPETITION })).coordinator!;
    const last = runner.received.at(-1)!;
    expect(last.peerCertDer).toBeDefined();
    const verdict = verifySmp(last.container, { role: 'coordinator', expectedWallet: walletKeyFromB58(view.wallet_b58), peerCert: last.peerCertDer!, expectedHotkey: view.smp_hotkey_b58 });
    expect(verdict.valid).toBe(true);
    expect(pinnedMatches(spkiFromCertificate(last.peerCertDer!), view.cert_hashes)).toBe(true);
  });
});

describe('the runner x-server-auth-* metadata: each §5 check fails the call on its own', () => {
  const cases: [RunnerMode, string][] = [
    ['no-metadata', '0:metadata'],
    ['wallet', '1:wallet'],
    ['signature', '2:signature'],
    ['keys', '3:keys'],
    ['cert_pub', '4:cert_pub'],
    ['hotkey', '5:hotkey'],
    ['model_id', '6:model_id'],
  ];
  for (const [mode, reason] of cases) {
    it(`${mode} → ${reason}`, async () => {
      runner.mode = mode;
      try {
        const error = await refusal(client.call('predict'));
        expect([error.kind, error.reason]).toEqual(['auth', reason]);
        const health = await refusal(client.check(''));
        expect(health.reason).toBe(reason);
      } finally {
        runner.mode = 'honest';
      }
      expect((await client.call('predict')).status.code).toBe('SUCCESS');
    });
  }

  it('a runner whose SMP hotkey changed on chain is refused until it signs the new one (check 5)', async () => {
    const next = walletFromSeed(new Uint8Array(32).fill(44)).address;
    await registerRunner(seedA, MODEL, next);
    const error = await refusal(client.call('predict'));
    expect(error.reason).toBe('5:hotkey');
    await registerRunner(seedA, MODEL, hotkeyA);
    expect((await client.call('predict')).status.code).toBe('SUCCESS');
  }, 30_000);
});

describe('connectRunner', () => {
  it('wires the coordinator credentials and records each call with its verdict in its SQLite', async () => {
    const c = coordinator.connectRunner({ address: `127.0.0.1:${runner.port}`, modelId: MODEL, chainCacheMs: 0 });
    clients.push(c);
    expect(await c.check('')).toBe('SERVING');
    runner.mode = 'model_id';
    try {
      expect((await refusal(c.call('predict'))).reason).toBe('6:model_id');
    } finally {
      runner.mode = 'honest';
    }
    const calls = coordinator.repo.calls().slice(-2);
    expect(calls.map((r) => [r.model_id, r.method, r.verdict])).toEqual([
      [MODEL, 'Check', 'ok'],
      [MODEL, 'Call', 'auth:6:model_id'],
    ]);
    expect(runner.received.at(-1)?.container).toBeDefined();
  });
});

describe('scored rounds', () => {
  it('scores each runner against the values revealed later; a runner that does not verify scores 0 with its reason', async () => {
    const first = await coordinator.runRound([{ address: `127.0.0.1:${runner.port}`, modelId: MODEL }], { ticks: 5, chainCacheMs: 0 });
    const series = demoSeries(first.round * 5, 5);
    const result = first.results[MODEL]!;
    expect(result.verdict).toBe('ok');
    // The test runner predicts the last value it saw.
    expect(result.predictions).toEqual(series);
    expect(result.score).toBeCloseTo(scoreRound(series, series), 12);
    expect(result.score).toBeGreaterThan(0);
    expect(result.score).toBeLessThan(1);
    runner.mode = 'wallet';
    try {
      const second = await coordinator.runRound([{ address: `127.0.0.1:${runner.port}`, modelId: MODEL }], { ticks: 5, chainCacheMs: 0 });
      expect(second.round).toBe(first.round + 1);
      expect(second.results[MODEL]).toMatchObject({ score: 0, verdict: 'auth:1:wallet' });
    } finally {
      runner.mode = 'honest';
    }
    expect(coordinator.repo.scores().map((s) => [s.model_id, s.verdict])).toEqual([
      [MODEL, 'ok'],
      [MODEL, 'auth:1:wallet'],
    ]);

    // The epoch's emission goes to the runner's registered hotkey (its coldkey is paid), once.
    const hot = pairFromSuri('//CoordinatorRunnerHot', 'sr25519');
    const cold = pairFromSuri('//CoordinatorRunnerCold', 'sr25519');
    const reg = await chain.sendTx('register_hotkey', { competition_id: COMPETITION, hotkey: hot.address, coldkey: cold.address }, hot);
    expect((await chain.waitForTx(reg.tx_id)).state).toBe('included');
    const paid = await coordinator.payEpoch(first.epoch, { [MODEL]: hot.address });
    const emission = (await chain.call('chain_listCompetitions', {})).competitions.find((c) => c.competition_id === COMPETITION)!.emission_per_epoch;
    expect(paid).toEqual([{ model_id: MODEL, hotkey: hot.address, amount: emission }]);
    const rewards = (await chain.call('chain_getRewards', { address: cold.address, competition_id: COMPETITION })).entries;
    expect(rewards.map((r) => [r.epoch, r.hotkey, r.base_units])).toEqual([[first.epoch, hot.address, emission]]);
    await expect(coordinator.payEpoch(first.epoch, { [MODEL]: hot.address })).rejects.toThrow(/EPOCH_ALREADY_PAID/);
  }, 30_000);
});

describe('round timer', () => {
  it('runs rounds one after another until stopped, with no round after stopRounds()', async () => {
    const before = coordinator.repo.scores().length;
    coordinator.startRounds({ intervalMs: 20, ticks: 2, targets: () => [{ address: `127.0.0.1:${runner.port}`, modelId: MODEL }] });
    const deadline = Date.now() + 15_000;
    while (coordinator.repo.scores().length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await coordinator.stopRounds();
    const after = coordinator.repo.scores();
    expect(after.length).toBeGreaterThanOrEqual(before + 2);
    expect(after.slice(before).every((r) => r.model_id === MODEL && r.verdict === 'ok')).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(coordinator.repo.scores()).toHaveLength(after.length);
  }, 30_000);
});

describe('the runner certificate', () => {
  it('refuses a runner whose certificate SAN is another model’s', async () => {
    const impostor = runnerWith(credsB);
    const c = clientFor(await impostor.start());
    const error = await refusal(c.check(''));
    expect(error.kind).toBe('tls');
    expect(error.message).toContain('model-node-practice-ts-1.practice.local');
    expect(impostor.received).toHaveLength(0);
  });

  it('refuses a runner certificate from another CA, even for the right name', async () => {
    const otherCa = await CertificateAuthority.open(otherDir);
    const { publicKeyPem, privateKeyPem } = generateRsaKeyPair();
    const issued = await otherCa.issue({ spki: rsa2048Spki(publicKeyPem), commonName: 'model-node-practice-ts-1.practice.local', usage: 'server', sanDns: ['model-node-practice-ts-1.practice.local'], daysValid: 1 });
    const foreign = runnerWith({ keyPem: privateKeyPem, certPem: issued.pem, caPem: credsA.caPem });
    const c = clientFor(await foreign.start());
    const error = await refusal(c.check(''));
    expect(error.grpcCode).toBe(14); // UNAVAILABLE: the handshake failed
    expect(foreign.received).toHaveLength(0);
  });

  it('pins the leaf: the same address with another valid certificate for the model is refused', async () => {
    const first = runnerWith(credsA);
    const port = await first.start();
    const c = clientFor(port);
    expect(await c.check('')).toBe('SERVING');
    await first.stop();
    const fresh = await obtainRunnerCertificate(coordinator.url, COMPETITION, MODEL, seedA);
    const second = new TestRunner({ credentials: fresh, walletSeed: seedA, hotkey: hotkeyA, modelId: MODEL, className: 'TrackerBase', otherWalletSeed: seedB, otherCertPem: credsB.certPem });
    extra.push(second);
    await second.startAt(port);
    const error = await refusal(c.check(''));
    expect(error.kind).toBe('tls');
    expect(second.received).toHaveLength(0);
  }, 30_000);
});
