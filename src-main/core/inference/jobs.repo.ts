import type { InferenceStats, JobErrorCode, JobState, JobStepId, JobView, JobsQuery } from '@shared/contract/inference';
import { JOB_STATES } from '@shared/contract/inference';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open';

/**
 * The jobs table of migration 50: one row per router job this miner took. It holds ids, URNs,
 * states, step timings, sizes, the key version and error codes — never a prompt, an output or a
 * key. `router_done` is 1 once the router needs nothing more from us for the job (reported, its
 * failure acknowledged, withdrawn, or taken by another miner); rows with 0 are resumed at start.
 */
export const STEP_IDS: readonly JobStepId[] = ['key', 'decrypt', 'run', 'encrypt', 'upload', 'report'];
export const END_STATES: ReadonlySet<JobState> = new Set(['reported', 'failed', 'withdrawn']);

export interface JobRow {
  seq: number;
  network_id: string;
  competition_id: string;
  router_url: string;
  job_id: string;
  session_id: number;
  task_id: number;
  input_urn: string;
  result_urn: string | null;
  /** The URN the result is (being) uploaded under, recorded before the upload (migration 150). */
  upload_urn: string | null;
  key_version: string | null;
  scope_type: 'session' | 'task' | null;
  state: JobState;
  router_done: number;
  key_ms: number | null;
  decrypt_ms: number | null;
  run_ms: number | null;
  encrypt_ms: number | null;
  upload_ms: number | null;
  report_ms: number | null;
  total_ms: number | null;
  input_bytes: number | null;
  output_bytes: number | null;
  error_code: JobErrorCode | null;
  error_message: string | null;
  attempts: number;
  received_at: string;
  received_ms: number;
  updated_at: string;
  finished_ms: number | null;
  deadline: string;
  lease_expires_at: string;
}

export type JobPatch = Partial<
  Pick<
    JobRow,
    | 'result_urn'
    | 'upload_urn'
    | 'key_version'
    | 'scope_type'
    | 'state'
    | 'router_done'
    | 'key_ms'
    | 'decrypt_ms'
    | 'run_ms'
    | 'encrypt_ms'
    | 'upload_ms'
    | 'report_ms'
    | 'total_ms'
    | 'input_bytes'
    | 'output_bytes'
    | 'error_code'
    | 'error_message'
    | 'attempts'
    | 'finished_ms'
    | 'lease_expires_at'
  >
>;

const PATCH_COLUMNS = new Set<string>([
  'result_urn',
  'upload_urn',
  'key_version',
  'scope_type',
  'state',
  'router_done',
  'key_ms',
  'decrypt_ms',
  'run_ms',
  'encrypt_ms',
  'upload_ms',
  'report_ms',
  'total_ms',
  'input_bytes',
  'output_bytes',
  'error_code',
  'error_message',
  'attempts',
  'finished_ms',
  'lease_expires_at',
]);

export function toJobView(r: JobRow): JobView {
  return {
    id: String(r.seq),
    jobId: r.job_id,
    competitionId: r.competition_id,
    sessionId: r.session_id,
    taskId: r.task_id,
    inputUrn: r.input_urn,
    resultUrn: r.result_urn,
    keyVersion: r.key_version,
    scopeType: r.scope_type,
    state: r.state,
    steps: STEP_IDS.map((id) => ({ id, ms: r[`${id}_ms`] })),
    totalMs: r.total_ms,
    inputBytes: r.input_bytes,
    outputBytes: r.output_bytes,
    error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
    receivedAt: r.received_at,
    updatedAt: r.updated_at,
    deadline: r.deadline,
  };
}

export interface NewJob {
  networkId: string;
  competitionId: string;
  routerUrl: string;
  jobId: string;
  sessionId: number;
  taskId: number;
  inputUrn: string;
  deadline: string;
  leaseExpiresAt: string;
  nowMs: number;
}

