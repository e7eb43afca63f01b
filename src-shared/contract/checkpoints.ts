import { z } from 'zod';
import type { StepState } from './competitions';
import { event, method } from './define';

/**
 * Checkpoint submissions (PROTOCOLS §3): hash the file, commit the hash on chain in the round's
 * commit phase, publish the file, submit the signed message in the submission phase, follow the
 * validator's verdict. Each submission is a resumable flow kept in core's database.
 */
export type CheckpointStepId = 'hash' | 'commit' | 'publish' | 'submit' | 'verdict';

export interface CheckpointStep {
  id: CheckpointStepId;
  label: string;
  state: StepState;
  detail: string | null;
  /** 0…1 while a long step (hashing, uploading) runs. */
  progress: number | null;
}

export type CheckpointState = 'running' | 'waiting' | 'accepted' | 'rejected' | 'failed';

export interface CheckpointSubmissionView {
  id: string;
  competitionId: string;
  expertGroup: string;
  fileName: string;
  fileSize: number | null;
  sha256: string | null;
  hotkey: string;
  state: CheckpointState;
  steps: CheckpointStep[];
  commit: { txId: string; block: number | null; round: number | null } | null;
  publishUrl: string | null;
  submissionId: string | null;
  verdict: { status: 'pending' | 'accepted' | 'rejected'; reason: string | null; score: number | null; words: string } | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface RoundView {
  competitionId: string;
  round: number;
  phase: 'commit' | 'submit';
  block: number;
  blocksLeft: number;
}

/** What a submission would make public, shown before the first publish to a network. */
export interface PublishPreview {
  networkId: string;
  /** The miner already agreed to publish checkpoints to this network. */
  confirmed: boolean;
  file: { name: string; size: number; sha256: string };
}

/** One fact of a receipt looked up on the chain (`checkpoints.verifyReceipt`, `minerva checkpoint verify-receipt`). */
export interface ReceiptCheck {
  /** Stable id: commitment, signature, timing, url, message, network. */
  name: string;
  /** In words, for people. */
  label: string;
  ok: boolean;
  detail: string;
}

export interface ReceiptVerification {
  valid: boolean;
  /** The chain it was checked against, in words ("the practice network", "Bittensor network X (subnet 1)"). */
  where: string;
  summary: string;
  checks: ReceiptCheck[];
}

export const checkpointsMethods = {
  'checkpoints.list': method<{ submissions: CheckpointSubmissionView[]; rounds: RoundView[] }>()({
    input: z.object({}).strict(),
    summary: 'Submissions (newest first) and the current round of each joined checkpoint competition.',
  }),
  'checkpoints.submitFile': method<CheckpointSubmissionView>()({
    input: z
      .object({
        competitionId: z.string().min(1).max(128),
        /** A file on the machine that runs Minerva (absolute path). */
        path: z.string().min(1).max(4096).refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'give the full path of the file, starting at the root'),
        expertGroup: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dots, dashes or underscores').default('0'),
        /** Where the validator will fetch the file (the miner's own storage); default: the network's blob store. */
        publishUrl: z
          .string()
          .url()
          .max(2048)
          .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// address')
          .optional(),
        /**
         * The miner saw what will be published (`checkpoints.previewPublish`) and agreed. Needed
         * before the first publish to a network (else `PUBLISH_NOT_CONFIRMED`); remembered after.
         */
        confirmPublish: z.boolean().optional(),
      })
      .strict(),
    summary: 'Start a submission of a checkpoint file: hash, commit, publish, submit, verdict.',
  }),
  'checkpoints.previewPublish': method<PublishPreview>()({
    input: z
      .object({
        competitionId: z.string().min(1).max(128),
        path: z.string().min(1).max(4096).refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'give the full path of the file, starting at the root'),
      })
      .strict(),
    summary: 'What submitting this file would publish (name, size, SHA-256) and whether this network already has the miner’s yes.',
  }),
  'checkpoints.trainDemo': method<CheckpointSubmissionView>()({
    input: z
      .object({
        competitionId: z.string().min(1).max(128),
        steps: z.number().int().min(10).max(5000).default(300),
        expertGroup: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('0'),
      })
      .strict(),
    summary: 'Train the demo trainer in its locked-down container, save its checkpoint, and submit it.',
  }),
  'checkpoints.retry': method<CheckpointSubmissionView>()({ input: z.object({ id: z.string().uuid() }).strict(), summary: 'Retry a failed submission from the step that failed.' }),
  'checkpoints.exportReceipt': method<{ fileName: string; content: string }>()({
    input: z.object({ id: z.string().uuid() }).strict(),
    summary: 'The receipt of a submission as a JSON proof anyone can check against the chain.',
  }),
  'checkpoints.verifyReceipt': method<ReceiptVerification>()({
    input: z.object({ content: z.string().min(1).max(1024 * 1024) }).strict(),
    summary: 'Check a receipt (its JSON text) against the chain of the network it names: commitment, signature, timing.',
  }),
};

export const checkpointsEvents = {
  'checkpoints.changed': event<CheckpointSubmissionView>('A submission moved a step (or made progress).'),
  'checkpoints.trainingProgressed': event<{ competitionId: string; step: number; steps: number; trainLoss: number | null; detail: string }>(
    'The demo trainer made progress (building its image, training, saving).',
  ),
};
