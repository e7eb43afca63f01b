import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import { AppError } from '@shared/contract/errors';
import type { CheckpointSubmissionView, PublishPreview, RoundView } from '@shared/contract/checkpoints';
import type { AuditRepo } from '../db/audit.repo';
import type { Db } from '../db/open';
import type { FlowEngine, FlowHandle } from '../kernel/flow-engine';
import type { ScopedLogger } from '../log/logger';
import type { CompetitionsApi } from '../competitions/competitions.feature';
import type { MinerKeys } from '../competitions/competitions.service';
import type { CatalogueEntry, ChainRounds, KeySigner, NetworkClient } from '../network/client';
import type { ActiveNetwork } from '../network/networks.service';
import type { CheckpointsConfig } from './checkpoints.config';
import { CheckpointsRepo, type SubmissionRow } from './checkpoints.repo';
import { hashFile } from './hash-file';
import { STEPS, submissionFlow } from './submission.flow';
import { removeAbandonedUploads } from './uploads-cleanup';
import { whatItIs } from './publishable';

export { VERDICT_WORDS } from './submission.flow';

/** Where a Bittensor receipt's commitment lives, and the rounds its timing is judged by. */
export interface ReceiptChain {
  kind: 'bittensor';
  netuid: number;
  genesis_hash: string | null;
  round_blocks: number;
  commit_blocks: number;
}

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
  /** The kernel's flow engine: submissions run on it (submission.flow.ts). */
  flows: Pick<FlowEngine, 'register'>;
  config: CheckpointsConfig;
  /** Where uploads from the browser land (`<data dir>/uploads`): removed once judged. */
  uploadsDir?: string;
}

/**
 * Checkpoint submissions: a request checks what it can at once (a checkpoint competition, joined,
 * a usable key, a file), writes the submission row and starts its flow (submission.flow.ts, run
 * by the kernel's flow engine); receipts are built from the row.
 *
 * Every saved change is pushed as `checkpoints.changed` at once rather than through the engine's
 * batched `onChanged`: each step of a submission (hashing with its progress, the commitment sent,
 * the upload) is a state the miner watches and that the kill -9 trials stop the app in, and a
 * batch would fold the short ones away.
 */
export class CheckpointsService {
  private readonly repo: CheckpointsRepo;
  private readonly flow: FlowHandle<SubmissionRow>;

  constructor(private readonly deps: CheckpointsDeps) {
    this.repo = new CheckpointsRepo(deps.db);
    this.flow = deps.flows.register(
      submissionFlow({
        store: this.repo.flowStore(deps.now, (row) => deps.onChange(toView(row))),
        log: deps.log,
        config: deps.config,
        activeNetwork: deps.activeNetwork,
        entry: (id) => deps.competitions.entry(id),
        clientFor: deps.clientFor,
        signer: (entry) => this.signer(entry),
        now: deps.now,
        uploadsDir: deps.uploadsDir,
      }),
    );
  }

  /** Removes abandoned browser uploads, then resumes unfinished submissions (those paused by a locked wallet wait for the unlock). */
  start(): void {
    if (this.deps.uploadsDir) {
      try {
        const removed = removeAbandonedUploads({ uploadsDir: this.deps.uploadsDir, liveFiles: this.repo.filesInUse(), graceMs: this.deps.config.uploadGraceMs, nowMs: this.deps.now().getTime() });
        if (removed.length > 0) this.deps.log.info('removed browser uploads no submission uses', { count: removed.length });
      } catch (error) {
        // Best effort: a folder that cannot be removed now is looked at again at the next start.
        this.deps.log.warn('could not clean up abandoned uploads', { error: error instanceof Error ? error.name : 'unknown' });
      }
    }
    this.flow.resume();
  }

  /** Stops the running steps; the submissions resume at the next start. */
  async close(): Promise<void> {
    await this.flow.stop();
  }

  list(): CheckpointSubmissionView[] {
    return this.repo.list().map(toView);
  }

