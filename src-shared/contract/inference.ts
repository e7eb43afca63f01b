import { z } from 'zod';
import { event, method } from './define';

/**
 * Private inference (PROTOCOLS §2): for each joined private-inference competition core polls the
 * router for jobs and takes each one through key → decrypt → run → encrypt → upload → report.
 * Each job is a state machine persisted in core's database: ids, URNs, states, timings and error
 * codes — never plaintext, never keys. Nothing here ever carries a prompt, an output or a key,
 * except the Playground's own answer (which the person typed and asked to see).
 */
export type JobStepId = 'key' | 'decrypt' | 'run' | 'encrypt' | 'upload' | 'report';

/** Where a job is: `queued` (leased, not started), a step, or an end state. */
export type JobState = 'queued' | JobStepId | 'reported' | 'failed' | 'withdrawn';

export const JOB_STATES: readonly JobState[] = ['queued', 'key', 'decrypt', 'run', 'encrypt', 'upload', 'report', 'reported', 'failed', 'withdrawn'];

/** Why a job failed, by kind (PROTOCOLS §2 and issue #7 item 9). */
export type JobErrorCode =
  | 'KEY_FORBIDDEN' // 401/403 from the key endpoint: not on the session's allowed list
  | 'KEY_RETIRED' // 410: the input's key version is no longer held by the router
  | 'ENVELOPE_INVALID' // tampered, wrong AAD, unknown alg, wrong version: nothing reached the model
  | 'MODEL_FAILED' // the model container answered an error or could not start
  | 'LEASE_LOST' // another miner holds the job now
  | 'DEADLINE_PASSED'
  | 'ROUTER_REFUSED' // any other 4xx the router answered (its code kept in `message`)
  | 'INTERNAL';

export interface JobStepTiming {
  id: JobStepId;
  /** Milliseconds the step took; null while not reached (or running). */
  ms: number | null;
}

export interface JobView {
  /** Core's own id for the row. */
  id: string;
  /** The router's job id (uuid v4). */
  jobId: string;
  competitionId: string;
  sessionId: number;
  taskId: number;
  inputUrn: string;
  resultUrn: string | null;
  /** Key version of the input's envelope, once read. */
  keyVersion: string | null;
  scopeType: 'session' | 'task' | null;
  state: JobState;
  steps: JobStepTiming[];
  /** Receipt of the job to reported/failed, ms; null while running. */
  totalMs: number | null;
  inputBytes: number | null;
  outputBytes: number | null;
  error: { code: JobErrorCode; message: string } | null;
  receivedAt: string;
  updatedAt: string;
  deadline: string;
}

export type InferenceWorkerState =
  | 'running' // polling / working
  | 'paused-locked' // the wallet is locked: jobs wait, the UI asks to unlock
  | 'backoff' // the router is unreachable or answered 5xx; retrying with backoff
  | 'forbidden' // the router refused this miner's EOA (401/403): key-safety warning
  | 'stopped';

export interface InferenceWorkerView {
  competitionId: string;
  sessionId: number;
  routerUrl: string;
  state: InferenceWorkerState;
  /** In words, with what to do next (e.g. "Unlock your wallet to resume jobs."). */
  detail: string;
  concurrency: number;
  inFlight: number;
  /** When the next poll happens while backing off (iso), else null. */
  retryAt: string | null;
}

export interface InferenceStats {
  /** Over the last `windowS` seconds. */
  windowS: number;
  reported: number;
  failed: number;
  /** Jobs reported in the window, per minute (the sum over `perCompetition`). */
  jobsPerMinute: number;
  /** The same rate per competition (the Sessions table's column): competitions with none are absent. */
  perCompetition: { competitionId: string; reported: number; jobsPerMinute: number }[];
  /** Receipt → reported, ms, of jobs reported in the window; null without any. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** All time. */
  totalReported: number;
  totalFailed: number;
}

export interface InferenceStatus {
  workers: InferenceWorkerView[];
  stats: InferenceStats;
  /** Key-safety warnings (e.g. "0xABC… is not on session 101's allowed list"). */
  warnings: { competitionId: string; code: 'KEY_FORBIDDEN'; message: string }[];
}

export interface JobsQuery {
  competitionId?: string;
  sessionId?: number;
  states?: JobState[];
  /** Newest first; at most 20,000 rows per call. */
  limit: number;
  /** Page back: rows received before this core id's row. */
  before?: string;
}

/** What the router stored for one Playground completion, as it is: URNs and sizes only. */
export interface StoredPayloadView {
  role: 'input' | 'result';
  urn: string;
  payloadType: 'encrypted' | 'plain';
  keyVersion: string | null;
  ciphertextBytes: number;
}

export interface PlaygroundAnswer {
  competitionId: string;
  sessionId: number;
  taskId: number;
  /** The decrypted answer from the router's completion API (shown only to the person who asked). */
  output: unknown;
  model: string;
  usage: Record<string, unknown> | null;
  elapsedMs: number;
  /** Core's job row id when this miner served it (so the UI can show the job's steps). */
  jobRowId: string | null;
  stored: StoredPayloadView[];
}

export const inferenceMethods = {
  'inference.status': method<InferenceStatus>()({
    input: z.object({}).strict(),
    summary: 'The job workers of joined private-inference competitions, throughput and latency, key-safety warnings.',
  }),
  'inference.jobs': method<{ jobs: JobView[]; total: number; counts: Record<JobState, number> }>()({
    input: z
      .object({
        competitionId: z.string().min(1).max(128).optional(),
        sessionId: z.number().int().min(0).optional(),
        states: z.array(z.enum(JOB_STATES as [JobState, ...JobState[]])).max(JOB_STATES.length).optional(),
        limit: z.number().int().min(1).max(20_000).default(500),
        before: z.string().min(1).max(64).optional(),
      })
      .strict(),
    summary: 'Jobs, newest first, filtered; with the total and the count per state for the filter.',
  }),
  'inference.setConcurrency': method<InferenceStatus>()({
    input: z.object({ competitionId: z.string().min(1).max(128), concurrency: z.number().int().min(1).max(16) }).strict(),
    summary: 'How many jobs of a competition run at once (kept across restarts).',
  }),
  'inference.playgroundSend': method<PlaygroundAnswer>()({
    input: z
      .object({
        competitionId: z.string().min(1).max(128),
        prompt: z.string().min(1).max(8000),
        timeoutS: z.number().int().min(1).max(600).default(60),
      })
      .strict(),
    // The prompt and the answer are the person's own, but they must never reach the logs.
    sensitive: true,
    summary: "Practice network only: send a prompt through the router's completion API and return the decrypted answer.",
  }),
};

export const inferenceEvents = {
  /** Batched (at most ~10 per second) so that a busy miner does not flood the UI. */
  'inference.jobsChanged': event<{ jobs: JobView[] }>('Jobs moved a step, were received, or ended.'),
  'inference.statusChanged': event<InferenceStatus>('A worker changed state, or the figures moved.'),
};
