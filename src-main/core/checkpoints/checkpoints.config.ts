import { defaultsOf, numberField, type ConfigSchema, type ConfigValues } from '../kernel/config';

/** The submission flow's tuning (printed by `minerva config --json`). */
export const checkpointsConfig = {
  backoffBaseMs: numberField({ default: 2000, min: 1, max: 60_000, env: 'MINERVA_CHECKPOINTS_BACKOFF_BASE_MS', doc: 'First backoff after a chain or validator fault during a submission (ms).' }),
  backoffMaxMs: numberField({ default: 30_000, min: 1, max: 600_000, env: 'MINERVA_CHECKPOINTS_BACKOFF_MAX_MS', doc: 'Longest backoff between attempts of a submission step (ms).' }),
  maxAttempts: numberField({ default: 30, min: 1, max: 10_000, int: true, env: 'MINERVA_CHECKPOINTS_MAX_ATTEMPTS', doc: 'Attempts of one step (a validator not running, a chain not answering) before the submission is shown as failed, with a Retry button.' }),
  txPollMs: numberField({ default: 250, min: 1, max: 60_000, env: 'MINERVA_CHECKPOINTS_TX_POLL_MS', doc: 'How often a sent commitment is checked for inclusion (ms).' }),
  txTimeoutMs: numberField({ default: 30_000, min: 100, max: 3_600_000, env: 'MINERVA_CHECKPOINTS_TX_TIMEOUT_MS', doc: 'How long a commitment may stay pending before it counts as a failed attempt (ms; it is followed again, never re-sent).' }),
  phaseWaitMs: numberField({ default: 30_000, min: 100, max: 600_000, env: 'MINERVA_CHECKPOINTS_PHASE_WAIT_MS', doc: 'Longest single wait on the chain for a commit or submission phase to open before looking again (ms).' }),
  verdictPollMs: numberField({ default: 500, min: 10, max: 600_000, env: 'MINERVA_CHECKPOINTS_VERDICT_POLL_MS', doc: 'How often the validator is asked for the verdict of a submission (ms).' }),
  uploadGraceMs: numberField({ default: 86_400_000, min: 0, max: 31_536_000_000, env: 'MINERVA_CHECKPOINTS_UPLOAD_GRACE_MS', doc: 'A browser upload no submission uses is removed at start once it is this old (ms; default one day). Never one a running, waiting or failed submission names.' }),
} satisfies ConfigSchema;

export type CheckpointsConfig = ConfigValues<typeof checkpointsConfig>;

export const CHECKPOINTS_DEFAULTS: CheckpointsConfig = defaultsOf(checkpointsConfig);
