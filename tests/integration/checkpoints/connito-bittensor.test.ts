import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import type { CheckpointSubmissionView, ReceiptVerification } from '@shared/contract/checkpoints';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { NetworksView } from '@shared/contract/networks';
import type { RegisterQuote } from '@shared/contract/bittensor';
import { startChopsticks, TAO, type ChopsticksChain } from '../../helpers/chopsticks';
import { CLI, tempDataDir } from '../../helpers/serve-process';
import { trainedCheckpoint } from '../../helpers/trained-checkpoint';
import { startConnitoReceiver, type ConnitoReceiver } from '../../helpers/connito-receiver';

/**
 * Connito on Bittensor (issue 14 part 3) against the real subtensor runtime (spec 218, chopsticks
 * on loopback, fresh keys): a Bittensor profile configured with a Connito competition on subnet 1;
 * the app registers its hotkey by burn, "joins" (= registered), and a checkpoint runs the whole
 * flow: `set_commitment` on the subnet in the commit phase, then the §3 message signed sr25519
 * (unpadded b64url) posted to a validator's `/submit` in the submission phase. The receipt names
 * the commitment's block and checks out against `CommitmentOf`; a tampered one does not.
 *
 * The validator here is tests/helpers/connito-receiver.ts, written from PROTOCOLS §3 alone (not
 * from the app's code). The practice validator has no Bittensor mode yet: docs/networks.md.
 */
let chain: ChopsticksChain;
let api: ApiPromise;
let core: Core | undefined;
let receiverUrl = '';
let dataDir = '';
let producing: NodeJS.Timeout | undefined;
const file = trainedCheckpoint();
const fileSha = createHash('sha256').update(file).digest('hex');
const KDF = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 } as const;
const NETUID = 1;
type CommitmentsQuery = { commitmentOf(netuid: number, hotkey: string): Promise<unknown> };
let rx: ConnitoReceiver;

beforeAll(async () => {
  await cryptoWaitReady();
  chain = await startChopsticks();
  api = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
  dataDir = tempDataDir('minerva-connito-bt-');
  rx = await startConnitoReceiver(chain.url, NETUID, file, fileSha);
  receiverUrl = rx.url;
}, 180_000);

afterAll(async () => {
  clearInterval(producing);
  await core?.close();
  await api?.disconnect();
  await rx?.close();
  await chain?.stop();
});

