import type { CheckpointState, CheckpointStep } from '@shared/contract/checkpoints';
import type { Db } from '../db/open';
import type { FlowStore } from '../kernel/flow-engine';

/** One row per submission: every fact a resumed flow needs, never file contents or keys. */
export interface SubmissionRow {
  id: string;
  networkId: string;
  competitionId: string;
  expertGroup: string;
  filePath: string;
  fileSize: number | null;
  fileMtimeMs: number | null;
  sha256: string | null;
  hotkey: string;
  state: CheckpointState;
  steps: CheckpointStep[];
  commitTx: string | null;
  commitBlock: number | null;
  commitRound: number | null;
  publishUrl: string | null;
  submitBlock: number | null;
  submitMessage: Record<string, unknown> | null;
  submissionId: string | null;
  verdict: { status: 'pending' | 'accepted' | 'rejected'; reason: string | null; score: number | null; words: string } | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  updatedAt: string;
}

type Raw = Record<string, unknown>;

const COLUMNS: [keyof SubmissionRow, string, 'json' | 'plain'][] = [
  ['id', 'id', 'plain'],
  ['networkId', 'network_id', 'plain'],
  ['competitionId', 'competition_id', 'plain'],
  ['expertGroup', 'expert_group', 'plain'],
  ['filePath', 'file_path', 'plain'],
  ['fileSize', 'file_size', 'plain'],
  ['fileMtimeMs', 'file_mtime_ms', 'plain'],
  ['sha256', 'sha256', 'plain'],
  ['hotkey', 'hotkey', 'plain'],
  ['state', 'state', 'plain'],
  ['steps', 'steps_json', 'json'],
  ['commitTx', 'commit_tx', 'plain'],
  ['commitBlock', 'commit_block', 'plain'],
  ['commitRound', 'commit_round', 'plain'],
  ['publishUrl', 'publish_url', 'plain'],
  ['submitBlock', 'submit_block', 'plain'],
  ['submitMessage', 'submit_message_json', 'json'],
  ['submissionId', 'submission_id', 'plain'],
  ['verdict', 'verdict_json', 'json'],
  ['errorCode', 'error_code', 'plain'],
  ['errorMessage', 'error_message', 'plain'],
  ['createdAt', 'created_at', 'plain'],
  ['updatedAt', 'updated_at', 'plain'],
];

function fromRaw(raw: Raw): SubmissionRow {
  const row: Record<string, unknown> = {};
  for (const [key, column, kind] of COLUMNS) {
    const value = raw[column];
    row[key] = kind === 'json' ? (value === null || value === undefined ? null : JSON.parse(value as string)) : (value ?? null);
  }
  return row as unknown as SubmissionRow;
}

export class CheckpointsRepo {
  constructor(private readonly db: Db) {}

  get(id: string): SubmissionRow | undefined {
    const raw = this.db.prepare('SELECT * FROM checkpoint_submissions WHERE id = ?').get(id) as Raw | undefined;
    return raw ? fromRaw(raw) : undefined;
  }

  list(limit = 200): SubmissionRow[] {
    return (this.db.prepare('SELECT * FROM checkpoint_submissions ORDER BY created_at DESC LIMIT ?').all(limit) as Raw[]).map(fromRaw);
  }

  /** Accepted submissions of a competition whose verdict came in [since, until) (iso times). */
  countAccepted(networkId: string, competitionId: string, since: string, until: string): number {
    return (
      this.db
        .prepare("SELECT COUNT(*) AS n FROM checkpoint_submissions WHERE network_id = ? AND competition_id = ? AND state = 'accepted' AND updated_at >= ? AND updated_at < ?")
        .get(networkId, competitionId, since, until) as { n: number }
    ).n;
  }

  unfinished(): SubmissionRow[] {
    return (this.db.prepare("SELECT * FROM checkpoint_submissions WHERE state IN ('running', 'waiting') ORDER BY created_at").all() as Raw[]).map(fromRaw);
  }

  /** The submission flow's store: each patch one upsert stamped with `updated_at`, then `onSaved`. */
  flowStore(now: () => Date, onSaved: (row: SubmissionRow) => void): FlowStore<SubmissionRow> {
    return {
      get: (id) => this.get(id),
      unfinished: () => this.unfinished(),
      save: (id, patch) => {
        const row = this.get(id);
        if (!row) throw new Error(`no checkpoint submission ${id}`);
        const next = { ...row, ...patch, updatedAt: now().toISOString() };
        this.save(next);
        onSaved(next);
        return next;
      },
    };
  }

  save(row: SubmissionRow): void {
    const names = COLUMNS.map(([, column]) => column);
    const values = COLUMNS.map(([key, , kind]) => (kind === 'json' ? (row[key] === null ? null : JSON.stringify(row[key])) : row[key]));
    const updates = names.filter((n) => n !== 'id').map((n) => `${n} = excluded.${n}`);
    this.db
      .prepare(`INSERT INTO checkpoint_submissions (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT(id) DO UPDATE SET ${updates.join(', ')}`)
      .run(...values);
  }

  /** Files of submissions that may still read them: not judged yet (a failed one keeps its file for Retry). */
  filesInUse(): string[] {
    return (this.db.prepare("SELECT file_path FROM checkpoint_submissions WHERE state NOT IN ('accepted', 'rejected')").all() as { file_path: string }[]).map((r) => r.file_path);
  }

  /** Whether the miner agreed to publish checkpoints to this network (asked before the first publish). */
  publishConsented(networkId: string): boolean {
    return this.db.prepare('SELECT 1 FROM checkpoint_publish_consent WHERE network_id = ?').get(networkId) !== undefined;
  }

  recordPublishConsent(networkId: string, fileName: string, at: string): void {
    this.db.prepare('INSERT INTO checkpoint_publish_consent (network_id, file_name, consented_at) VALUES (?, ?, ?) ON CONFLICT(network_id) DO NOTHING').run(networkId, fileName, at);
  }
}
