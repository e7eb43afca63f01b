import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { stat } from 'node:fs/promises';
import { AppError, isAppError } from '@shared/contract/errors';
import type { CheckpointStep, CheckpointStepId, CheckpointSubmissionView, RoundView } from '@shared/contract/checkpoints';
import { fromHex } from '@shared/protocol/encoding';
import { signCheckpoint, type CheckpointMessage } from '@shared/protocol/checkpoint-message';
import type { AuditRepo } from '../db/audit.repo';
import type { Db } from '../db/open';
import type { ScopedLogger } from '../log/logger';
import type { CompetitionsApi } from '../competitions/competitions.feature';
import type { MinerKeys } from '../competitions/competitions.service';
import type { CatalogueEntry, ChainRounds, KeySigner, NetworkClient } from '../network/client';
import type { ActiveNetwork } from '../network/networks.service';
import { fetchVerdict, hashAtUrl, submitCheckpoint, uploadBlob } from '../network/validator-client';
import { CheckpointsRepo, type SubmissionRow } from './checkpoints.repo';
import { hashFile } from './hash-file';

export interface CheckpointsDeps {
  db: Db;
  audit: AuditRepo;
  log: ScopedLogger;
  activeNetwork: () => Promise<ActiveNetwork>;
  clientFor: (network: ActiveNetwork) => NetworkClient & ChainRounds;
  competitions: CompetitionsApi;
  keys: () => MinerKeys | undefined;
  now: () => Date;
  onChange: (view: CheckpointSubmissionView) => void;
  backoffMs?: (attempt: number) => number;
  verdictPollMs?: number;
  /** Where uploads from the browser land (`<data dir>/uploads`): removed once judged. */
  uploadsDir?: string;
}

const STEPS: { id: CheckpointStepId; label: string }[] = [
  { id: 'hash', label: 'Hash the checkpoint (SHA-256)' },
  { id: 'commit', label: 'Commit the hash on the chain' },
  { id: 'publish', label: 'Publish the file' },
  { id: 'submit', label: 'Submit the signed message' },
  { id: 'verdict', label: 'Wait for the validator’s verdict' },
];

const RETRYABLE = new Set(['UNAVAILABLE', 'NETWORK_ERROR', 'TIMEOUT', 'VAULT_LOCKED']);

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

/**
 * The two-phase checkpoint submission of PROTOCOLS §3, one resumable flow per file: hash → commit
 * (in the commit phase; the transaction id is stored before waiting, so a restart follows it and
 * never commits twice) → publish (re-hashed as sent) → submit (in the submission phase, re-signed
 * with a fresh block if the window passed) → verdict.
 */
