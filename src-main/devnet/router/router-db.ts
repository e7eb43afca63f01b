/**
 * The router's own SQLite (`<dataDir>/devnet/router/router.db`). It holds ids, URNs, states,
 * sizes and times — never a prompt, an output or a key:
 * - `sessions`: the router's sessions (private or not) and the next task id of each;
 * - `payloads`: one row per offchain URN (session, plain/encrypted, key version, size); the
 *   envelope itself is a file of the blob store (blob-store.ts);
 * - `jobs`: the SessionQueue — one job per task, its lease, deadline and outcome;
 * - `replay_nonces`: the §2.6 nonce store (common/replay-store.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { routerDir } from './router-config';

export type RouterDb = Database.Database;

export interface SessionRow {
  session_id: number;
  private: 0 | 1;
  competition_id: string | null;
  next_task_id: number;
}

export type JobState = 'queued' | 'leased' | 'done' | 'failed' | 'withdrawn';

export interface JobRow {
  job_id: string;
  session_id: number;
  task_id: number;
  input_urn: string;
  state: JobState;
  miner: string | null;
  lease_expires_at: number | null;
  deadline: number;
  result_urn: string | null;
  fail_code: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface PayloadRow {
  urn: string;
  session_id: number;
  payload_type: 'plain' | 'encrypted';
  key_version: string | null;
  size: number;
  created_at: number;
  updated_at: number;
  /** Who stored it: the miner's lowercase address, `app` for the bearer-token caller (null: before this column). */
  uploader?: string | null;
}

