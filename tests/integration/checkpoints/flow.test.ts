import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointSubmissionView, PublishPreview } from '@shared/contract/checkpoints';
import type { CompetitionsView } from '@shared/contract/competitions';
import { createCore, type Core } from '@core/create-core';
import type { PracticeNetworkHost } from '@core/network/practice';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { call, waitFor } from '../../helpers/core-calls';
import { tempDataDir } from '../../helpers/serve-process';
import { trainedCheckpoint } from '../../helpers/trained-checkpoint';

/** The checkpoint flow against the real practice chain: hash, then commit in the commit phase. */
const PASSWORD = 'correct horse battery staple 42';
const cores: Core[] = [];
let network: PracticeNetwork | undefined;

afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await network?.stop();
  network = undefined;
});

async function chainRpc<T>(method: string, params: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${network?.endpoints.chain}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return ((await res.json()) as { result: T }).result;
}

function open(dataDir: string): Core {
  const host: PracticeNetworkHost = {
    start: () => Promise.resolve({ endpoints: { chain: network?.endpoints.chain ?? '', hub: network?.endpoints.hub ?? '' }, attached: true }),
    stop: () => Promise.resolve(),
  };
  const core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: process.env.DEBUG_CKPT ? (l) => process.stdout.write(l) : false, practiceHost: host });
  cores.push(core);
  return core;
}

