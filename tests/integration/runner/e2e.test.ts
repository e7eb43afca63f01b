/**
 * The model runner end to end in core: join practice-runner, enrolment (sealed TLS key,
 * registration on chain, certificate from the real certificate service, signed message), the real
 * coordinator discovers the runner on chain and drives rounds over mTLS gRPC through the real
 * ts-predictor container; predictions, scores and the epoch's rewards appear.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { RewardsView } from '@shared/contract/rewards';
import type { RunnerView } from '@shared/contract/runner';
import { ChainClient } from '@devnet/chain/chain-client';
import { dockerForTests } from '../runtime/helpers';
import { call, COMPETITION, joinRunner, MODEL, PASSWORD, startParties, untilRunner, type Parties } from './harness';
import { formatClock } from '@shared/format/time';

const env = await dockerForTests();

describe.skipIf(env.skip)('model runner, end to end', () => {
  let p: Parties;
  let view: RunnerView;
  let renewedSha = '';

  beforeAll(async () => {
    p = await startParties();
    view = await joinRunner(p.core);
  }, 240_000);

  afterAll(async () => {
    await p?.stop();
  });

  it('enrols: key sealed, wallet + SMP hotkey + address + payout hotkey on chain, certificate for model-node-<id>.practice.local', async () => {
    expect(view.steps.map((s) => [s.id, s.state])).toEqual([
      ['tls-key', 'done'],
      ['chain', 'done'],
      ['certificate', 'done'],
      ['message', 'done'],
      ['listen', 'done'],
    ]);
    expect(view.listen).toMatchObject({ host: '127.0.0.1', beyondLoopback: false });
    expect(view.certificate?.san).toBe(`model-node-${MODEL}.practice.local`);
    expect(view.steps.find((s) => s.id === 'certificate')?.detail).toBe(`Valid until ${formatClock(view.certificate!.notAfter, { utc: true })}`);
    expect(view.policy).toBe('either');
    const chain = new ChainClient(p.network.endpoints.chain);
    const runner = (await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner!;
    expect(runner).toMatchObject({ wallet_b58: view.wallet, smp_hotkey_b58: view.smpHotkey!.address, address: `127.0.0.1:${view.listen.port}` });
    const hotkey = (await call<{ competitions: { id: string; membership: { hotkey: string } | null }[] }>(p.core, 'competitions.list', {})).competitions.find((c) => c.id === COMPETITION)!.membership!.hotkey;
    expect(runner.payout_hotkey).toBe(hotkey);
    // The TLS key never lies in plaintext: not in SQLite, not anywhere in the data folder's database.
    const db = new Database(join(p.dataDir, 'minerva.db'), { readonly: true });
    try {
      const row = db.prepare(`SELECT tls_key_sealed, cert_pem FROM runner_enrolments WHERE competition_id = ?`).get(COMPETITION) as { tls_key_sealed: Buffer; cert_pem: string };
      expect(row.tls_key_sealed.subarray(0, 4).toString()).toBe('MVD1');
      expect(row.tls_key_sealed.toString('latin1')).not.toContain('PRIVATE KEY');
    } finally {
      db.close();
    }
    expect(readFileSync(join(p.dataDir, 'minerva.db')).toString('latin1')).not.toContain('BEGIN PRIVATE KEY');
  });

  it('the coordinator finds the runner on chain, rounds run through the container, predictions and scores appear, the epoch pays the payout hotkey', async () => {
    const found = await p.coordinator.discoverRunners();
    expect(found.targets).toEqual([{ address: `127.0.0.1:${view.listen.port}`, modelId: MODEL, transport: 'mtls' }]);
    const { results } = await p.coordinator.runRound(found.targets, { ticks: 6 });
    expect(results[MODEL]!.verdict).toBe('ok');
    expect(results[MODEL]!.score).toBeGreaterThan(0);
    const after = await untilRunner(p.core, (r) => r.calls.accepted >= 13 && r.predictions.length >= 6);
    expect(after.calls.refused).toBe(0);
    expect(after.calls.p50Ms).not.toBeNull();
    expect(after.predictions[0]!.value).toEqual(expect.any(Number));
    expect(after.predictions.filter((x) => x.score !== null).length).toBeGreaterThanOrEqual(5);
    const { calls } = await call<{ calls: { method: string; outcome: string; status: string | null }[] }>(p.core, 'runner.calls', { competitionId: COMPETITION, limit: 50 });
    expect(calls.map((c) => c.method)).toEqual(expect.arrayContaining(['Setup', 'Call:tick', 'Call:predict']));
    expect(calls.every((c) => c.outcome === 'accepted' && c.status === 'SUCCESS')).toBe(true);
    // The Rewards checklist names the runner's latest calls as the last activity.
    const rewards = await call<RewardsView>(p.core, 'rewards.get', { range: 'day' });
    const activity = rewards.checklist.find((c) => c.id === 'activity');
    expect(activity?.ok).toBe(true);
    expect(activity?.detail).toMatch(/^Coordinator calls to your runner: \d+ answered, 0 refused \(/);

    // Rewards: the round timer pays the ended epoch to the runner's payout hotkey (its coldkey).
    p.coordinator.startRounds({ intervalMs: 100, ticks: 3 });
    const chain = new ChainClient(p.network.endpoints.chain);
    const hotkey = (await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner!.payout_hotkey;
    const deadline = Date.now() + 60_000;
    let entries: { amount: string }[] = [];
    while (Date.now() < deadline && entries.length === 0) {
      entries = (await chain.call('chain_getRewards', { address: hotkey, competition_id: COMPETITION })).entries;
      await new Promise((r) => setTimeout(r, 200));
    }
    await p.coordinator.stopRounds();
    expect(entries.length).toBeGreaterThan(0);
    expect(Number(entries[0]!.amount)).toBeGreaterThan(0);
  }, 120_000);

  it('on the practice network the runner stays on loopback; beyond it only with the risk acknowledged (elsewhere)', async () => {
    await expect(call(p.core, 'runner.setListen', { competitionId: COMPETITION, host: '192.0.2.10', acknowledgeRisk: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const still = await untilRunner(p.core, () => true);
    expect(still.listen).toMatchObject({ host: '127.0.0.1', port: view.listen.port, beyondLoopback: false });
  });

  it('renews the certificate on demand: same key and address, a new certificate, the coordinator verifies the next round', async () => {
    const before = await untilRunner(p.core, (r) => r.state === 'serving');
    const renewed = await call<RunnerView>(p.core, 'runner.renewCertificate', { competitionId: COMPETITION });
    renewedSha = renewed.certificate!.sha256;
    expect(renewed.state).toBe('serving');
    expect(renewed.certificate!.sha256).not.toBe(before.certificate!.sha256);
    const chain = new ChainClient(p.network.endpoints.chain);
    expect((await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner!.address).toBe(`127.0.0.1:${before.listen.port}`);
    expect(renewed.certificate!.notBefore >= before.certificate!.notBefore).toBe(true);
    expect(Date.parse(renewed.certificate!.renewAt)).toBeLessThan(Date.parse(renewed.certificate!.notAfter));
    const { results } = await p.coordinator.runRound([{ address: `127.0.0.1:${renewed.listen.port}`, modelId: MODEL }], { ticks: 3 });
    expect(results[MODEL]!.verdict).toBe('ok');
  });

  it('after a restart with the wallet locked it waits (paused-locked); unlocked, it opens its sealed key and serves at the same address', async () => {
    const core = await p.restartCore();
    const paused = await untilRunner(core, (r) => r.state === 'paused-locked');
    expect(paused.steps.find((s) => s.id === 'tls-key')!.detail).toMatch(/unlock/i);
    await call(core, 'vault.unlock', { password: PASSWORD });
    const serving = await untilRunner(core, (r) => r.state === 'serving');
    expect(serving.listen.port).toBe(view.listen.port);
    expect(serving.certificate!.sha256).toBe(renewedSha);
    const { results } = await p.coordinator.runRound([{ address: `127.0.0.1:${serving.listen.port}`, modelId: MODEL }], { ticks: 3 });
    expect(results[MODEL]!.verdict).toBe('ok');
  });

  it('leaving the competition takes the runner off the chain (the hub sends remove_runners), so coordinators stop calling it', async () => {
    const chain = new ChainClient(p.network.endpoints.chain);
    expect((await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner).not.toBeNull();
    await call(p.core, 'competitions.leave', { id: COMPETITION });
    const gone = Date.now() + 60_000;
    while (Date.now() < gone && (await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner !== null) await new Promise((r) => setTimeout(r, 100));
    const state = async () => (await call<CompetitionsView>(p.core, 'competitions.list', {})).competitions.find((c) => c.id === COMPETITION)?.membership?.state;
    while (Date.now() < gone && (await state()) !== 'left') await new Promise((r) => setTimeout(r, 100));
    expect(await state()).toBe('left');
    expect((await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner).toBeNull();
    expect((await p.coordinator.discoverRunners()).targets).toEqual([]);
    // Joining again registers it again, at the same address.
    await call(p.core, 'competitions.join', { id: COMPETITION });
    const back = await untilRunner(p.core, (r) => r.state === 'serving' && r.steps.every((s) => s.state === 'done'));
    expect((await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner!.address).toBe(`127.0.0.1:${back.listen.port}`);
  });
});
