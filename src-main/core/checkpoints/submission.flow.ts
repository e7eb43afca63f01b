import { rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { AppError, isAppError } from '@shared/contract/errors';
import type { CheckpointStep, CheckpointStepId } from '@shared/contract/checkpoints';
import { fromHex } from '@shared/protocol/encoding';
import { signCheckpoint, type CheckpointMessage } from '@shared/protocol/checkpoint-message';
import { TxFollower } from '../competitions/tx-follow';
import type { FlowSpec, FlowStore, FlowWait, StepContext } from '../kernel/flow-engine';
import type { ScopedLogger } from '../log/logger';
import type { CatalogueEntry, ChainRounds, KeySigner } from '../network/client';
import type { ActiveNetwork } from '../network/networks.service';
import { fetchVerdict, hashAtUrl, submitCheckpoint, uploadBlob } from '../network/validator-client';
import type { CheckpointsConfig } from './checkpoints.config';
import type { SubmissionRow } from './checkpoints.repo';
import { hashFile } from './hash-file';

/**
 * The two-phase checkpoint submission of PROTOCOLS §3 as a durable flow (kernel/flow-engine.ts),
 * one per file; a submission row is the flow's state and its `steps` say where it is:
 *
 * - hash: SHA-256 of the file, with progress.
 * - commit: in a commit phase only (it waits on the chain for the next one); the transaction id
 *   is stored before anything waits on it, so a restart follows it and never commits twice; a
 *   commitment the chain refused or lost is sent again.
 * - publish: the validator's blob store (uploaded, re-hashed as sent), or the miner's own URL
 *   (fetched and compared with the commitment).
 * - submit: in the submission phase (it waits for it), signed with the current block; signed
 *   again when the validator says the block window passed.
 * - verdict: asked until the validator has judged; a browser upload is removed then.
 *
 * The engine does the retrying with backoff (the row says `waiting`, with the reason), the wait
 * for the wallet's unlock, and the resume after a restart.
 */
export const SUBMISSION_FLOW = 'checkpoints.submission';

export const STEPS: { id: CheckpointStepId; label: string }[] = [
  { id: 'hash', label: 'Hash the checkpoint (SHA-256)' },
  { id: 'commit', label: 'Commit the hash on the chain' },
  { id: 'publish', label: 'Publish the file' },
  { id: 'submit', label: 'Submit the signed message' },
  { id: 'verdict', label: 'Wait for the validator’s verdict' },
];

/** Reason codes of PROTOCOLS §3 in a miner's words. */
export const VERDICT_WORDS: Record<string, string> = {
  UNKNOWN_HOTKEY: 'The validator does not know your hotkey: join the competition again so it is registered.',
  BLOCK_WINDOW: 'Your signed message was too old when it arrived; Minerva signs again with a fresh block.',
  SIGNATURE_INVALID: 'The validator could not verify your signature.',
  DOWNLOAD_FAILED: 'The validator could not download the file you published.',
  TOO_LARGE: 'The file you published is larger than the validator accepts.',
  NO_COMMITMENT: 'There was no commitment of this hash in the round’s commit phase.',
  HASH_MISMATCH: 'The file you published is not the one you committed.',
  INVALID_CHECKPOINT: 'The validator could not read your checkpoint: it is not in this competition’s checkpoint format.',
  DUPLICATE: 'You already have an accepted submission in this round.',
};

export interface SubmissionFlowDeps {
  store: FlowStore<SubmissionRow>;
  log: ScopedLogger;
  config: CheckpointsConfig;
  activeNetwork: () => Promise<ActiveNetwork>;
  entry: (competitionId: string) => Promise<{ entry: CatalogueEntry }>;
  clientFor: (network: ActiveNetwork) => ChainRounds;
  /** The checkpoint key for a competition (throws VAULT_MISSING or VAULT_LOCKED). */
  signer: (entry: CatalogueEntry) => KeySigner;
  now: () => Date;
  /** Where uploads from the browser land (`<data dir>/uploads`): removed once judged. */
  uploadsDir?: string | undefined;
}

type Ctx = StepContext<SubmissionRow>;
type Outcome = Promise<Partial<SubmissionRow> | FlowWait<SubmissionRow>>;
interface Ready {
  entry: CatalogueEntry;
  client: ChainRounds;
  hotkey: KeySigner;
}

const withStep = (row: SubmissionRow, id: CheckpointStepId, patch: Partial<CheckpointStep>): CheckpointStep[] => row.steps.map((s) => (s.id === id ? { ...s, ...patch } : s));

/**
 * Longer than ~80 lines on purpose: it is the flow's step functions (each well under 40 lines) as
 * closures over `deps`, followed by the spec that names them; split up, one flow would be spread
 * over several files with the same deps passed to each.
 */
export function submissionFlow(deps: SubmissionFlowDeps): FlowSpec<SubmissionRow, CheckpointStepId> {
  const commits = new TxFollower(() => deps.config.txTimeoutMs, 'commitment');
  const show = (ctx: Ctx, row: SubmissionRow, id: CheckpointStepId, patch: Partial<CheckpointStep>): SubmissionRow => ctx.save({ steps: withStep(row, id, patch) });
  const later = (ctx: Ctx, ms: number): Date => new Date(ctx.now().getTime() + ms);

  /** What every step needs, or a wait while another network is selected (it resumes when it is again). */
  async function prepare(row: SubmissionRow, ctx: Ctx): Promise<Ready | FlowWait<SubmissionRow>> {
    const network = await deps.activeNetwork();
    if (network.id !== row.networkId) return ctx.wait(later(ctx, 60_000), `Waits until the network ${row.networkId} is selected again.`);
    // Looked at again after a restart or a fault: it runs now, the old reason no longer holds.
    if (row.state === 'waiting') ctx.save({ state: 'running', errorCode: null, errorMessage: null });
    const { entry } = await deps.entry(row.competitionId);
    const hotkey = deps.signer(entry);
    if (hotkey.address !== row.hotkey) throw new AppError('CONFLICT', 'Your checkpoint key changed since this submission started. Start a new submission.', { details: { permanent: true } });
    return { entry, client: deps.clientFor(network), hotkey };
  }

  /**
   * Waits on the chain (its long-poll wakes at the block the phase opens at, at most
   * `phaseWaitMs`), then asks the engine to run the step again, which looks at the round anew.
   */
  async function untilBlock(ctx: Ctx, row: SubmissionRow, client: ChainRounds, block: number, words: string): Outcome {
    show(ctx, row, ctx.step as CheckpointStepId, { state: 'active', detail: words, progress: null });
    await untilAborted(client.waitForBlock(block, deps.config.phaseWaitMs).catch(() => undefined), ctx.signal);
    return ctx.wait(ctx.now(), words);
  }

  async function hash(row: SubmissionRow, ctx: Ctx): Outcome {
    const ready = await prepare(row, ctx);
    if (!('entry' in ready)) return ready;
    row = show(ctx, row, 'hash', { state: 'active', detail: 'Reading the file…', progress: 0 });
    const result = await hashFile(row.filePath, (done, total) => {
      if (!ctx.signal.aborted) row = show(ctx, row, 'hash', { progress: total > 0 ? done / total : 1, detail: `${mib(done)} of ${mib(total)}` });
    }, undefined, ctx.signal);
    return {
      sha256: result.sha256,
      fileSize: result.size,
      fileMtimeMs: result.mtimeMs,
      steps: withStep(row, 'hash', { state: 'done', progress: 1, detail: `sha256 ${result.sha256.slice(0, 16)}… (${mib(result.size)})` }),
    };
  }

  async function commit(row: SubmissionRow, ctx: Ctx): Outcome {
    const ready = await prepare(row, ctx);
    if (!('entry' in ready)) return ready;
    const { client, hotkey } = ready;
    await assertUnchanged(row);
    if (!row.commitTx) {
      // Commit only inside a commit phase (the chain refuses outside it), not in its last block.
      const r = await client.round(row.competitionId);
      if (r.phase !== 'commit' || r.blocksLeft <= 1) return untilBlock(ctx, row, client, r.nextRoundStart, `Waiting for the next commit phase (${r.nextRoundStart - r.block} blocks).`);
      row = show(ctx, row, 'commit', { state: 'active', detail: 'Sending commit_hash…' });
      const { txId } = await client.commitHash(row.competitionId, hotkey, row.expertGroup, row.sha256 as string);
      // Stored before waiting: a restart follows this transaction and never commits twice.
      row = ctx.save({ commitTx: txId, steps: withStep(row, 'commit', { state: 'active', detail: 'Waiting for the chain to include your commitment…' }) });
    }
    const tx = await commits.check(client, row.commitTx as string);
    if (tx.state === 'pending') return ctx.wait(later(ctx, deps.config.txPollMs), 'Waiting for the chain to include your commitment…');
    if (tx.state !== 'included') {
      ctx.save({ commitTx: null }); // nothing was committed: the next attempt commits again
      throw new AppError('UNAVAILABLE', `The chain did not take the commitment (${tx.state === 'failed' ? tx.reason : 'the chain lost the transaction'}).`);
    }
    return committed(row, client);
  }

  /** The commitment belongs to the round it was included in: this one, or the one before if a round boundary passed while waiting. */
  async function committed(row: SubmissionRow, client: ChainRounds): Outcome {
    let round = (await client.round(row.competitionId)).round;
    let record = await client.commitment(row.competitionId, row.hotkey, row.expertGroup, round);
    if (!record && round > 0) record = await client.commitment(row.competitionId, row.hotkey, row.expertGroup, (round -= 1));
    if (!record || record.hash !== row.sha256) throw new AppError('CONFLICT', 'The chain’s commitment does not hold this file’s hash.', { details: { permanent: true } });
    deps.log.info('checkpoint committed', { id: row.id, competition: row.competitionId, hash: row.sha256, block: record.block, round });
    return { commitBlock: record.block, commitRound: round, steps: withStep(row, 'commit', { state: 'done', detail: `Committed at block ${record.block} (round ${round}).` }) };
  }

  async function publish(row: SubmissionRow, ctx: Ctx): Outcome {
    const ready = await prepare(row, ctx);
    if (!('entry' in ready)) return ready;
    const { entry, hotkey } = ready;
    await assertUnchanged(row);
    const own = row.publishUrl;
    if (own) {
      // The miner's own storage: fetch what the validator will fetch and compare with the commitment.
      row = show(ctx, row, 'publish', { state: 'active', detail: `Checking ${own}…`, progress: null });
      const found = await hashAtUrl(own, row.fileSize ?? 0);
      if (found.sha256 !== row.sha256) {
        throw new AppError('CONFLICT', `The file at ${own} is not the one you committed (its SHA-256 differs). Upload the committed file there, then press Retry.`, { details: { permanent: true } });
      }
      return { steps: withStep(row, 'publish', { state: 'done', detail: `Published at ${own} (re-hashed: matches the commitment).` }) };
    }
    const validator = entry.endpoints.validator;
    if (!validator) throw new AppError('UNAVAILABLE', 'This network’s validator is not running yet, so the file cannot be published.');
    row = show(ctx, row, 'publish', { state: 'active', detail: 'Uploading…', progress: 0 });
    const file = { path: row.filePath, size: row.fileSize ?? 0, sha256: row.sha256 as string };
    const stored = await uploadBlob(validator, entry, hotkey, file, (sent, total) => {
      if (!ctx.signal.aborted) row = show(ctx, row, 'publish', { progress: total > 0 ? sent / total : 1, detail: `${mib(sent)} of ${mib(total)}` });
    }, deps.now);
    return { publishUrl: stored.url, steps: withStep(row, 'publish', { state: 'done', progress: 1, detail: `Published at ${stored.url} (re-hashed: matches the commitment).` }) };
  }

  async function submit(row: SubmissionRow, ctx: Ctx): Outcome {
    const ready = await prepare(row, ctx);
    if (!('entry' in ready)) return ready;
    const { entry, client, hotkey } = ready;
    const r = await client.round(row.competitionId);
    if (r.round > (row.commitRound ?? r.round)) throw new AppError('CONFLICT', 'The round ended before the checkpoint could be submitted. Start a new submission in the next round.', { details: { permanent: true } });
    if (r.phase !== 'submit') return untilBlock(ctx, row, client, r.submitStart, `Waiting for the submission phase (${r.blocksLeft} blocks).`);
    const message: CheckpointMessage = signCheckpoint(
      { scheme: hotkey.scheme, address: hotkey.address, publicKey: fromHex(hotkey.publicKeyHex, 'public key'), sign: (m) => hotkey.sign(m) },
      { expert_group: row.expertGroup, checkpoint_url: row.publishUrl as string, block_number: r.block },
      { scheme: hotkey.scheme, padded: entry.paddedSignature },
    );
    row = show(ctx, row, 'submit', { state: 'active', detail: `Submitting (signed at block ${r.block})…` });
    let submissionId: string;
    try {
      ({ submissionId } = await submitCheckpoint(entry.endpoints.validator as string, message));
    } catch (error) {
      // The window passed while sending: the step runs again and signs with a fresh block.
      if (isAppError(error) && error.details?.networkCode === 'BLOCK_WINDOW') return ctx.wait(ctx.now(), VERDICT_WORDS.BLOCK_WINDOW as string);
      throw error;
    }
    deps.log.info('checkpoint submitted', { id: row.id, submission: submissionId, block: r.block });
    return { submissionId, submitBlock: r.block, submitMessage: { ...message }, steps: withStep(row, 'submit', { state: 'done', detail: `Submission ${submissionId.slice(0, 8)}… accepted for judging.` }) };
  }

  async function verdict(row: SubmissionRow, ctx: Ctx): Outcome {
    const ready = await prepare(row, ctx);
    if (!('entry' in ready)) return ready;
    const v = await fetchVerdict(ready.entry.endpoints.validator as string, row.submissionId as string);
    if (v.status === 'pending') return ctx.wait(later(ctx, deps.config.verdictPollMs), 'The validator is checking and scoring your checkpoint…');
    const words =
      v.status === 'accepted'
        ? `Accepted: held-out loss ${v.loss?.toFixed(3) ?? '—'}, score ${v.score?.toFixed(3) ?? '—'}${v.reward ? `, reward ${v.reward}` : '; the reward is paid at the end of the epoch'}.`
        : (VERDICT_WORDS[v.reason ?? ''] ?? `Rejected: ${v.reason ?? 'no reason given'}.`);
    deps.log.info('checkpoint verdict', { id: row.id, status: v.status, reason: v.reason, score: v.score });
    removeUpload(row);
    const accepted = v.status === 'accepted';
    return {
      verdict: { status: v.status, reason: v.reason, score: v.score, words },
      state: accepted ? 'accepted' : 'rejected',
      steps: withStep(row, 'verdict', { state: accepted ? 'done' : 'failed', detail: accepted ? 'Accepted.' : `Rejected (${v.reason ?? 'no reason'}).` }),
    };
  }

  /** A browser upload is only needed until the verdict: the receipt keeps its hash. */
  function removeUpload(row: SubmissionRow): void {
    const uploads = deps.uploadsDir;
    if (!uploads) return;
    const rel = relative(uploads, row.filePath);
    if (rel.startsWith('..') || isAbsolute(rel) || !rel.includes(sep)) return;
    rmSync(join(uploads, rel.split(sep)[0] as string), { recursive: true, force: true });
    deps.log.info('removed the uploaded copy of a judged checkpoint', { id: row.id });
  }

  const onCurrent = (row: SubmissionRow, patch: Partial<CheckpointStep>): CheckpointStep[] => {
    const id = stepOf(row);
    return id === null ? row.steps : withStep(row, id, patch);
  };

  return {
    kind: SUBMISSION_FLOW,
    store: deps.store,
    idOf: (row) => row.id,
    stepOf,
    steps: { hash, commit, publish, submit, verdict },
    retry: { baseMs: deps.config.backoffBaseMs, maxMs: deps.config.backoffMaxMs, maxAttempts: deps.config.maxAttempts },
    record: {
      failed: (row, error) => {
        const message = isAppError(error) ? error.message : 'Something went wrong inside Minerva. The log has the details; press Retry.';
        deps.log.warn('checkpoint step failed', { id: row.id, step: stepOf(row), code: isAppError(error) ? error.code : 'INTERNAL' });
        return { state: 'failed', errorCode: isAppError(error) ? error.code : 'INTERNAL', errorMessage: message, steps: onCurrent(row, { state: 'failed', detail: message, progress: null }) };
      },
      retrying: (row, { error, retryAt }) => {
        const message = isAppError(error) ? error.message : 'Something went wrong inside Minerva.';
        const seconds = Math.max(1, Math.round((retryAt.getTime() - deps.now().getTime()) / 1000));
        return { state: 'waiting', errorCode: isAppError(error) ? error.code : 'INTERNAL', errorMessage: message, steps: onCurrent(row, { detail: `${message} Trying again in ${seconds} s.` }) };
      },
      // Paused, not failed, and not an attempt: it resumes when the wallet is unlocked.
      waitingUnlock: (row) => ({ state: 'waiting', errorCode: 'VAULT_LOCKED', errorMessage: 'Unlock your wallet to submit checkpoints.', steps: onCurrent(row, { detail: 'Waiting for you to unlock your wallet.' }) }),
      waiting: (row, wait) => ({ steps: onCurrent(row, { state: 'active', detail: wait.detail }) }),
      resumed: () => ({ state: 'running', errorCode: null, errorMessage: null }),
    },
  };
}

/** The step a submission is at: its first step not done, while it runs or waits. */
export function stepOf(row: SubmissionRow): CheckpointStepId | null {
  if (row.state !== 'running' && row.state !== 'waiting') return null;
  return row.steps.find((s) => s.state !== 'done' && s.state !== 'skipped')?.id ?? null;
}

/** Resumed: the file must still be the one that was hashed (and committed). */
async function assertUnchanged(row: SubmissionRow): Promise<void> {
  const info = await stat(row.filePath).catch(() => null);
  if (!info || info.size !== row.fileSize || info.mtimeMs !== row.fileMtimeMs) {
    throw new AppError('CONFLICT', `${basename(row.filePath)} changed or disappeared since it was hashed. Start a new submission with the file as it is now.`, { details: { permanent: true } });
  }
}

/** Resolves with `work`'s value, or with undefined as soon as `signal` aborts (the work is left to finish on its own). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}

export function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
