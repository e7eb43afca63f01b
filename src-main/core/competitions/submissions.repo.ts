import type { ChallengeSubmissionView } from '@shared/contract/competitions';
import type { Db } from '../db/open';
import type { FlowStore } from '../kernel/flow-engine';

/** A Platform challenge submission sent from this app, and where its evaluation stands. */
export interface SubmissionRow {
  /** `<network>/<competition>/<hub's id>` (a local id when the hub gave none): the flow's id. */
  key: string;
  networkId: string;
  competitionId: string;
  submissionId: string | null;
  hotkey: string;
  fileName: string;
  bytes: number;
  sha256: string;
  submittedAt: string;
  /** When the follow window (`statusFollowMs`) starts: the last "Check again" after Minerva stopped for its age; null = `submittedAt`. */
  followFrom: string | null;
  status: string | null;
  score: number | null;
  reason: string | null;
  following: 'following' | 'done' | 'stopped';
  /** Answers the hub gave since the submission, and checks in a row it did not answer. */
  checks: number;
  failures: number;
  checkedAt: string | null;
  nextCheckAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  updatedAt: string;
}

interface Raw {
  key: string;
  network_id: string;
  competition_id: string;
  submission_id: string | null;
  hotkey: string;
  file_name: string;
  bytes: number;
  sha256: string;
  submitted_at: string;
  follow_from: string | null;
  status: string | null;
  score: number | null;
  reason: string | null;
  following: SubmissionRow['following'];
  checks: number;
  failures: number;
  checked_at: string | null;
  next_check_at: string | null;
  error_code: string | null;
  error_message: string | null;
  updated_at: string;
}

const fromRaw = (r: Raw): SubmissionRow => ({
  key: r.key,
  networkId: r.network_id,
  competitionId: r.competition_id,
  submissionId: r.submission_id,
  hotkey: r.hotkey,
  fileName: r.file_name,
  bytes: r.bytes,
  sha256: r.sha256,
  submittedAt: r.submitted_at,
  followFrom: r.follow_from,
  status: r.status,
  score: r.score,
  reason: r.reason,
  following: r.following,
  checks: r.checks,
  failures: r.failures,
  checkedAt: r.checked_at,
  nextCheckAt: r.next_check_at,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  updatedAt: r.updated_at,
});

/** Challenge submissions per (network, competition), newest last; the status flow's store. */
export class SubmissionsRepo {
  constructor(private readonly db: Db) {}

  get(key: string): SubmissionRow | undefined {
    const raw = this.db.prepare('SELECT * FROM challenge_submissions WHERE key = ?').get(key) as Raw | undefined;
    return raw ? fromRaw(raw) : undefined;
  }

  /** A competition's submissions, newest first. */
  latest(networkId: string, competitionId: string, limit: number): SubmissionRow[] {
    return (this.db.prepare('SELECT * FROM challenge_submissions WHERE network_id = ? AND competition_id = ? ORDER BY submitted_at DESC, rowid DESC LIMIT ?').all(networkId, competitionId, limit) as Raw[]).map(fromRaw);
  }

  flowStore(now: () => Date): FlowStore<SubmissionRow> {
    return {
      get: (key) => this.get(key),
      unfinished: () => (this.db.prepare("SELECT * FROM challenge_submissions WHERE following = 'following' ORDER BY submitted_at").all() as Raw[]).map(fromRaw),
      save: (key, patch) => {
        const row = this.get(key);
        if (!row) throw new Error(`no challenge submission ${key}`);
        const next = { ...row, ...patch, updatedAt: now().toISOString() };
        this.save(next);
        return next;
      },
    };
  }

  save(row: SubmissionRow): void {
    this.db
      .prepare(
        `INSERT INTO challenge_submissions (key, network_id, competition_id, submission_id, hotkey, file_name, bytes, sha256, submitted_at, follow_from, status, score, reason, following, checks, failures, checked_at, next_check_at, error_code, error_message, updated_at)
         VALUES (@key, @networkId, @competitionId, @submissionId, @hotkey, @fileName, @bytes, @sha256, @submittedAt, @followFrom, @status, @score, @reason, @following, @checks, @failures, @checkedAt, @nextCheckAt, @errorCode, @errorMessage, @updatedAt)
         ON CONFLICT(key) DO UPDATE SET follow_from = excluded.follow_from, status = excluded.status, score = excluded.score, reason = excluded.reason, following = excluded.following, checks = excluded.checks,
           failures = excluded.failures, checked_at = excluded.checked_at, next_check_at = excluded.next_check_at, error_code = excluded.error_code,
           error_message = excluded.error_message, updated_at = excluded.updated_at`,
      )
      .run(row);
  }
}

export function submissionView(row: SubmissionRow): ChallengeSubmissionView {
  return {
    competitionId: row.competitionId,
    submissionId: row.submissionId,
    status: row.status,
    score: row.score,
    reason: row.reason,
    hotkey: row.hotkey,
    fileName: row.fileName,
    bytes: row.bytes,
    sha256: row.sha256,
    at: row.submittedAt,
    following: row.following,
    checkedAt: row.checkedAt,
    nextCheckAt: row.following === 'following' ? row.nextCheckAt : null,
    error: row.errorCode && row.errorMessage ? { code: row.errorCode, message: row.errorMessage } : null,
  };
}
