/**
 * A validator stopped in the middle of a download picks the submission up again after a restart
 * (its SQLite keeps it pending) and judges it once; the hotkey's submissions can be listed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { closeServer, listenLoopback } from '@devnet/common/http';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { ValidatorNode } from '@devnet/validator/validator-server';
import { signCheckpoint } from '@shared/protocol/checkpoint-message';
import { pairFromSuri, type SubstratePair } from '@shared/protocol/identities';
import { submissionListSchema } from '@shared/protocol/validator-api';

const COMPETITION = 'practice-checkpoint';
// Not a trainer checkpoint: the verdict is then INVALID_CHECKPOINT, which is reached only after a
// complete download and a matching commitment.
const BYTES = Buffer.from('these bytes are committed but are not a checkpoint');
const SHA = createHash('sha256').update(BYTES).digest('hex');

let dataDir: string;
let net: PracticeNetwork;
let chain: ChainClient;
let files: Server;
let filesUrl: string;
let alice: SubstratePair;
let requests = 0;
const held: ServerResponse[] = [];
let firstRequest: () => void = () => undefined;
const firstRequestSeen = new Promise<void>((resolve) => {
  firstRequest = resolve;
});

beforeAll(async () => {
  await cryptoWaitReady();
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-validator-restart-'));
  files = createServer((_req, res) => {
    requests += 1;
    if (requests === 1) {
      // The first download never completes.
      held.push(res);
      res.writeHead(200, { 'content-length': BYTES.length });
      res.write(BYTES.subarray(0, 5));
      firstRequest();
      return;
    }
    res.writeHead(200, { 'content-length': BYTES.length }).end(BYTES);
  });
  filesUrl = await listenLoopback(files);
  net = await startPracticeNetwork({ dataDir, blockTimeMs: 200, parties: ['chain'] });
  chain = new ChainClient(net.endpoints.chain);
  alice = pairFromSuri('//ValidatorRestartAlice', 'ed25519');
  const cold = pairFromSuri('//ValidatorRestartCold', 'sr25519');
  const reg = await chain.sendTx('register_hotkey', { competition_id: COMPETITION, hotkey: alice.address, coldkey: cold.address }, alice);
  expect((await chain.waitForTx(reg.tx_id)).state).toBe('included');
});

afterAll(async () => {
  for (const r of held) r.destroy();
  await net?.stop();
  if (files) await closeServer(files);
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitForPhase(phase: 'commit' | 'submit', left: number): Promise<void> {
  for (;;) {
    const r = await chain.call('chain_getRound', { competition_id: COMPETITION });
    if (r.phase === phase && r.blocks_left_in_phase >= left) return;
    await net.chain!.waitForBlock(r.phase === 'commit' ? r.submit_start : r.next_round_start);
  }
}

it('resumes a pending submission after a restart and judges it once', async () => {
  await waitForPhase('commit', 6);
  const commit = await chain.sendTx('commit_hash', { competition_id: COMPETITION, hotkey: alice.address, expert_group: '0', hash: SHA }, alice);
  expect((await chain.waitForTx(commit.tx_id)).state).toBe('included');
  await waitForPhase('submit', 12);

  const first = new ValidatorNode({ dataDir, chainUrl: net.endpoints.chain, settleIntervalMs: 60_000 });
  const firstUrl = await first.start();
  const message = signCheckpoint(alice, { expert_group: '0', checkpoint_url: `${filesUrl}/ckpt`, block_number: net.chain!.blockNumber });
  const res = await fetch(`${firstUrl}/submit`, { method: 'POST', body: JSON.stringify(message) });
  expect(res.status).toBe(202);
  const { submission_id: id } = (await res.json()) as { submission_id: string };
  await firstRequestSeen;
  expect(first.view(id)).toMatchObject({ status: 'pending', stage: 'downloading' });
  await first.stop();

  const second = new ValidatorNode({ dataDir, chainUrl: net.endpoints.chain, settleIntervalMs: 60_000 });
  const secondUrl = await second.start();
  try {
    const verdict = await second.waitForVerdict(id);
    expect(verdict).toMatchObject({ status: 'rejected', reason: 'INVALID_CHECKPOINT', sha256: SHA, size: BYTES.length, commitment: { hash: SHA } });
    expect(requests).toBe(2);
    const listed = submissionListSchema.parse(await (await fetch(`${secondUrl}/v1/competitions/${COMPETITION}/submissions?hotkey=${alice.address}`)).json());
    expect(listed.submissions.map((s) => [s.submission_id, s.status])).toEqual([[id, 'rejected']]);
    const none = submissionListSchema.parse(await (await fetch(`${secondUrl}/v1/competitions/${COMPETITION}/submissions?hotkey=${alice.address}&round=${verdict.round + 1}`)).json());
    expect(none.submissions).toEqual([]);
  } finally {
    await second.stop();
  }
});
