/**
 * The practice validator's API (docs/practice-network.md, "Validator"; PROTOCOLS §3 and §4):
 * checkpoint submission and verdicts, and the blob store that publishes checkpoints on the practice
 * network. Every error body is `{"error":{"code","message"}}`.
 *
 *   POST /submit                               §3 message → 202 {submission_id}   (practice-checkpoint)
 *   POST /v1/competitions/<id>/submit          the same for competition <id>
 *   GET  /submissions/<submission_id>          → SubmissionView
 *   GET  /v1/competitions/<id>/submissions?hotkey=<SS58>[&round=<n>] → {submissions: SubmissionView[]}
 *   POST /v1/blobs                             §4-signed body → 201 BlobStored     (practice-checkpoint)
 *   POST /v1/competitions/<id>/blobs           the same for competition <id>
 *   GET  /v1/blobs/<sha256 hex>                → the bytes
 */
import { z } from 'zod';

/** Why a submission was rejected (PROTOCOLS §3, plus `INVALID_CHECKPOINT`: bytes that match the commitment but are not a checkpoint the validator can evaluate). */
export const SUBMISSION_REASONS = [
  'UNKNOWN_HOTKEY',
  'BLOCK_WINDOW',
  'SIGNATURE_INVALID',
  'DOWNLOAD_FAILED',
  'TOO_LARGE',
  'NO_COMMITMENT',
  'HASH_MISMATCH',
  'INVALID_CHECKPOINT',
  'DUPLICATE',
] as const;
export type SubmissionReason = (typeof SUBMISSION_REASONS)[number];

/** Where a pending submission is. */
export const SUBMISSION_STAGES = ['queued', 'downloading', 'evaluating'] as const;
export type SubmissionStage = (typeof SUBMISSION_STAGES)[number];

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const submissionRewardSchema = z
  .object({
    epoch: z.number().int().min(0),
    /** Whole tokens (`"12.5"`). */
    amount: z.string(),
    base_units: z.string(),
    /** The `emit_rewards` transaction; null when the round paid nobody (every score 0). */
    tx_id: z.string().nullable(),
    /** The block that included it; null when nothing was paid. */
    block: z.number().int().nullable(),
  })
  .strict();
export type SubmissionReward = z.infer<typeof submissionRewardSchema>;

export const submissionViewSchema = z
  .object({
    submission_id: z.string(),
    competition_id: z.string(),
    status: z.enum(['pending', 'accepted', 'rejected']),
    /** Present while pending. */
    stage: z.enum(SUBMISSION_STAGES).optional(),
    /** Present when rejected. */
    reason: z.enum(SUBMISSION_REASONS).optional(),
    /** Plain words for the verdict (rejected: what was wrong). */
    message: z.string().optional(),
    /** Accepted: in [0, 1], higher is better (`max(0, 1 − loss / reference_loss)`). */
    score: z.number().optional(),
    /** Accepted (and INVALID_CHECKPOINT never): held-out loss in nats per character, lower is better. */
    loss: z.number().optional(),
    /** The round `block_number` falls in. */
    round: z.number().int().min(0),
    hotkey: z.string(),
    expert_group: z.string(),
    block_number: z.number().int().min(0),
    checkpoint_url: z.string(),
    /** Once downloaded. */
    sha256: hex64.optional(),
    size: z.number().int().min(0).optional(),
    /** The commitment compared with (check 5), once looked up. */
    commitment: z.object({ hash: hex64, block: z.number().int(), tx_id: z.string() }).strict().optional(),
    /** iso */
    received_at: z.string(),
    decided_at: z.string().optional(),
    /** Accepted only: null until the round's `emit_rewards` is in a block, then this hotkey's payout for the round (`"0"` if it got nothing). */
    reward: submissionRewardSchema.nullable().optional(),
  })
  .strict();
export type SubmissionView = z.infer<typeof submissionViewSchema>;

/** `GET /v1/competitions/<id>/submissions?hotkey=<SS58>[&round=<n>]`: newest first, at most 200. */
export const submissionListSchema = z.object({ submissions: z.array(submissionViewSchema) }).strict();
export type SubmissionList = z.infer<typeof submissionListSchema>;

export const submitAcceptedSchema = z.object({ submission_id: z.string() }).strict();
export type SubmitAccepted = z.infer<typeof submitAcceptedSchema>;

export const blobStoredSchema = z.object({ url: z.string().url(), sha256: hex64, size: z.number().int().min(0) }).strict();
export type BlobStored = z.infer<typeof blobStoredSchema>;

/** Error codes of the validator's HTTP answers and their status. */
export const VALIDATOR_ERRORS = {
  MALFORMED: 400,
  BLOCK_WINDOW: 400,
  UNKNOWN_HOTKEY: 401,
  SIGNATURE_INVALID: 401,
  STALE_SIGNATURE: 401,
  BAD_SIGNATURE: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NONCE_REPLAYED: 409,
  TOO_LARGE: 413,
  CHAIN_UNAVAILABLE: 503,
} as const;
export type ValidatorErrorCode = keyof typeof VALIDATOR_ERRORS;
