import { numberField, type ConfigSchema, type ConfigValues } from '../kernel/config';

/**
 * The inference feature's configuration (docs/inference.md, "Configuration"): defaults, each
 * overridable by an environment variable; `minerva config --json` prints them with their sources.
 * Job and status events are batched by the flow engine's window (100 ms), not configured here.
 */
export const inferenceConfig = {
  pollWaitS: numberField({ default: 5, min: 0, max: 30, int: true, env: 'MINERVA_INFERENCE_POLL_WAIT_S', doc: 'Long-poll wait of one job poll (s).' }),
  backoffBaseMs: numberField({ default: 500, min: 1, max: 60_000, env: 'MINERVA_INFERENCE_BACKOFF_BASE_MS', doc: 'First backoff after a router fault (ms).' }),
  backoffMaxMs: numberField({ default: 30_000, min: 1, max: 600_000, env: 'MINERVA_INFERENCE_BACKOFF_MAX_MS', doc: 'Longest backoff after router faults (ms).' }),
  leaseRenewMs: numberField({ default: 20_000, min: 100, max: 59_000, env: 'MINERVA_INFERENCE_LEASE_RENEW_MS', doc: 'How often a job lease is extended (ms).' }),
  forbiddenRetryMs: numberField({ default: 15_000, min: 100, max: 600_000, env: 'MINERVA_INFERENCE_FORBIDDEN_RETRY_MS', doc: 'Wait before polling again after a 403 (ms).' }),
  defaultConcurrency: numberField({ default: 2, min: 1, max: 16, int: true, env: 'MINERVA_INFERENCE_CONCURRENCY', doc: 'Jobs at once per competition until the miner picks another number.' }),
  reconcileMs: numberField({ default: 5_000, min: 100, max: 600_000, env: 'MINERVA_INFERENCE_RECONCILE_MS', doc: 'How often memberships are checked again besides change events (ms).' }),
  modelTimeoutMs: numberField({ default: 60_000, min: 100, max: 600_000, env: 'MINERVA_INFERENCE_MODEL_TIMEOUT_MS', doc: 'Model call timeout (ms).' }),
  callTimeoutMs: numberField({ default: 10_000, min: 100, max: 600_000, env: 'MINERVA_INFERENCE_CALL_TIMEOUT_MS', doc: 'Timeout of one router call other than the long poll (ms).' }),
  statsWindowS: numberField({ default: 300, min: 10, max: 86_400, int: true, doc: 'The stats window of inference.status (s).' }),
} satisfies ConfigSchema;

export type InferenceConfig = ConfigValues<typeof inferenceConfig>;