export class JobsRepo {
  private readonly byId;
  private readonly bySeq;
  private readonly insertStmt;
  /** Prepared UPDATEs by the set of columns they change (a job's steps reuse a handful). */
  private readonly updates = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    this.byId = db.prepare('SELECT * FROM inference_jobs WHERE network_id = ? AND competition_id = ? AND job_id = ?');
    this.bySeq = db.prepare('SELECT * FROM inference_jobs WHERE seq = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO inference_jobs (network_id, competition_id, router_url, job_id, session_id, task_id, input_urn, state, received_at, received_ms, updated_at, deadline, lease_expires_at)
       VALUES (@networkId, @competitionId, @routerUrl, @jobId, @sessionId, @taskId, @inputUrn, 'queued', @at, @nowMs, @at, @deadline, @leaseExpiresAt)`,
    );
  }

  /**
   * Records a leased job. A job leased to us again (its lease ran out while we were away) is the
   * same row: it starts over unless its result is already stored (then it is reported, not redone).
   */
  receive(job: NewJob): JobRow {
    const existing = this.byId.get(job.networkId, job.competitionId, job.jobId) as JobRow | undefined;
    const at = new Date(job.nowMs).toISOString();
    if (!existing) {
      const info = this.insertStmt.run({ ...job, at });
      return this.bySeq.get(info.lastInsertRowid) as JobRow;
    }
    // Leased to us again: restart from the input, or report the stored result again (the same URN is idempotent).
    const patch: JobPatch = { lease_expires_at: job.leaseExpiresAt, router_done: 0, attempts: existing.attempts + 1, error_code: null, error_message: null, finished_ms: null, total_ms: null };
    if (existing.result_urn === null) patch.state = 'queued';
    else patch.state = 'report';
    return this.update(existing.seq, patch, job.nowMs);
  }

  get(seq: number): JobRow | undefined {
    return this.bySeq.get(seq) as JobRow | undefined;
  }

  update(seq: number, patch: JobPatch, nowMs: number): JobRow {
    const keys = Object.keys(patch).filter((k) => PATCH_COLUMNS.has(k));
    const id = keys.join(',');
    let stmt = this.updates.get(id);
    if (!stmt) {
      const sets = [...keys.map((k) => `${k} = @${k}`), 'updated_at = @updated_at'];
      stmt = this.db.prepare(`UPDATE inference_jobs SET ${sets.join(', ')} WHERE seq = @seq`);
      this.updates.set(id, stmt);
    }
    const params: Record<string, unknown> = { updated_at: new Date(nowMs).toISOString(), seq };
    for (const k of keys) params[k] = patch[k as keyof JobPatch];
    stmt.run(params);
    return this.get(seq)!;
  }

  /** Every row the router still waits on, oldest first (the job flow's unfinished rows). */
  unfinished(): JobRow[] {
    return this.db.prepare('SELECT * FROM inference_jobs WHERE router_done = 0 ORDER BY seq').all() as JobRow[];
  }

  /** Rows the router still waits on, oldest first (resumed after a restart). */
  open(networkId: string, competitionId: string): JobRow[] {
    return this.db.prepare('SELECT * FROM inference_jobs WHERE competition_id = ? AND router_done = 0 AND network_id = ? ORDER BY seq').all(competitionId, networkId) as JobRow[];
  }

  /** One indexed query for the page and one grouped count for the same filter. */
  list(query: JobsQuery): { jobs: JobView[]; total: number; counts: Record<JobState, number> } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.competitionId !== undefined) {
      where.push('competition_id = ?');
      params.push(query.competitionId);
    }
    if (query.sessionId !== undefined) {
      where.push('session_id = ?');
      params.push(query.sessionId);
    }
    const countWhere = [...where];
    const countParams = [...params];
    if (query.states !== undefined && query.states.length > 0) {
      where.push(`state IN (${query.states.map(() => '?').join(', ')})`);
      params.push(...query.states);
    }
    const pageWhere = [...where];
    const pageParams = [...params];
    if (query.before !== undefined) {
      const before = Number(query.before);
      pageWhere.push('seq < ?');
      pageParams.push(Number.isSafeInteger(before) ? before : 0);
    }
    const clause = (w: string[]): string => (w.length === 0 ? '' : `WHERE ${w.join(' AND ')}`);
    const rows = this.db.prepare(`SELECT * FROM inference_jobs ${clause(pageWhere)} ORDER BY seq DESC LIMIT ?`).all(...pageParams, query.limit) as JobRow[];
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    // Counts per state ignore the state filter (so the filter chips can show every state's number).
    for (const r of this.db.prepare(`SELECT state, COUNT(*) AS n FROM inference_jobs ${clause(countWhere)} GROUP BY state`).all(...countParams) as { state: JobState; n: number }[]) {
      counts[r.state] = r.n;
    }
    const total = query.states !== undefined && query.states.length > 0 ? query.states.reduce((sum, s) => sum + counts[s], 0) : Object.values(counts).reduce((a, b) => a + b, 0);
    return { jobs: rows.map(toJobView), total, counts };
  }

  /** The job that ended last (through the partial index on finished_ms). */
  lastFinished(): JobRow | undefined {
    return this.db.prepare('SELECT * FROM inference_jobs WHERE finished_ms IS NOT NULL ORDER BY finished_ms DESC LIMIT 1').get() as JobRow | undefined;
  }

  /** Jobs of a competition reported to the router in [sinceMs, untilMs) (the Rewards checklist's work done). */
  countReported(networkId: string, competitionId: string, sinceMs: number, untilMs: number): number {
    return (
      this.db
        .prepare("SELECT COUNT(*) AS n FROM inference_jobs WHERE finished_ms >= ? AND finished_ms < ? AND state = 'reported' AND network_id = ? AND competition_id = ?")
        .get(sinceMs, untilMs, networkId, competitionId) as { n: number }
    ).n;
  }

  byTask(sessionId: number, taskId: number): JobRow | undefined {
    return this.db.prepare('SELECT * FROM inference_jobs WHERE session_id = ? AND task_id = ? ORDER BY seq DESC LIMIT 1').get(sessionId, taskId) as JobRow | undefined;
  }

  stats(nowMs: number, windowS: number): InferenceStats {
    const since = nowMs - windowS * 1000;
    const recent = this.db.prepare('SELECT competition_id, state, total_ms FROM inference_jobs WHERE finished_ms >= ?').all(since) as { competition_id: string; state: JobState; total_ms: number | null }[];
    const latencies = recent.filter((r) => r.state === 'reported' && r.total_ms !== null).map((r) => r.total_ms!).sort((a, b) => a - b);
    // One rate, one definition (jobs reported in the window), for the figures and for each session's row.
    const perMinute = (n: number): number => Math.round((n / windowS) * 60 * 10) / 10;
    const reportedBy = new Map<string, number>();
    for (const r of recent) if (r.state === 'reported' && r.total_ms !== null) reportedBy.set(r.competition_id, (reportedBy.get(r.competition_id) ?? 0) + 1);
    const pct = (p: number): number | null => (latencies.length === 0 ? null : latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!);
    const totals = this.db.prepare("SELECT state, COUNT(*) AS n FROM inference_jobs WHERE state IN ('reported', 'failed') GROUP BY state").all() as { state: JobState; n: number }[];
    const failed = recent.filter((r) => r.state === 'failed').length;
    return {
      windowS,
      reported: latencies.length,
      failed,
      jobsPerMinute: perMinute(latencies.length),
      perCompetition: [...reportedBy].map(([competitionId, reported]) => ({ competitionId, reported, jobsPerMinute: perMinute(reported) })),
      p50Ms: pct(50),
      p99Ms: pct(99),
      totalReported: totals.find((t) => t.state === 'reported')?.n ?? 0,
      totalFailed: totals.find((t) => t.state === 'failed')?.n ?? 0,
    };
  }

  concurrency(competitionId: string): number | null {
    const r = this.db.prepare('SELECT concurrency FROM inference_workers WHERE competition_id = ?').get(competitionId) as { concurrency: number } | undefined;
    return r?.concurrency ?? null;
  }

  setConcurrency(competitionId: string, concurrency: number, at: string): void {
    this.db
      .prepare('INSERT INTO inference_workers (competition_id, concurrency, updated_at) VALUES (?, ?, ?) ON CONFLICT(competition_id) DO UPDATE SET concurrency = excluded.concurrency, updated_at = excluded.updated_at')
      .run(competitionId, concurrency, at);
  }
}