  /** Accepted checkpoints of a competition in [since, until) (the Rewards checklist's work done). */
  acceptedCount(networkId: string, competitionId: string, since: Date, until: Date): number {
    return this.repo.countAccepted(networkId, competitionId, since.toISOString(), until.toISOString());
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

  /** What submitting `path` would publish: shown to the miner before the first publish to a network. */
  async previewPublish(input: { competitionId: string; path: string }): Promise<PublishPreview> {
    const { network } = await this.assertCanSubmit(input.competitionId);
    const { sha256, size } = await hashFile(input.path, () => undefined);
    return { networkId: network.id, confirmed: this.repo.publishConsented(network.id), file: { name: basename(input.path), size, sha256 } };
  }

  /**
   * Starts a submission. The first publish to a network needs the miner's yes (`confirmPublish`,
   * after `previewPublish` showed what goes public), else `PUBLISH_NOT_CONFIRMED`; the yes is kept
   * per network. `ownCheckpoint`: a file Minerva made itself (the demo trainer), nothing private.
   */
  async submitFile(
    input: { competitionId: string; path: string; expertGroup: string; publishUrl?: string | undefined; confirmPublish?: boolean | undefined },
    opts: { ownCheckpoint?: boolean } = {},
  ): Promise<CheckpointSubmissionView> {
    const { network, entry, hotkey } = await this.assertCanSubmit(input.competitionId);
    if (network.kind === 'bittensor' && !input.publishUrl) {
      throw new AppError('VALIDATION', 'On a Bittensor network there is no blob store to publish through: put the checkpoint where the validator can download it, and give that address under “Your own download address”.');
    }
    const info = await stat(input.path).catch(() => null);
    if (!info) throw new AppError('NOT_FOUND', `There is no file at ${input.path}. Check the path and try again.`);
    if (!info.isFile()) throw new AppError('VALIDATION', `${input.path} ${whatItIs(info)}, not a file; a checkpoint is one file. Choose the file your training wrote.`);
    const at = this.deps.now().toISOString();
    if (!opts.ownCheckpoint && !this.repo.publishConsented(network.id)) {
      if (!input.confirmPublish) {
        throw new AppError(
          'PUBLISH_NOT_CONFIRMED',
          `Nothing was published: this would be your first checkpoint on ${network.kind === 'practice' ? 'the practice network' : `the network ${network.id}`}, and anyone can download a published checkpoint. Check the file’s name, size and SHA-256, then confirm to publish.`,
        );
      }
      this.repo.recordPublishConsent(network.id, basename(input.path), at);
      this.deps.audit.append({ at, actor: 'user', action: 'checkpoints.publishConsent', detail: { network: network.id, file: basename(input.path) } });
    }
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
    this.repo.save(row);
    this.deps.onChange(toView(row));
    this.deps.audit.append({ at, actor: 'user', action: 'checkpoints.submit', detail: { id: row.id, competition: entry.id, file: basename(input.path) } });
    void this.flow.start(row.id);
    return toView(row);
  }

  /** Runs a failed or waiting submission again at once (a step in backoff is stopped first). */
  async retry(id: string): Promise<CheckpointSubmissionView> {
    const found = this.repo.get(id);
    if (!found || (found.state !== 'failed' && found.state !== 'waiting')) throw new AppError('NOT_FOUND', 'There is nothing to retry for this submission.');
    await this.flow.stop((running) => running === id);
    const row = this.repo.get(id) ?? found;
    row.state = 'running';
    row.errorCode = null;
    row.errorMessage = null;
    row.steps = row.steps.map((s) => (s.state === 'failed' ? { ...s, state: 'pending', detail: null } : s));
    row.updatedAt = this.deps.now().toISOString();
    this.repo.save(row);
    this.deps.onChange(toView(row));
    void this.flow.start(id);
    return toView(row);
  }

  /** A JSON proof of the submission that anyone can check against the chain (`minerva checkpoint verify-receipt`). */
  receipt(id: string, chainOf?: (networkId: string, competitionId: string) => ReceiptChain | undefined): { fileName: string; content: string } {
    const row = this.repo.get(id);
    if (!row) throw new AppError('NOT_FOUND', 'That submission is not in this app’s records.');
    if (!row.commitTx || !row.sha256) throw new AppError('CONFLICT', 'This submission has no commitment yet, so there is nothing to prove.');
    const chain = chainOf?.(row.networkId, row.competitionId);
    const receipt = {
      format: 'minerva-checkpoint-receipt',
      version: 1,
      network: row.networkId,
      // A Bittensor network's commitment lives on a subnet (Connito): where to look it up.
      ...(chain ? { chain } : {}),
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

  private signer(entry: CatalogueEntry): KeySigner {
    const keys = this.deps.keys();
    if (!keys) throw new AppError('VAULT_MISSING', 'Create or import a wallet first (Wallet & Security).');
    if (!keys.isUnlocked()) throw new AppError('VAULT_LOCKED', 'Unlock your wallet to submit checkpoints.');
    return keys.hotkey(entry.hotkeyScheme);
  }
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
