/**
 * The practice router pays per epoch (docs/practice-network.md §8, "Rewards"): a real chain
 * (150 ms blocks: an epoch of 30 blocks is 4.5 s) and router from startPracticeNetwork, miners
 * written in the test (miner-client.ts) that speak only the wire formats. What the router pays is
 * read back from the chain's ledger (`chain_getRewards`), not from the router.
 */
import * as nodeCrypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { authorityKey } from '@devnet/common/keys';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { RouterNode } from '@devnet/router/router-server';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { parsePrivateKey } from '@shared/protocol/eip191';
import { pairFromSuri } from '@shared/protocol/identities';
import { TestMiner, type Reply } from './miner-client';

useNodeCryptoAesGcm(nodeCrypto);

const TOKEN = 'payments-test-token-0123456789';
const COMPETITION = 'practice-inference';
const EMISSION = 100_000_000_000n; // 100 PRAC in base units (demo competition)
const key = (n: number): Uint8Array => parsePrivateKey(`0x${n.toString(16).padStart(2, '0').repeat(32)}`);

const alice = pairFromSuri('//Alice', 'sr25519');
const bob = pairFromSuri('//Bob', 'sr25519');
const coldA = pairFromSuri('//ColdA', 'sr25519').address;
const coldB = pairFromSuri('//ColdB', 'sr25519').address;
const A = new TestMiner('', key(0x41)); // member with hotkey Alice
const B = new TestMiner('', key(0x42)); // member with hotkey Bob
const L = new TestMiner('', key(0x43)); // allowed by ENCRYPTION_ALLOWED_LIST only: no hotkey, never paid

let dataDir: string;
let net: PracticeNetwork;
let chain: ChainClient;
let lastPaid = -1;

async function included(kind: Parameters<ChainClient['sendTx']>[0], args: never, signer: typeof alice): Promise<void> {
  const { tx_id } = await chain.sendTx(kind, args, signer);
  expect((await chain.waitForTx(tx_id)).state).toBe('included');
}

/** One completion answered (or failed) by `miner`: the completion is sent, the miner takes that job. */
async function serveOne(miner: TestMiner, outcome: 'result' | 'fail' = 'result'): Promise<void> {
  const answer = fetch(`${net.endpoints.router}/api/v2/completion`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: 101, prompt: 'pay me', timeout_s: 30 }),
  });
  let job;
  while (!job) job = (await miner.poll(5, 1)).jobs[0];
  const r: Reply = outcome === 'result' ? await miner.report(job.job_id, await miner.compute(job)) : await miner.call('POST', `/api/v2/miner/jobs/${job.job_id}/fail`, { code: 'MODEL_FAILED' });
  expect(r.status).toBe(200);
  expect((await answer).status).toBe(outcome === 'result' ? 200 : 502);
}

async function ledger(coldkey: string): Promise<Map<number, bigint>> {
  const { entries } = await chain.call('chain_getRewards', { address: coldkey, competition_id: COMPETITION });
  const byEpoch = new Map<number, bigint>();
  for (const e of entries) byEpoch.set(e.epoch, (byEpoch.get(e.epoch) ?? 0n) + BigInt(e.base_units));
  return byEpoch;
}

beforeAll(async () => {
  await cryptoWaitReady();
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-router-pay-'));
  net = await startPracticeNetwork({
    dataDir,
    parties: ['chain', 'router'],
    blockTimeMs: 150,
    router: { env: { ENCRYPTION_SEED: '33'.repeat(32), ENCRYPTION_ALLOWED_LIST: `101:${L.address}`, ROUTER_API_TOKENS: TOKEN }, membershipTtlMs: 0, payments: { intervalMs: 100 } },
  });
  for (const m of [A, B, L]) (m as { baseUrl: string }).baseUrl = net.endpoints.router!;
  chain = new ChainClient(net.endpoints.chain);
  const hub = authorityKey(dataDir, 'hub');
  await included('register_hotkey', { competition_id: COMPETITION, hotkey: alice.address, coldkey: coldA } as never, alice);
  await included('register_hotkey', { competition_id: COMPETITION, hotkey: bob.address, coldkey: coldB } as never, bob);
  await included('add_session_member', { competition_id: COMPETITION, session_id: 101, eoa: A.address, hotkey: alice.address } as never, hub);
  await included('add_session_member', { competition_id: COMPETITION, session_id: 101, eoa: B.address, hotkey: bob.address } as never, hub);
});

