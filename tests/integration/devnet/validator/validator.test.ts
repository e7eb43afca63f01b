/**
 * The practice validator against a real chain (200 ms blocks) started by startPracticeNetwork, its
 * own SQLite in a temp dir, checkpoints served by a local HTTP server of this test that records
 * every request (so it can prove what the validator never fetched), keys from @polkadot/keyring.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { closeServer, listenLoopback } from '@devnet/common/http';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { findModelsDir } from '@devnet/validator/scoring';
import type { RoundInfo } from '@shared/protocol/chain-api';
import { signCheckpoint } from '@shared/protocol/checkpoint-message';
import { to0xHex } from '@shared/protocol/encoding';
import type { CatalogueEntryWire } from '@shared/protocol/hub-api';
import { pairFromSuri, type SubstratePair } from '@shared/protocol/identities';
import { actionCanonical, actionNonce } from '@shared/protocol/miner-action';
import { blobStoredSchema, submissionViewSchema, type SubmissionView } from '@shared/protocol/validator-api';

const COMPETITION = 'practice-checkpoint';
const MAX_BYTES = 100_000;

interface CheckpointCjs {
  encodeCheckpoint(c: { vocab: string; weights: ArrayLike<number>; step: number; trainLoss: number; seed: number }): Buffer;
}

/** A smoothed bigram model of train.txt: smaller `alpha` fits better (lower held-out loss). */
function trainerCheckpoint(alpha: number): Buffer {
  const models = findModelsDir();
  const cjsPath = join(models, 'trainer', 'checkpoint.cjs');
  const cjs = createRequire(cjsPath)(cjsPath) as CheckpointCjs;
  const train = readFileSync(join(models, 'trainer', 'train.txt'), 'utf8');
  const chars = ['\u0000', ...new Set(train)];
  const v = chars.length;
  const idx = new Map(chars.map((c, i) => [c, i]));
  const counts = new Float64Array(v * v).fill(alpha);
  const text = [...train];
  for (let i = 1; i < text.length; i += 1) counts[(idx.get(text[i - 1]!) ?? 0) * v + (idx.get(text[i]!) ?? 0)]! += 1;
  const weights = new Float32Array(v * v);
  for (let a = 0; a < v; a += 1) {
    let row = 0;
    for (let b = 0; b < v; b += 1) row += counts[a * v + b]!;
    for (let b = 0; b < v; b += 1) weights[a * v + b] = Math.log(counts[a * v + b]! / row);
  }
  return cjs.encodeCheckpoint({ vocab: chars.join(''), weights, step: 1, trainLoss: 0, seed: Math.round(alpha * 1000) });
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let dataDir: string;
let net: PracticeNetwork;
let chain: ChainClient;
let validatorUrl: string;
let files: Server;
let filesUrl: string;
const requested: string[] = [];
const served = new Map<string, Buffer>();

let alice: SubstratePair; // ed25519 checkpoint hotkey, registered
let bob: SubstratePair; // ed25519 checkpoint hotkey, registered
let mallory: SubstratePair; // ed25519, never registered
let coldA: SubstratePair;
let coldB: SubstratePair;
const good = trainerCheckpoint(0.1);
const worse = trainerCheckpoint(30);

function filesHandler(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  requested.push(path);
  if (path === '/redirect-elsewhere') {
    res.writeHead(302, { location: `http://localhost:${new URL(filesUrl).port}/alice-good` }).end();
    return;
  }
  const body = served.get(path);
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
}

async function head(): Promise<number> {
  return (await chain.call('chain_info', {})).block_number;
}

/** Waits (on blocks, not on time) until the checkpoint competition is in `phase` with ≥ `left` blocks of it to go. */
async function waitForPhase(phase: 'commit' | 'submit', left = 1): Promise<RoundInfo> {
  for (;;) {
    const r = await chain.call('chain_getRound', { competition_id: COMPETITION });
    if (r.phase === phase && r.blocks_left_in_phase >= left) return r;
    await net.chain!.waitForBlock(r.phase === 'commit' ? r.submit_start : r.next_round_start);
  }
}

async function register(hotkey: SubstratePair, cold: SubstratePair): Promise<void> {
  const { tx_id } = await chain.sendTx('register_hotkey', { competition_id: COMPETITION, hotkey: hotkey.address, coldkey: cold.address }, hotkey);
  expect((await chain.waitForTx(tx_id)).state).toBe('included');
}

/** Sends every commitment, then waits until all are in blocks (they must land in one commit phase). */
async function commitAll(list: [SubstratePair, string, Uint8Array][]): Promise<void> {
  const sent = await Promise.all(list.map(([hotkey, group, bytes]) => chain.sendTx('commit_hash', { competition_id: COMPETITION, hotkey: hotkey.address, expert_group: group, hash: sha(bytes) }, hotkey)));
  for (const { tx_id } of sent) expect(await chain.waitForTx(tx_id)).toMatchObject({ state: 'included' });
}

interface Answer {
  status: number;
  json: { submission_id?: string; error?: { code: string; message: string } };
}

async function submit(signer: SubstratePair, group: string, url: string, options: { block?: number; hotkey?: string; path?: string } = {}): Promise<Answer> {
  const message = signCheckpoint(signer, { expert_group: group, checkpoint_url: url, block_number: options.block ?? (await head()) });
  if (options.hotkey) message.hotkey = options.hotkey;
  const res = await fetch(`${validatorUrl}${options.path ?? '/submit'}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
  return { status: res.status, json: (await res.json()) as Answer['json'] };
}

function accepted202(answer: Answer): string {
  expect(answer.status).toBe(202);
  expect(answer.json.submission_id).toMatch(/^sub_[0-9a-f]{32}$/);
  return answer.json.submission_id!;
}

async function verdict(id: string): Promise<SubmissionView> {
  await net.validator!.waitForVerdict(id);
  const res = await fetch(`${validatorUrl}/submissions/${id}`);
  expect(res.status).toBe(200);
  return submissionViewSchema.parse(await res.json());
}

async function uploadBlob(signer: SubstratePair, body: Uint8Array, options: { signWith?: SubstratePair; nonce?: string } = {}): Promise<Answer & { json: Record<string, unknown> }> {
  const path = '/v1/blobs';
  const nonce = options.nonce ?? actionNonce();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const canonical = actionCanonical({ netuid: 3, slug: COMPETITION, method: 'POST', path, body }, signer.address, nonce, timestamp);
  const signature = (options.signWith ?? signer).sign(canonical);
  const res = await fetch(`${validatorUrl}${path}`, {
    method: 'POST',
    headers: { 'X-Hotkey': signer.address, 'X-Signature': to0xHex(signature), 'X-Nonce': nonce, 'X-Timestamp': timestamp, 'content-type': 'application/octet-stream' },
    body: Buffer.from(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  await cryptoWaitReady();
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-validator-'));
  files = createServer(filesHandler);
  filesUrl = await listenLoopback(files);
  net = await startPracticeNetwork({ dataDir, blockTimeMs: 200, validator: { maxCheckpointBytes: MAX_BYTES, maxBlobBytes: MAX_BYTES, downloadTimeoutMs: 10_000, settleIntervalMs: 200 } });
  chain = new ChainClient(net.endpoints.chain);
  validatorUrl = net.endpoints.validator!;
  alice = pairFromSuri('//ValidatorTestAlice', 'ed25519');
  bob = pairFromSuri('//ValidatorTestBob', 'ed25519');
  mallory = pairFromSuri('//ValidatorTestMallory', 'ed25519');
  coldA = pairFromSuri('//ValidatorTestColdA', 'sr25519');
  coldB = pairFromSuri('//ValidatorTestColdB', 'sr25519');
  await register(alice, coldA);
  await register(bob, coldB);
  served.set('/alice-good', good);
  served.set('/bob-worse', worse);
  served.set('/large', Buffer.alloc(MAX_BYTES + 1, 7));
});

afterAll(async () => {
  await net?.stop();
  if (files) await closeServer(files);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('practice validator (PROTOCOLS §3)', () => {
  it('is a party of the practice network: health, state file, and the hub lists its URL', async () => {
    expect(await (await fetch(`${validatorUrl}/health`)).json()).toMatchObject({ ok: true, party: 'validator' });
    const entry = (await (await fetch(`${net.endpoints.hub!}/v1/competitions/${COMPETITION}`)).json()) as CatalogueEntryWire;
    expect(entry.endpoints.validator).toBe(validatorUrl);
  });

  it('stores a §4-signed blob and serves it; refuses a bad signature, an unknown hotkey, a replayed nonce and an oversized body', async () => {
    const stored = await uploadBlob(alice, good);
    expect(stored.status).toBe(201);
    const blob = blobStoredSchema.parse(stored.json);
    expect(blob).toEqual({ url: `${validatorUrl}/v1/blobs/${sha(good)}`, sha256: sha(good), size: good.length });
    const back = await fetch(blob.url);
    expect(back.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await back.arrayBuffer()), good)).toBe(0);

    const forgedBody = Buffer.concat([worse, Buffer.from('x')]);
    const forged = await uploadBlob(alice, forgedBody, { signWith: bob });
    expect(forged.status).toBe(401);
    expect(forged.json).toEqual({ error: { code: 'BAD_SIGNATURE', message: 'bad signature' } });
    expect((await fetch(`${validatorUrl}/v1/blobs/${sha(forgedBody)}`)).status).toBe(404);

    const stranger = await uploadBlob(mallory, forgedBody);
    expect(stranger.status).toBe(401);
    expect(stranger.json).toEqual({ error: { code: 'UNKNOWN_HOTKEY', message: 'unknown hotkey' } });

    const nonce = actionNonce();
    expect((await uploadBlob(bob, worse, { nonce })).status).toBe(201);
    const replayed = await uploadBlob(bob, worse, { nonce });
    expect(replayed.status).toBe(409);
    expect((replayed.json as { error: { code: string } }).error.code).toBe('NONCE_REPLAYED');

    const large = await uploadBlob(alice, Buffer.alloc(MAX_BYTES + 1, 1));
    expect(large.status).toBe(413);
    expect((large.json as { error: { code: string } }).error.code).toBe('TOO_LARGE');
  });

  it('judges each submission with its own reason, pays the round on chain, and never downloads before checks 1–3 pass', async () => {
    // Commit phase: what each miner binds itself to.
    await waitForPhase('commit', 10);
    const swappedCommit = Buffer.concat([good, Buffer.from('committed, then swapped')]);
    await commitAll([
      [alice, '0', good], // published through the blob store above
      [alice, '1', swappedCommit], // then another file is served instead
      [bob, '0', worse],
    ]);
    served.set('/alice-swapped', good);

    const round = await waitForPhase('submit', 12);
    const blobUrl = `${validatorUrl}/v1/blobs/${sha(good)}`;

    // Checks 1–3 answer at once, and nothing is fetched for them.
    const unknown = await submit(mallory, '0', `${filesUrl}/never-unknown`);
    expect(unknown).toEqual({ status: 401, json: { error: { code: 'UNKNOWN_HOTKEY', message: expect.stringMatching(/not registered/) as string } } });
    const stale = await submit(alice, '0', `${filesUrl}/never-stale`, { block: (await head()) - 11 });
    expect(stale.status).toBe(400);
    expect(stale.json.error?.code).toBe('BLOCK_WINDOW');
    const forged = await submit(bob, '0', `${filesUrl}/never-forged`, { hotkey: alice.address });
    expect(forged.status).toBe(401);
    expect(forged.json.error?.code).toBe('SIGNATURE_INVALID');
    const future = await submit(alice, '0', `${filesUrl}/never-future`, { block: (await head()) + 15 });
    expect(future.json.error?.code).toBe('BLOCK_WINDOW');

    // Accepted for checking: 202 each, verdicts later.
    const aliceGood = accepted202(await submit(alice, '0', blobUrl));
    const aliceAgain = accepted202(await submit(alice, '0', blobUrl, { path: `/v1/competitions/${COMPETITION}/submit` }));
    const bobWorse = accepted202(await submit(bob, '0', `${filesUrl}/bob-worse`));
    const swapped = accepted202(await submit(alice, '1', `${filesUrl}/alice-swapped`));
    const large = accepted202(await submit(bob, '2', `${filesUrl}/large`));
    const redirected = accepted202(await submit(bob, '3', `${filesUrl}/redirect-elsewhere`));
    const uncommitted = accepted202(await submit(bob, '9', `${filesUrl}/bob-worse`));

    const a = await verdict(aliceGood);
    expect(a).toMatchObject({ status: 'accepted', round: round.round, hotkey: alice.address, expert_group: '0', sha256: sha(good), size: good.length, reward: null });
    expect(a.commitment?.hash).toBe(sha(good));
    expect(a.loss).toBeGreaterThan(1.5);
    expect(a.score).toBeGreaterThan(0);
    const b = await verdict(bobWorse);
    expect(b.status).toBe('accepted');
    expect(b.loss).toBeGreaterThan(a.loss!);
    expect(b.score).toBeLessThan(a.score!);

    expect(await verdict(aliceAgain)).toMatchObject({ status: 'rejected', reason: 'DUPLICATE' });
    const s = await verdict(swapped);
    expect(s).toMatchObject({ status: 'rejected', reason: 'HASH_MISMATCH', sha256: sha(good), commitment: { hash: sha(swappedCommit) } });
    expect(s.message).toMatch(/not the one committed/);
    expect(await verdict(large)).toMatchObject({ status: 'rejected', reason: 'TOO_LARGE' });
    const r = await verdict(redirected);
    expect(r).toMatchObject({ status: 'rejected', reason: 'DOWNLOAD_FAILED' });
    expect(r.message).toMatch(/another host/);
    expect(await verdict(uncommitted)).toMatchObject({ status: 'rejected', reason: 'NO_COMMITMENT' });

    // The validator never fetched anything for a submission refused by checks 1–3, and did not follow the redirect.
    expect(requested.filter((p) => p.startsWith('/never-'))).toEqual([]);
    expect(requested).toContain('/redirect-elsewhere');
    expect(requested.filter((p) => p === '/alice-good')).toEqual([]);

    // Rewards: one emit_rewards for the round, split by score, paid to the coldkeys.
    const payout = await net.validator!.waitForPayout(COMPETITION, round.round);
    expect(payout.state).toBe('included');
    const rewardsA = (await chain.call('chain_getRewards', { address: coldA.address, competition_id: COMPETITION })).entries;
    const rewardsB = (await chain.call('chain_getRewards', { address: coldB.address, competition_id: COMPETITION })).entries;
    expect(rewardsA).toHaveLength(1);
    expect(rewardsB).toHaveLength(1);
    expect(rewardsA[0]).toMatchObject({ epoch: round.round, hotkey: alice.address, coldkey: coldA.address });
    const unitsA = BigInt(rewardsA[0]!.base_units);
    const unitsB = BigInt(rewardsB[0]!.base_units);
    expect(unitsA).toBeGreaterThan(unitsB);
    expect(unitsA + unitsB).toBeLessThanOrEqual(200_000_000_000n);
    expect(Number(unitsA) / Number(unitsA + unitsB)).toBeCloseTo(a.score! / (a.score! + b.score!), 6);
    expect(BigInt((await chain.call('chain_getBalance', { address: coldA.address })).base_units)).toBe(unitsA);
    const paid = await verdict(aliceGood);
    expect(paid.reward).toEqual({ epoch: round.round, amount: rewardsA[0]!.amount, base_units: rewardsA[0]!.base_units, tx_id: payout.tx_id, block: rewardsA[0]!.block });
  });

  it('a submission whose block lies in a commit phase has no commitment to match', async () => {
    await waitForPhase('commit', 4);
    const id = accepted202(await submit(alice, '0', `${validatorUrl}/v1/blobs/${sha(good)}`));
    const v = await verdict(id);
    expect(v).toMatchObject({ status: 'rejected', reason: 'NO_COMMITMENT' });
    expect(v.message).toMatch(/commit phase/);
  });

  it('answers 400 MALFORMED for a body that is not the message and 404 for an unknown submission or competition', async () => {
    const bad = await fetch(`${validatorUrl}/submit`, { method: 'POST', body: '{"hotkey":"x"}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('MALFORMED');
    expect((await fetch(`${validatorUrl}/submissions/sub_${'0'.repeat(32)}`)).status).toBe(404);
    expect((await fetch(`${validatorUrl}/v1/competitions/practice-runner/submit`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${validatorUrl}/v1/competitions/%E0%A4%A/submit`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