async function call<T>(method: string, input: unknown): Promise<T> {
  const reply = await (core as Core).router.call(method, input, { transport: 'test', clientId: 'connito-bt' });
  if (!reply.ok) throw Object.assign(new Error(`${method}: ${reply.error.code} ${reply.error.message}`), { code: reply.error.code });
  return reply.result as T;
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 150_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`${what}: gave up; last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('Connito checkpoints on the spec-218 runtime', () => {
  it('commits with set_commitment, submits a §3 message signed sr25519 (unpadded), and the receipt checks out against CommitmentOf', async () => {
    const phrase = mnemonicGenerate(12);
    const coldkey = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(phrase).address;
    await chain.fund({ [coldkey]: 3n * TAO });
    core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false });
    (core.vault.service as unknown as { kdf: unknown }).kdf = KDF;
    await call('vault.import', { password: 'orbit-lantern-walnut-cascade', source: { kind: 'mnemonic', phrase } });

    let view = await call<NetworksView>('networks.add', { kind: 'bittensor', preset: 'custom', endpoint: chain.url, name: 'Local subtensor' });
    const id = view.profiles[1]?.id ?? '';
    expect(view.profiles[1]?.settings).toEqual({ actionPrefix: 'base-upload-v1', connito: null, platform: null });
    await call('networks.select', { id });
    // Not a Bittensor network's setting: refused in words.
    await expect(call('networks.configure', { id: 'practice', actionPrefix: 'platform-upload-v1' })).rejects.toThrow(/NOT_FOUND|not a Bittensor network/);
    await expect(call('networks.configure', { id, connito: { netuid: NETUID, validatorUrl: receiverUrl, roundBlocks: 20, commitBlocks: 19 } })).rejects.toThrow(/VALIDATION .*at least two blocks of the round for submissions/);
    view = await call<NetworksView>('networks.configure', { id, connito: { netuid: NETUID, validatorUrl: receiverUrl, roundBlocks: 24, commitBlocks: 12 } });
    expect(view.profiles[1]?.settings?.connito).toEqual({ netuid: NETUID, validatorUrl: receiverUrl, roundBlocks: 24, commitBlocks: 12 });

    // The catalogue lists the Connito competition with the public profile: sr25519, unpadded, base-upload-v1.
    const listed = await call<CompetitionsView>('competitions.list', { refresh: true });
    expect(listed.competitions.map((c) => ({ id: c.id, kind: c.kind, title: c.title }))).toEqual([{ id: 'connito-sn1', kind: 'checkpoint', title: 'Connito checkpoints (subnet 1)' }]);

    // Joining before the hotkey is registered on the subnet says where to register, in words.
    await call('competitions.join', { id: 'connito-sn1' });
    const refused = await until('join refused', () => call<CompetitionsView>('competitions.list', {}), (v) => v.competitions[0]?.membership?.state === 'failed');
    expect(refused.competitions[0]?.membership?.error?.message).toMatch(/Register your hotkey on subnet 1 first: Settings → Bittensor/);

    const quote = await call<RegisterQuote>('bittensor.quoteRegister', { netuid: NETUID });
    await call('bittensor.register', { netuid: NETUID, maxBurn: quote.burn });
    await call('competitions.join', { id: 'connito-sn1' });
    const joined = await until('joined', () => call<CompetitionsView>('competitions.list', {}), (v) => v.competitions[0]?.membership?.state === 'joined');
    expect(joined.competitions[0]?.membership?.hotkey).toBe(quote.hotkey);

    // The chain makes blocks as a live chain would (chopsticks builds one on demand).
    producing = setInterval(() => void chain.newBlocks(1).catch(() => undefined), 400);
    const ckpt = join(tempDataDir('minerva-connito-files-'), 'model.ckpt');
    writeFileSync(ckpt, file);
    // No blob store on Bittensor: the miner's own address is needed, and said so before anything runs.
    await expect(call('checkpoints.submitFile', { competitionId: 'connito-sn1', path: ckpt, expertGroup: '3', confirmPublish: true })).rejects.toThrow(/VALIDATION On a Bittensor network there is no blob store/);
    const started = await call<CheckpointSubmissionView>('checkpoints.submitFile', { competitionId: 'connito-sn1', path: ckpt, expertGroup: '3', publishUrl: `${receiverUrl}/files/model.ckpt`, confirmPublish: true });
    const final = await until(
      'accepted',
      async () => (await call<{ submissions: CheckpointSubmissionView[] }>('checkpoints.list', {})).submissions.find((s) => s.id === started.id),
      (s) => s?.state === 'accepted' || s?.state === 'failed' || s?.state === 'rejected',
    );
    clearInterval(producing);
    expect(final?.state, JSON.stringify(final?.steps)).toBe('accepted');
    expect(rx.received.filter((r) => r.problems.length > 0)).toEqual([]);
    expect(rx.received).toHaveLength(1);
    const message = rx.received[0]?.body as { hotkey: string; expert_group: string; block_number: number; checkpoint_url: string };
    expect(message).toMatchObject({ hotkey: quote.hotkey, expert_group: '3', checkpoint_url: `${receiverUrl}/files/model.ckpt` });

    // The commitment on chain is the file's hash at the block the receipt names.
    const onChain = (await (api.query.commitments as unknown as CommitmentsQuery).commitmentOf(NETUID, quote.hotkey)) as { unwrap(): { block: { toNumber(): number } } };
    const commitBlock = onChain.unwrap().block.toNumber();
    expect(final?.commit?.block).toBe(commitBlock);
    expect(commitBlock % 24).toBeLessThan(12); // in a commit phase
    expect(message.block_number % 24).toBeGreaterThanOrEqual(12); // in the submission phase that followed
    expect(Math.floor(message.block_number / 24)).toBe(Math.floor(commitBlock / 24));

    const { content, fileName } = await call<{ content: string; fileName: string }>('checkpoints.exportReceipt', { id: started.id });
    const receipt = JSON.parse(content) as { chain: unknown; commit: { block: number }; file: { sha256: string } };
    expect(receipt.chain).toEqual({ kind: 'bittensor', netuid: NETUID, genesis_hash: view.profiles[1]?.chain?.genesisHash, round_blocks: 24, commit_blocks: 12 });
    expect(receipt.commit.block).toBe(commitBlock);
    const verified = await call<ReceiptVerification>('checkpoints.verifyReceipt', { content });
    expect(verified.checks.map((c) => [c.name, c.ok])).toEqual([
      ['commitment', true],
      ['signature', true],
      ['timing', true],
      ['url', true],
    ]);
    expect(verified).toMatchObject({ valid: true, summary: 'The receipt checks out against Local subtensor (subnet 1).' });
    expect(verified.checks[0]?.detail).toBe(`CommitmentOf on subnet 1 holds hash ${fileSha.slice(0, 16)}… committed at block ${commitBlock}`);

    // Tampered: another file's hash, or another block → not verified, and why.
    const otherHash = JSON.stringify({ ...receipt, file: { ...receipt.file, sha256: 'ab'.repeat(32) } });
    const bad = await call<ReceiptVerification>('checkpoints.verifyReceipt', { content: otherHash });
    expect(bad.valid).toBe(false);
    expect(bad.checks[0]?.detail).toMatch(/^the chain holds hash [0-9a-f]{16}… at block \d+, not the receipt's abababab/);
    const otherBlock = JSON.stringify({ ...receipt, commit: { ...receipt.commit, block: commitBlock - 1 } });
    const moved = (await call<ReceiptVerification>('checkpoints.verifyReceipt', { content: otherBlock })).checks[0];
    expect(moved?.ok).toBe(false);
    expect(moved?.detail).toMatch(/later commitment of this hotkey/);

    // The same receipt from a terminal, against the node (no app needed).
    const receiptFile = join(dataDir, '..', fileName);
    writeFileSync(receiptFile, content);
    const cli = spawnSync(process.execPath, [CLI, 'checkpoint', 'verify-receipt', receiptFile, '--chain', chain.url, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(cli.status, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as ReceiptVerification).valid).toBe(true);

    // Platform's prefix is a profile setting too: the catalogue entry signs actions with it.
    view = await call<NetworksView>('networks.configure', { id, actionPrefix: 'platform-upload-v1' });
    expect(view.profiles[1]?.settings).toMatchObject({ actionPrefix: 'platform-upload-v1', connito: { netuid: NETUID } });
  }, 300_000);
});
