/**
 * The router's wire answers as the app reads them (PROTOCOLS §2.3, §2.5–§2.7): the job list of a
 * long poll, the key answer, the error shape, the offchain PUT answer, the completion request and
 * answer, and the bearer-token task view the Playground shows. Validated with zod so that a
 * malformed answer is a typed error, never a guess.
 */
import { z } from 'zod';

const id = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an RFC 3339 time');
const keyVersion = z.string().regex(/^v[1-9][0-9]{0,8}$/);
const urn = z.string().regex(/^urn:cts:payload:v2:(0|[1-9][0-9]{0,15}):[0-9a-fA-F-]{36}$/);

/** Every error of §2.3–§2.7: `{"error":{"code","message"}}`. */
export const routerErrorSchema = z.object({ error: z.object({ code: z.string().min(1).max(100), message: z.string().max(2000) }) });
export type RouterErrorWire = z.infer<typeof routerErrorSchema>;

/** §2.6 one leased job. */
export const minerJobSchema = z.object({
  job_id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
  session_id: id,
  task_id: id,
  input_urn: urn,
  lease_expires_at: iso,
  deadline: iso,
});
export type MinerJobWire = z.infer<typeof minerJobSchema>;

/** §2.6 `GET /api/v2/miner/jobs` 200 (204 carries no body). */
export const minerJobsSchema = z.object({ jobs: z.array(minerJobSchema).max(100) });

/** §2.6 `POST …/lease` 200. */
export const leaseAnswerSchema = z.object({ job_id: z.string(), lease_expires_at: iso });

/** §2.6 `POST …/result` and `…/fail` 200. */
export const jobOutcomeAnswerSchema = z.object({ job_id: z.string(), state: z.enum(['done', 'failed', 'withdrawn']) });

/**
 * `GET /api/v2/miner/jobs/<id>` 200 (Minerva's extension, docs/protocols.md): what the router holds
 * for a job, as the asking miner may see it. `mine`: the job is (or was last) leased to the asker;
 * `result_urn` and `lease_expires_at` only then. A miner asks after a restart, for a job it found
 * unfinished, instead of guessing from its own row.
 */
export const jobStateAnswerSchema = z.object({
  job_id: z.string(),
  state: z.enum(['queued', 'leased', 'done', 'failed', 'withdrawn']),
  mine: z.boolean(),
  result_urn: urn.nullable(),
  lease_expires_at: iso.nullable(),
});
export type JobStateWire = z.infer<typeof jobStateAnswerSchema>;

/** §2.3 key answer (the key itself is checked by `parseKeyResponse`). */
export const keyAnswerSchema = z.object({
  payload_enc_key: z.string().regex(/^[0-9a-fA-F]{64}$/),
  key_version: keyVersion,
  scope: z.string().min(1).max(64),
  scope_type: z.enum(['session', 'task']),
});

/** §2.5 `PUT /api/v2/offchain` 201, and `PUT /api/v2/offchain/<urn>` (the uploader's own URN) 201 or 200 again. */
export const offchainPutAnswerSchema = z.object({ urn });

/** §2.7 the app's completion request. */
export const completionRequestSchema = z
  .object({
    session_id: id,
    prompt: z.string(),
    params: z.record(z.string(), z.unknown()).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    timeout_s: z.number().positive().max(600).optional(),
    stream: z.boolean().optional(),
  })
  .strict();
export type CompletionRequestWire = z.infer<typeof completionRequestSchema>;

/** §2.7 200: the decrypted answer. */
export const completionAnswerSchema = z.object({
  session_id: id,
  task_id: id,
  output: z.unknown(),
  model: z.string().nullable(),
  usage: z.record(z.string(), z.unknown()).optional(),
});
export type CompletionAnswerWire = z.infer<typeof completionAnswerSchema>;

const storedPayload = z.object({ urn, payload_type: z.enum(['encrypted', 'plain']), key_version: keyVersion.nullable(), bytes: z.number().int().min(0) });

/** `GET /api/v2/sessions/<s>/tasks/<t>` (bearer): what the router holds for a task — URNs, sizes, versions, states. */
export const taskViewSchema = z.object({
  session_id: id,
  task_id: id,
  job_id: z.string(),
  state: z.enum(['queued', 'leased', 'done', 'failed', 'withdrawn']),
  fail_code: z.string().nullable(),
  input: storedPayload.nullable(),
  result: storedPayload.nullable(),
  created_at: iso,
  finished_at: iso.nullable(),
});
export type TaskViewWire = z.infer<typeof taskViewSchema>;

/** The router's paths (§2.3, §2.5–§2.7). */
export const ROUTER_PATHS = {
  jobs: '/api/v2/miner/jobs',
  job: (jobId: string, verb: 'lease' | 'result' | 'fail') => `/api/v2/miner/jobs/${jobId}/${verb}`,
  /** Minerva's extensions: one job's state, and the asker's active leases (same answer as a poll). */
  jobState: (jobId: string) => `/api/v2/miner/jobs/${jobId}`,
  leases: '/api/v2/miner/leases',
  offchain: '/api/v2/offchain',
  offchainUrn: (urnText: string) => `/api/v2/offchain/${encodeURIComponent(urnText)}`,
  completion: '/api/v2/completion',
  task: (sessionId: number, taskId: number) => `/api/v2/sessions/${sessionId}/tasks/${taskId}`,
} as const;