export function openRouterDb(dataDir: string): RouterDb {
  const dir = routerDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dir, 'router.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS sessions (
      session_id INTEGER PRIMARY KEY, private INTEGER NOT NULL CHECK (private IN (0, 1)),
      competition_id TEXT, next_task_id INTEGER NOT NULL DEFAULT 1);
    CREATE TABLE IF NOT EXISTS payloads (
      urn TEXT PRIMARY KEY, session_id INTEGER NOT NULL,
      payload_type TEXT NOT NULL CHECK (payload_type IN ('plain', 'encrypted')),
      key_version TEXT, size INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS payloads_version ON payloads(payload_type, key_version);
    CREATE TABLE IF NOT EXISTS jobs (
      job_id TEXT PRIMARY KEY, session_id INTEGER NOT NULL, task_id INTEGER NOT NULL, input_urn TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'done', 'failed', 'withdrawn')),
      miner TEXT, lease_expires_at INTEGER, deadline INTEGER NOT NULL,
      result_urn TEXT, fail_code TEXT, created_at INTEGER NOT NULL, finished_at INTEGER,
      UNIQUE (session_id, task_id)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS jobs_open ON jobs(state, session_id, created_at);`);
  // Who stored a payload, so that an uploader's own URN (PUT /api/v2/offchain/<urn>) is idempotent
  // for it and refused to anyone else; added to router databases made before it.
  if (!(db.prepare(`PRAGMA table_info(payloads)`).all() as { name: string }[]).some((c) => c.name === 'uploader')) db.exec(`ALTER TABLE payloads ADD COLUMN uploader TEXT`);
  return db;
}

export class RouterRepo {
  constructor(private readonly db: RouterDb) {}

  ensureSession(sessionId: number, isPrivate: boolean, competitionId: string | null): void {
    this.db
      .prepare(`INSERT INTO sessions(session_id, private, competition_id) VALUES (?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET private = excluded.private, competition_id = excluded.competition_id`)
      .run(sessionId, isPrivate ? 1 : 0, competitionId);
  }

  session(sessionId: number): SessionRow | undefined {
    return this.db.prepare(`SELECT * FROM sessions WHERE session_id = ?`).get(sessionId) as SessionRow | undefined;
  }

  sessions(): SessionRow[] {
    return this.db.prepare(`SELECT * FROM sessions ORDER BY session_id`).all() as SessionRow[];
  }

  /** Takes the session's next task id (increasing, never reused). */
  nextTaskId(sessionId: number): number {
    return this.db.transaction(() => {
      const row = this.db.prepare(`SELECT next_task_id FROM sessions WHERE session_id = ?`).get(sessionId) as { next_task_id: number };
      this.db.prepare(`UPDATE sessions SET next_task_id = ? WHERE session_id = ?`).run(row.next_task_id + 1, sessionId);
      return row.next_task_id;
    })();
  }

  jobByTask(sessionId: number, taskId: number): JobRow | undefined {
    return this.db.prepare(`SELECT * FROM jobs WHERE session_id = ? AND task_id = ?`).get(sessionId, taskId) as JobRow | undefined;
  }

  taskExists(sessionId: number, taskId: number): boolean {
    return this.db.prepare(`SELECT 1 FROM jobs WHERE session_id = ? AND task_id = ?`).get(sessionId, taskId) !== undefined;
  }

  // ---- payloads ----------------------------------------------------------------------------

  putPayload(row: PayloadRow): void {
    this.db
      .prepare(
        `INSERT INTO payloads(urn, session_id, payload_type, key_version, size, created_at, updated_at, uploader) VALUES (@urn, @session_id, @payload_type, @key_version, @size, @created_at, @updated_at, @uploader)
         ON CONFLICT(urn) DO UPDATE SET payload_type = excluded.payload_type, key_version = excluded.key_version, size = excluded.size, updated_at = excluded.updated_at`,
      )
      .run({ uploader: null, ...row });
  }

  payload(urn: string): PayloadRow | undefined {
    return this.db.prepare(`SELECT * FROM payloads WHERE urn = ?`).get(urn) as PayloadRow | undefined;
  }

  /** Encrypted payloads of private sessions (the rotation tooling's worklist), in URN order. */
  privatePayloads(): PayloadRow[] {
    return this.db
      .prepare(`SELECT p.* FROM payloads p JOIN sessions s ON s.session_id = p.session_id WHERE s.private = 1 AND p.payload_type = 'encrypted' ORDER BY p.urn`)
      .all() as PayloadRow[];
  }

  countByVersion(version: string): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM payloads WHERE payload_type = 'encrypted' AND key_version = ?`).get(version) as { n: number }).n;
  }

  // ---- jobs (the SessionQueue) ---------------------------------------------------------------

  insertJob(job: Pick<JobRow, 'job_id' | 'session_id' | 'task_id' | 'input_urn' | 'deadline' | 'created_at'>): void {
    this.db
      .prepare(`INSERT INTO jobs(job_id, session_id, task_id, input_urn, state, deadline, created_at) VALUES (@job_id, @session_id, @task_id, @input_urn, 'queued', @deadline, @created_at)`)
      .run(job);
  }

  job(jobId: string): JobRow | undefined {
    return this.db.prepare(`SELECT * FROM jobs WHERE job_id = ?`).get(jobId) as JobRow | undefined;
  }

  /**
   * Leases up to `max` open jobs to `miner` (lowercase): queued ones, and leased ones whose lease
   * expired, of the sessions it serves wholly or of the tasks it is allowed for; never past their deadline.
   */
  lease(miner: string, serves: readonly { sessionId: number; tasks: readonly number[] | 'all' }[], max: number, nowMs: number, leaseMs: number): JobRow[] {
    return this.db.transaction(() => {
      const out: JobRow[] = [];
      for (const s of serves) {
        if (out.length >= max) break;
        if (s.tasks !== 'all' && s.tasks.length === 0) continue;
        const taskFilter = s.tasks === 'all' ? '' : ` AND task_id IN (${s.tasks.map(() => '?').join(',')})`;
        const rows = this.db
          .prepare(
            `SELECT * FROM jobs WHERE session_id = ? AND deadline > ? AND (state = 'queued' OR (state = 'leased' AND lease_expires_at <= ?))${taskFilter} ORDER BY created_at, task_id LIMIT ?`,
          )
          .all(s.sessionId, nowMs, nowMs, ...(s.tasks === 'all' ? [] : s.tasks), max - out.length) as JobRow[];
        for (const r of rows) {
          this.db.prepare(`UPDATE jobs SET state = 'leased', miner = ?, lease_expires_at = ? WHERE job_id = ?`).run(miner, nowMs + leaseMs, r.job_id);
          out.push({ ...r, state: 'leased', miner, lease_expires_at: nowMs + leaseMs });
        }
      }
      return out;
    })();
  }

  /** Jobs leased to `miner` whose lease still runs (a miner that restarted takes them back at once). */
  leasedTo(miner: string, nowMs: number): JobRow[] {
    return this.db.prepare(`SELECT * FROM jobs WHERE state = 'leased' AND miner = ? AND lease_expires_at > ? AND deadline > ? ORDER BY created_at, task_id LIMIT 100`).all(miner, nowMs, nowMs) as JobRow[];
  }

  extendLease(jobId: string, expiresAt: number): void {
    this.db.prepare(`UPDATE jobs SET lease_expires_at = ? WHERE job_id = ?`).run(expiresAt, jobId);
  }

  finish(jobId: string, state: 'done' | 'failed' | 'withdrawn', fields: { result_urn?: string; fail_code?: string }, nowMs: number): void {
    this.db
      .prepare(`UPDATE jobs SET state = ?, result_urn = COALESCE(?, result_urn), fail_code = COALESCE(?, fail_code), finished_at = ? WHERE job_id = ?`)
      .run(state, fields.result_urn ?? null, fields.fail_code ?? null, nowMs, jobId);
  }

  /** After a restart nobody waits for open jobs any more: withdraw them. */
  withdrawOpen(nowMs: number): number {
    return this.db.prepare(`UPDATE jobs SET state = 'withdrawn', finished_at = ? WHERE state IN ('queued', 'leased')`).run(nowMs).changes;
  }

  /** Forgets finished jobs older than `beforeMs` (at least an hour is kept, §2.6). */
  sweepFinished(beforeMs: number): void {
    this.db.prepare(`DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?`).run(beforeMs);
  }

  /** Milliseconds until the next leased job's lease runs out (for long polls), or null. */
  nextLeaseExpiry(nowMs: number): number | null {
    const row = this.db.prepare(`SELECT MIN(lease_expires_at) AS t FROM jobs WHERE state = 'leased' AND lease_expires_at > ?`).get(nowMs) as { t: number | null };
    return row.t === null ? null : row.t - nowMs;
  }
}