describe('checkpoint flow on the practice chain', () => {
  it('hashes with progress, commits once in a commit phase, and a restart mid-commit follows the same transaction', async () => {
    const dataDir = tempDataDir('minerva-ckpt-');
    network = await startPracticeNetwork({ dataDir, parties: ['chain', 'hub'], blockTimeMs: 150 });
    let core = open(dataDir);
    await call(core, 'vault.create', { password: PASSWORD });
    const view = await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
    const competition = view.competitions.find((c) => c.kind === 'checkpoint')?.id ?? '';
    await call(core, 'competitions.join', { id: competition });
    await waitFor<CompetitionsView>(core, 'competitions.changed', (v) => v.competitions.find((c) => c.id === competition)?.membership?.state === 'joined');

    // Outside the data folder: Minerva never publishes files from inside it (publishable.ts).
    const file = join(tempDataDir('minerva-ckpt-files-'), 'model.ckpt');
    writeFileSync(file, randomBytes(3 * 1024 * 1024));
    const progress: number[] = [];
    const offProgress = core.events.onAny((m) => {
      const p = (m.payload as CheckpointSubmissionView).steps?.find((s) => s.id === 'hash')?.progress;
      if (m.event === 'checkpoints.changed' && typeof p === 'number') progress.push(p);
    });
    const started = await call<CheckpointSubmissionView>(core, 'checkpoints.submitFile', { competitionId: competition, path: file, confirmPublish: true });
    // Stop the app as soon as the commitment is sent, before the chain includes it.
    const sent = await waitFor<CheckpointSubmissionView>(core, 'checkpoints.changed', (v) => v.id === started.id && v.commit !== null);
    offProgress();
    expect(progress.at(-1)).toBe(1);
    expect(sent.sha256).toMatch(/^[0-9a-f]{64}$/);
    await core.close();
    cores.splice(0);

    core = open(dataDir);
    const resumed = waitFor<CheckpointSubmissionView>(core, 'checkpoints.changed', (v) => v.id === started.id && v.steps[1]?.state === 'done');
    // A fresh start has a locked wallet: the flow waits for the unlock, then follows the same transaction.
    await call(core, 'vault.unlock', { password: PASSWORD });
    const committed = await resumed;
    expect(committed.commit?.txId).toBe(sent.commit?.txId);
    const { commitments } = await chainRpc<{ commitments: { hash: string; tx_id: string }[] }>('chain_listCommitments', { competition_id: competition, hotkey: committed.hotkey });
    expect(commitments).toHaveLength(1);
    expect(commitments[0]?.hash).toBe(sent.sha256);
    // Without a validator the file cannot be published yet, and the flow says so while it waits.
    const waiting = await waitFor<CheckpointSubmissionView>(core, 'checkpoints.changed', (v) => v.id === started.id && v.state === 'waiting');
    expect(waiting.error?.message).toMatch(/validator is not running yet/);
    const receipt = JSON.parse((await call<{ content: string }>(core, 'checkpoints.exportReceipt', { id: started.id })).content) as { file: { sha256: string }; commit: { tx_id: string } };
    expect(receipt.file.sha256).toBe(sent.sha256);
    expect(receipt.commit.tx_id).toBe(sent.commit?.txId);
  });

  it('publishes nothing to a network before the miner has seen what goes public and said yes, then remembers the yes', async () => {
    const dataDir = tempDataDir('minerva-ckpt-consent-');
    network = await startPracticeNetwork({ dataDir, parties: ['chain', 'hub'], blockTimeMs: 150 });
    let core = open(dataDir);
    await call(core, 'vault.create', { password: PASSWORD });
    await call(core, 'competitions.list', { refresh: true });
    await call(core, 'competitions.join', { id: 'practice-checkpoint' });
    await waitFor<CompetitionsView>(core, 'competitions.changed', (v) => v.competitions.find((c) => c.id === 'practice-checkpoint')?.membership?.state === 'joined');
    const bytes = trainedCheckpoint();
    const file = join(tempDataDir('minerva-ckpt-files-'), 'first.ckpt');
    writeFileSync(file, bytes);

    await expect(call(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: file })).rejects.toThrow(/^checkpoints.submitFile: PUBLISH_NOT_CONFIRMED Nothing was published/);
    expect((await call<{ submissions: unknown[] }>(core, 'checkpoints.list')).submissions).toEqual([]);
    // What the miner is shown: the name, the size and the SHA-256 of exactly these bytes.
    const preview = await call<PublishPreview>(core, 'checkpoints.previewPublish', { competitionId: 'practice-checkpoint', path: file });
    expect(preview).toEqual({ networkId: 'practice', confirmed: false, file: { name: 'first.ckpt', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } });
    // A private file is refused by the preview too, before anything is read.
    await expect(call(core, 'checkpoints.previewPublish', { competitionId: 'practice-checkpoint', path: join(dataDir, 'vault.json') })).rejects.toThrow(/FORBIDDEN/);

    await call<CheckpointSubmissionView>(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: file, expertGroup: 'a', confirmPublish: true });
    expect((await call<PublishPreview>(core, 'checkpoints.previewPublish', { competitionId: 'practice-checkpoint', path: file })).confirmed).toBe(true);
    // Kept across a restart: the next submissions to this network are not asked again.
    await core.close();
    cores.splice(0);
    core = open(dataDir);
    await call(core, 'vault.unlock', { password: PASSWORD });
    const second = await call<CheckpointSubmissionView>(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: file, expertGroup: 'b' });
    expect(second.expertGroup).toBe('b');
    expect((await call<{ submissions: unknown[] }>(core, 'checkpoints.list')).submissions).toHaveLength(2);
  });

  it('refuses a submission before joining, or for a file that is not there', async () => {
    const dataDir = tempDataDir('minerva-ckpt-refuse-');
    network = await startPracticeNetwork({ dataDir, parties: ['chain', 'hub'], blockTimeMs: 150 });
    const core = open(dataDir);
    await call(core, 'vault.create', { password: PASSWORD });
    await call(core, 'competitions.list', { refresh: true });
    // A real file outside the data folder (one inside it, or none, is refused before anything else).
    const file = join(tempDataDir('minerva-ckpt-files-'), 'x.ckpt');
    writeFileSync(file, trainedCheckpoint());
    await expect(call(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: file })).rejects.toThrow(/FORBIDDEN Join .* first/);
    await expect(call(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: 'relative/x' })).rejects.toThrow(/VALIDATION/);
  });

  it('publishes at the miner’s own URL only when its bytes are the committed ones', async () => {
    const dataDir = tempDataDir('minerva-ckpt-url-');
    network = await startPracticeNetwork({ dataDir, blockTimeMs: 150 });
    const core = open(dataDir);
    await call(core, 'vault.create', { password: PASSWORD });
    await call(core, 'competitions.list', { refresh: true });
    await call(core, 'competitions.join', { id: 'practice-checkpoint' });
    await waitFor<CompetitionsView>(core, 'competitions.changed', (v) => v.competitions.find((c) => c.id === 'practice-checkpoint')?.membership?.state === 'joined');

    const good = trainedCheckpoint();
    const file = join(tempDataDir('minerva-ckpt-files-'), 'mine.ckpt');
    writeFileSync(file, good);
    // The miner's own storage: a server on 127.0.0.1 holding the right file at /good and another at /other.
    const storage = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(req.url === '/good' ? good : Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([1])]));
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
    try {
      const wrong = await call<CheckpointSubmissionView>(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: file, expertGroup: 'a', publishUrl: `${base}/other`, confirmPublish: true });
      const refused = await waitFor<CheckpointSubmissionView>(core, 'checkpoints.changed', (v) => v.id === wrong.id && v.state === 'failed');
      expect(refused.error?.message).toMatch(/is not the one you committed/);
      expect(refused.submissionId).toBeNull();

      const right = await call<CheckpointSubmissionView>(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: file, expertGroup: 'b', publishUrl: `${base}/good` });
      const accepted = await waitFor<CheckpointSubmissionView>(core, 'checkpoints.changed', (v) => v.id === right.id && (v.state === 'accepted' || v.state === 'rejected' || v.state === 'failed'), 90_000);
      expect(accepted.state, accepted.verdict?.words ?? accepted.error?.message).toBe('accepted');
      expect(accepted.publishUrl).toBe(`${base}/good`);
    } finally {
      await new Promise((r) => storage.close(r));
    }
  });
});