afterAll(async () => {
  await net?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the router pays accepted jobs per epoch', () => {
  it("splits each ended epoch's emission by accepted jobs, to each hotkey's coldkey, once", async () => {
    const payments = net.router!.payments!;
    const first = (await chain.call('chain_getEpoch', { competition_id: COMPETITION })).epoch;
    await serveOne(A);
    await serveOne(A);
    await serveOne(B);
    await serveOne(L); // allowed-list only: its job is accepted but nobody is paid for it
    await serveOne(A, 'fail'); // a failure earns nothing

    // Wait until every credited epoch is settled (the last one ends ≤ 4.5 s after the last job).
    const credits = payments.credits(COMPETITION);
    const last = Math.max(...credits.map((c) => c.epoch ?? first));
    await payments.waitForPaidEpoch(COMPETITION, last);
    lastPaid = last;
    for (let e = first; e <= last; e++) expect(payments.payout(COMPETITION, e), `epoch ${e} settled`).not.toBeNull();

    // Credits: 2 for Alice, 1 for Bob, 1 without a hotkey; the failed job is no credit.
    const jobsOf = (hotkey: string): number => payments.credits(COMPETITION).filter((c) => c.hotkey === hotkey).reduce((s, c) => s + c.jobs, 0);
    expect([jobsOf(alice.address), jobsOf(bob.address), jobsOf('')]).toEqual([2, 1, 1]);

    // The chain's ledger: per epoch, the emission split by that epoch's jobs, floored.
    const [paidA, paidB] = [await ledger(coldA), await ledger(coldB)];
    let total = 0n;
    for (let e = first; e <= last; e++) {
      const here = payments.credits(COMPETITION).filter((c) => c.epoch === e);
      const n = (hk: string): bigint => BigInt(here.filter((c) => c.hotkey === hk).reduce((s, c) => s + c.jobs, 0));
      const sum = n(alice.address) + n(bob.address);
      const want = (k: bigint): bigint => (sum === 0n ? 0n : (EMISSION * k) / sum);
      expect(paidA.get(e) ?? 0n, `Alice, epoch ${e}`).toBe(want(n(alice.address)));
      expect(paidB.get(e) ?? 0n, `Bob, epoch ${e}`).toBe(want(n(bob.address)));
      total += (paidA.get(e) ?? 0n) + (paidB.get(e) ?? 0n);
    }
    // Three paid jobs in all: whatever the epochs, Alice got about twice Bob's share in total.
    expect(total > 0n).toBe(true);
    expect([...paidA.values()].reduce((a, b) => a + b, 0n) > 0n).toBe(true);
    expect([...paidB.values()].reduce((a, b) => a + b, 0n) > 0n).toBe(true);
    const balance = await chain.call('chain_getBalance', { address: coldA });
    expect(BigInt(balance.base_units)).toBe([...paidA.values()].reduce((a, b) => a + b, 0n));

    // Each epoch is paid once: the chain refuses a second emit_rewards for it.
    const again = await chain.sendTx('emit_rewards', { competition_id: COMPETITION, epoch: last, payouts: [{ hotkey: alice.address, amount: '1' }] }, authorityKey(dataDir, 'router'));
    const status = await chain.waitForTx(again.tx_id);
    expect(status.state === 'failed' && status.error.code).toBe('EPOCH_ALREADY_PAID');
  });

  it('a router that lost its record of a payment (crash after sending) does not pay again; an epoch without jobs is not paid', async () => {
    const before = [...(await ledger(coldA)).entries()];
    await net.router!.stop();
    // Forget the router's own payout records, as if it crashed between sending and recording.
    const db = new Database(join(dataDir, 'devnet', 'router', 'router.db'));
    db.prepare('DELETE FROM epoch_payouts').run();
    db.close();
    const again = new RouterNode({ dataDir, chainUrl: net.endpoints.chain, env: { ENCRYPTION_SEED: '33'.repeat(32), ROUTER_API_TOKENS: TOKEN }, payments: { intervalMs: 60_000 } });
    await again.start();
    try {
      const settled = await again.payments!.tick();
      // Every epoch with a payable job is found paid on chain; one with only the allowed-list miner's job pays nothing again.
      expect(settled.some((p) => p.state === 'elsewhere')).toBe(true);
      expect(settled.every((p) => (p.state === 'elsewhere' || p.state === 'nothing') && p.payouts.length === 0)).toBe(true);
      expect(again.payments!.payout(COMPETITION, lastPaid)?.state).toBe('elsewhere');
      // A later epoch with no accepted job: nothing is sent for it.
      const head = (await chain.call('chain_getEpoch', { competition_id: COMPETITION })).epoch;
      await chain.call('chain_waitForBlock', { number: (head + 1) * 30 + 1, timeout_ms: 15_000 });
      expect(await again.payments!.tick()).toEqual([]);
      expect((await chain.call('chain_getEpoch', { competition_id: COMPETITION, block: head * 30 })).paid_block).toBeNull();
      expect([...(await ledger(coldA)).entries()]).toEqual(before);
    } finally {
      await again.stop();
    }
  });
});