export class CheckpointsService {
  private readonly repo: CheckpointsRepo;
  private readonly running = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private closed = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: CheckpointsDeps) {
    this.repo = new CheckpointsRepo(deps.db);
  }

  /** Resumes unfinished submissions; those paused by a locked wallet resume at unlock. */
  start(): void {
    for (const row of this.repo.unfinished()) this.schedule(row.id, 0);
    this.unsubscribe = this.deps.keys()?.onUnlocked(() => {
      for (const row of this.repo.unfinished()) if (row.errorCode === 'VAULT_LOCKED') this.schedule(row.id, 0);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  list(): CheckpointSubmissionView[] {
    return this.repo.list().map(toView);
  }

  async rounds(): Promise<RoundView[]> {
    try {
      const network = await this.deps.activeNetwork();
      const client = this.deps.clientFor(network);
      const joined = (await this.deps.competitions.activeMemberships()).filter((m) => m.kind === 'checkpoint' && m.state === 'joined');
      return await Promise.all(
        joined.map(async (m) => {
          const r = await client.round(m.competitionId);
          return { competitionId: m.competitionId, round: r.round, phase: r.phase, block: r.block, blocksLeft: r.blocksLeft };
        }),
      );
    } catch {
      return [];
    }
  }

  /** Refuses early what submitFile would refuse: not a checkpoint competition, not joined, no usable key. */
  async assertCanSubmit(competitionId: string): Promise<{ network: ActiveNetwork; entry: CatalogueEntry; hotkey: KeySigner }> {
    const { network, entry } = await this.deps.competitions.entry(competitionId);
    if (entry.kind !== 'checkpoint') throw new AppError('VALIDATION', `${entry.title} does not take checkpoints.`);
    const membership = (await this.deps.competitions.activeMemberships()).find((m) => m.competitionId === entry.id);
    if (membership?.state !== 'joined') throw new AppError('FORBIDDEN', `Join ${entry.title} first (Competitions page).`);
    return { network, entry, hotkey: this.signer(entry) };
  }

  async submitFile(input: { competitionId: string; path: string; expertGroup: string; publishUrl?: string | undefined }): Promise<CheckpointSubmissionView> {
    const { network, entry, hotkey } = await this.assertCanSubmit(input.competitionId);
    try {
      if (!(await stat(input.path)).isFile()) throw new Error('not a file');
    } catch {
      throw new AppError('NOT_FOUND', `There is no file at ${input.path}. Check the path and try again.`);
    }
    const at = this.deps.now().toISOString();
    const row: SubmissionRow = {
      id: randomUUID(),
      networkId: network.id,
      competitionId: entry.id,
      expertGroup: input.expertGroup,
      filePath: input.path,
      fileSize: null,
      fileMtimeMs: null,
      sha256: null,
      hotkey: hotkey.address,
      state: 'running',
      steps: STEPS.map((s) => ({ ...s, state: 'pending', detail: null, progress: null })),
      commitTx: null,
      commitBlock: null,
      commitRound: null,
      // A URL given by the miner is checked in the publish step; else the blob store is used.
      publishUrl: input.publishUrl ?? null,
      submitBlock: null,
      submitMessage: null,
      submissionId: null,
      verdict: null,
      errorCode: null,
      errorMessage: null,
      createdAt: at,
      updatedAt: at,
    };
    this.save(row);
    this.deps.audit.append({ at, actor: 'user', action: 'checkpoints.submit', detail: { id: row.id, competition: entry.id, file: basename(input.path) } });
    this.schedule(row.id, 0);
    return toView(row);
  }

  retry(id: string): CheckpointSubmissionView {
    const row = this.repo.get(id);
    if (!row || (row.state !== 'failed' && row.state !== 'waiting')) throw new AppError('NOT_FOUND', 'There is nothing to retry for this submission.');
    row.state = 'running';
    row.errorCode = null;
    row.errorMessage = null;
    row.steps = row.steps.map((s) => (s.state === 'failed' ? { ...s, state: 'pending', detail: null } : s));
    this.save(row);
    this.schedule(id, 0);
    return toView(row);
  }

  /** A JSON proof of the submission that anyone can check against the chain (`minerva checkpoint verify-receipt`). */
  receipt(id: string): { fileName: string; content: string } {
    const row = this.repo.get(id);
    if (!row) throw new AppError('NOT_FOUND', 'That submission is not in this app’s records.');
    if (!row.commitTx || !row.sha256) throw new AppError('CONFLICT', 'This submission has no commitment yet, so there is nothing to prove.');
    const receipt = {
      format: 'minerva-checkpoint-receipt',
      version: 1,
      network: row.networkId,
      competition_id: row.competitionId,
      hotkey: row.hotkey,
      expert_group: row.expertGroup,
      file: { name: basename(row.filePath), size: row.fileSize, sha256: row.sha256 },
      commit: { tx_id: row.commitTx, block: row.commitBlock, round: row.commitRound },
      checkpoint_url: row.publishUrl,
      message: row.submitMessage,
      submission_id: row.submissionId,
      verdict: row.verdict,
      exported_at: this.deps.now().toISOString(),
    };
    return { fileName: `checkpoint-receipt-${row.id}.json`, content: `${JSON.stringify(receipt, null, 2)}\n` };
  }

  // ---- the flow ----

  private signer(entry: CatalogueEntry): KeySigner {
    const keys = this.deps.keys();
    if (!keys) throw new AppError('VAULT_MISSING', 'Create or import a wallet first (Wallet & Security).');
    if (!keys.isUnlocked()) throw new AppError('VAULT_LOCKED', 'Unlock your wallet to submit checkpoints.');
    return keys.hotkey(entry.hotkeyScheme);
  }

  private save(row: SubmissionRow): void {
    row.updatedAt = this.deps.now().toISOString();
    this.repo.save(row);
    this.deps.onChange(toView(row));
  }

  private step(row: SubmissionRow, id: CheckpointStepId, patch: Partial<CheckpointStep>): void {
    row.steps = row.steps.map((s) => (s.id === id ? { ...s, ...patch } : s));
    this.save(row);
  }

  private schedule(id: string, delayMs: number): void {
    const existing = this.timers.get(id);
    if (existing) clearTimeout(existing);
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        if (this.closed || this.running.has(id)) return;
        const run = this.run(id).finally(() => this.running.delete(id));
        this.running.set(id, run);
      }, delayMs),
    );
  }

  private async run(id: string): Promise<void> {
    const row = this.repo.get(id);
    if (!row || (row.state !== 'running' && row.state !== 'waiting')) return;
    try {
      const network = await this.deps.activeNetwork();
      if (network.id !== row.networkId) return;
      const { entry } = await this.deps.competitions.entry(row.competitionId);
      const client = this.deps.clientFor(network);
      const hotkey = this.signer(entry);
      if (hotkey.address !== row.hotkey) throw new AppError('CONFLICT', 'Your checkpoint key changed since this submission started. Start a new submission.', { details: { permanent: true } });
      if (row.state === 'waiting') {
        row.state = 'running';
        this.save(row);
      }
      await this.hash(row);
      await this.commit(row, client, hotkey);
      await this.publish(row, entry, hotkey);
      await this.submit(row, entry, client, hotkey);
      await this.verdict(row, entry);
    } catch (error) {
      this.fail(row, error);
    }
  }

  private async hash(row: SubmissionRow): Promise<void> {
    const s = row.steps.find((x) => x.id === 'hash');
    if (s?.state === 'done' && row.sha256) {
      // Resumed: the file must still be the one that was hashed (and committed).
      const info = await stat(row.filePath).catch(() => null);
      if (!info || info.size !== row.fileSize || info.mtimeMs !== row.fileMtimeMs) {
        throw new AppError('CONFLICT', `${basename(row.filePath)} changed or disappeared since it was hashed. Start a new submission with the file as it is now.`, { details: { permanent: true } });
      }
      return;
    }
    this.step(row, 'hash', { state: 'active', detail: 'Reading the file…', progress: 0 });
    const result = await hashFile(row.filePath, (done, total) => {
      if (this.closed) return;
      this.step(row, 'hash', { progress: total > 0 ? done / total : 1, detail: `${mib(done)} of ${mib(total)}` });
    });
    row.sha256 = result.sha256;
    row.fileSize = result.size;
    row.fileMtimeMs = result.mtimeMs;
    this.step(row, 'hash', { state: 'done', progress: 1, detail: `sha256 ${result.sha256.slice(0, 16)}… (${mib(result.size)})` });
  }

  private async commit(row: SubmissionRow, client: ChainRounds, hotkey: KeySigner): Promise<void> {
    if (row.steps.find((x) => x.id === 'commit')?.state === 'done') return;
    const sha = row.sha256 as string;
    if (!row.commitTx) {
      // Commit only inside a commit phase (the chain refuses outside it).
      for (;;) {
        const r = await client.round(row.competitionId);
        if (r.phase === 'commit' && r.blocksLeft > 1) break;
        // Too late in this commit phase (or in a submission phase): wait for the next round.
        this.step(row, 'commit', { state: 'active', detail: `Waiting for the next commit phase (${r.nextRoundStart - r.block} blocks).`, progress: null });
        await client.waitForBlock(r.nextRoundStart, 30_000).catch(() => undefined);
        if (this.closed) throw new AppError('UNAVAILABLE', 'Minerva is stopping; the submission resumes at the next start.');
      }
      this.step(row, 'commit', { state: 'active', detail: 'Sending commit_hash…' });
      const { txId } = await client.commitHash(row.competitionId, hotkey, row.expertGroup, sha);
      row.commitTx = txId;
      this.save(row); // stored before waiting: a restart follows this transaction and never commits twice
    }
    this.step(row, 'commit', { state: 'active', detail: 'Waiting for the chain to include your commitment…' });
    for (let polls = 0; ; polls += 1) {
      if (this.closed) throw new AppError('UNAVAILABLE', 'Minerva is stopping; the commitment is followed at the next start.');
      const status = await client.txStatus(row.commitTx);
      if (status.state === 'included') break;
      if (status.state === 'failed' || status.state === 'unknown') {
        const reason = status.error?.message ?? 'the chain lost the transaction';
        row.commitTx = null; // nothing was committed: the next attempt commits again
        this.save(row);
        throw new AppError('UNAVAILABLE', `The chain did not take the commitment (${reason}).`);
      }
      if (polls > 120) throw new AppError('TIMEOUT', 'The chain has not included your commitment yet; still waiting.');
      await new Promise((r) => setTimeout(r, 250));
    }
    // The commitment belongs to the round it was included in: this one, or the one before if a
    // round boundary passed while waiting.
    const now = await client.round(row.competitionId);
    let round = now.round;
    let record = await client.commitment(row.competitionId, row.hotkey, row.expertGroup, round);
    if (!record && round > 0) record = await client.commitment(row.competitionId, row.hotkey, row.expertGroup, (round -= 1));
    if (!record || record.hash !== sha) throw new AppError('CONFLICT', 'The chain’s commitment does not hold this file’s hash.', { details: { permanent: true } });
    row.commitBlock = record.block;
    row.commitRound = round;
    this.step(row, 'commit', { state: 'done', detail: `Committed at block ${record.block} (round ${round}).` });
    this.deps.log.info('checkpoint committed', { id: row.id, competition: row.competitionId, hash: sha, block: record.block, round });
  }

  private async publish(row: SubmissionRow, entry: CatalogueEntry, hotkey: KeySigner): Promise<void> {
    if (row.steps.find((x) => x.id === 'publish')?.state === 'done' && row.publishUrl) return;
    if (row.publishUrl) {
      // The miner's own storage: fetch what the validator will fetch and compare with the commitment.
      this.step(row, 'publish', { state: 'active', detail: `Checking ${row.publishUrl}…`, progress: null });
      const found = await hashAtUrl(row.publishUrl, row.fileSize ?? 0);
      if (found.sha256 !== row.sha256) {
        throw new AppError('CONFLICT', `The file at ${row.publishUrl} is not the one you committed (its SHA-256 differs). Upload the committed file there, then press Retry.`, {
          details: { permanent: true },
        });
      }
      this.step(row, 'publish', { state: 'done', detail: `Published at ${row.publishUrl} (re-hashed: matches the commitment).` });
      return;
    }
    const validator = entry.endpoints.validator;
    if (!validator) throw new AppError('UNAVAILABLE', 'This network’s validator is not running yet, so the file cannot be published.');
    this.step(row, 'publish', { state: 'active', detail: 'Uploading…', progress: 0 });
    const stored = await uploadBlob(
      validator,
      entry,
      hotkey,
      { path: row.filePath, size: row.fileSize ?? 0, sha256: row.sha256 as string },
      (sent, total) => {
        if (!this.closed) this.step(row, 'publish', { progress: total > 0 ? sent / total : 1, detail: `${mib(sent)} of ${mib(total)}` });
      },
      this.deps.now,
    );
    row.publishUrl = stored.url;
    this.step(row, 'publish', { state: 'done', progress: 1, detail: `Published at ${stored.url} (re-hashed: matches the commitment).` });
  }

  private async submit(row: SubmissionRow, entry: CatalogueEntry, client: ChainRounds, hotkey: KeySigner): Promise<void> {
    if (row.submissionId) return;
    const validator = entry.endpoints.validator as string;
    for (;;) {
      const r = await client.round(row.competitionId);
      if (r.round > (row.commitRound ?? r.round)) throw new AppError('CONFLICT', 'The round ended before the checkpoint could be submitted. Start a new submission in the next round.', { details: { permanent: true } });
      if (r.phase === 'submit') {
        const message: CheckpointMessage = signCheckpoint(
          { scheme: hotkey.scheme, address: hotkey.address, publicKey: fromHex(hotkey.publicKeyHex, 'public key'), sign: (m) => hotkey.sign(m) },
          { expert_group: row.expertGroup, checkpoint_url: row.publishUrl as string, block_number: r.block },
          { scheme: hotkey.scheme, padded: entry.paddedSignature },
        );
        this.step(row, 'submit', { state: 'active', detail: `Submitting (signed at block ${r.block})…` });
        try {
          const { submissionId } = await submitCheckpoint(validator, message);
          row.submissionId = submissionId;
          row.submitBlock = r.block;
          row.submitMessage = { ...message };
          this.step(row, 'submit', { state: 'done', detail: `Submission ${submissionId.slice(0, 8)}… accepted for judging.` });
          this.deps.log.info('checkpoint submitted', { id: row.id, submission: submissionId, block: r.block });
          return;
        } catch (error) {
          // The window passed while sending: sign again with a fresh block.
          if (isAppError(error) && error.details?.networkCode === 'BLOCK_WINDOW') continue;
          throw error;
        }
      }
      this.step(row, 'submit', { state: 'active', detail: `Waiting for the submission phase (${r.blocksLeft} blocks).` });
      await client.waitForBlock(r.submitStart, 30_000).catch(() => undefined);
      if (this.closed) throw new AppError('UNAVAILABLE', 'Minerva is stopping; the submission resumes at the next start.');
    }
  }

  private async verdict(row: SubmissionRow, entry: CatalogueEntry): Promise<void> {
    const validator = entry.endpoints.validator as string;
    this.step(row, 'verdict', { state: 'active', detail: 'The validator is checking and scoring your checkpoint…' });
    for (;;) {
      const v = await fetchVerdict(validator, row.submissionId as string);
      if (v.status !== 'pending') {
        const words =
          v.status === 'accepted'
            ? `Accepted: held-out loss ${v.loss?.toFixed(3) ?? '—'}, score ${v.score?.toFixed(3) ?? '—'}${v.reward ? `, reward ${v.reward}` : '; the reward is paid at the end of the epoch'}.`
            : (VERDICT_WORDS[v.reason ?? ''] ?? `Rejected: ${v.reason ?? 'no reason given'}.`);
        row.verdict = { status: v.status, reason: v.reason, score: v.score, words };
        row.state = v.status === 'accepted' ? 'accepted' : 'rejected';
        this.step(row, 'verdict', { state: v.status === 'accepted' ? 'done' : 'failed', detail: v.status === 'accepted' ? 'Accepted.' : `Rejected (${v.reason ?? 'no reason'}).` });
        this.deps.log.info('checkpoint verdict', { id: row.id, status: v.status, reason: v.reason, score: v.score });
        this.removeUpload(row);
        return;
      }
      if (this.closed) throw new AppError('UNAVAILABLE', 'Minerva is stopping; the verdict is fetched at the next start.');
      await new Promise((r) => setTimeout(r, this.deps.verdictPollMs ?? 500));
    }
  }

  /** A browser upload is only needed until the verdict: the receipt keeps its hash. */
  private removeUpload(row: SubmissionRow): void {
    const uploads = this.deps.uploadsDir;
    if (!uploads) return;
    const rel = relative(uploads, row.filePath);
    if (rel.startsWith('..') || isAbsolute(rel) || !rel.includes(sep)) return;
    rmSync(join(uploads, rel.split(sep)[0] as string), { recursive: true, force: true });
    this.deps.log.info('removed the uploaded copy of a judged checkpoint', { id: row.id });
  }

  private fail(row: SubmissionRow, error: unknown): void {
    const code = isAppError(error) ? error.code : 'INTERNAL';
    const message = isAppError(error) ? error.message : 'Something went wrong inside Minerva. The log has the details; press Retry.';
    const permanent = isAppError(error) && error.details?.permanent === true;
    const active = row.steps.find((s) => s.state === 'active');
    this.deps.log.warn('checkpoint step failed', { id: row.id, step: active?.id, code, permanent });
    if (!permanent && RETRYABLE.has(code) && !this.closed) {
      const delay = (this.deps.backoffMs ?? ((n: number) => Math.min(30_000, 1000 * 2 ** n)))(1);
      if (active) this.step(row, active.id, { detail: `${message} Trying again in ${Math.round(delay / 1000)} s.` });
      Object.assign(row, { state: 'waiting', errorCode: code, errorMessage: message });
      this.save(row);
      if (code !== 'VAULT_LOCKED') this.schedule(row.id, delay);
      return;
    }
    if (this.closed) return; // resumes at the next start
    if (active) this.step(row, active.id, { state: 'failed', detail: message, progress: null });
    Object.assign(row, { state: 'failed', errorCode: code, errorMessage: message });
    this.save(row);
  }
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function toView(row: SubmissionRow): CheckpointSubmissionView {
  return {
    id: row.id,
    competitionId: row.competitionId,
    expertGroup: row.expertGroup,
    fileName: basename(row.filePath),
    fileSize: row.fileSize,
    sha256: row.sha256,
    hotkey: row.hotkey,
    state: row.state,
    steps: row.steps,
    commit: row.commitTx ? { txId: row.commitTx, block: row.commitBlock, round: row.commitRound } : null,
    publishUrl: row.publishUrl,
    submissionId: row.submissionId,
    verdict: row.verdict,
    error: row.errorCode && row.errorMessage ? { code: row.errorCode, message: row.errorMessage } : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
