import type { MembershipState, MembershipStep } from '@shared/contract/competitions';
import type { Db } from '../db/open';
import type { FlowStore } from '../kernel/flow-engine';

export interface MembershipRow {
  networkId: string;
  competitionId: string;
  kind: string;
  hotkey: string;
  state: MembershipState;
  intent: 'join' | 'leave';
  steps: MembershipStep[];
  /** A registration or deregistration already sent, followed on resume instead of sending another. */
  pendingTx: string | null;
  attempts: number;
  retryAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  joinedAt: string | null;
  updatedAt: string;
}

interface Raw {
  network_id: string;
  competition_id: string;
  kind: string;
  hotkey: string;
  state: MembershipState;
  intent: 'join' | 'leave';
  steps_json: string;
  pending_tx: string | null;
  attempts: number;
  retry_at: string | null;
  error_code: string | null;
  error_message: string | null;
  joined_at: string | null;
  updated_at: string;
}

const fromRaw = (r: Raw): MembershipRow => ({
  networkId: r.network_id,
  competitionId: r.competition_id,
  kind: r.kind,
  hotkey: r.hotkey,
  state: r.state,
  intent: r.intent,
  steps: JSON.parse(r.steps_json) as MembershipStep[],
  pendingTx: r.pending_tx,
  attempts: r.attempts,
  retryAt: r.retry_at,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  joinedAt: r.joined_at,
  updatedAt: r.updated_at,
});

/** Memberships per (network, competition): the persisted state of each join/leave flow. */
export class MembershipsRepo {
  constructor(private readonly db: Db) {}

  get(networkId: string, competitionId: string): MembershipRow | undefined {
    const raw = this.db.prepare('SELECT * FROM memberships WHERE network_id = ? AND competition_id = ?').get(networkId, competitionId) as Raw | undefined;
    return raw ? fromRaw(raw) : undefined;
  }

  list(networkId?: string): MembershipRow[] {
    const rows = (networkId === undefined
      ? this.db.prepare('SELECT * FROM memberships ORDER BY updated_at').all()
      : this.db.prepare('SELECT * FROM memberships WHERE network_id = ? ORDER BY updated_at').all(networkId)) as Raw[];
    return rows.map(fromRaw);
  }

  /**
   * The membership flow's store: a flow's id is `<network>/<competition>` (kept whole in SQL, so
   * neither part is ever split), each patch one upsert stamped with `updated_at`.
   */
  flowStore(now: () => Date): FlowStore<MembershipRow> {
    const byId = (id: string): MembershipRow | undefined => {
      const raw = this.db.prepare("SELECT * FROM memberships WHERE network_id || '/' || competition_id = ?").get(id) as Raw | undefined;
      return raw ? fromRaw(raw) : undefined;
    };
    return {
      get: byId,
      unfinished: () => (this.db.prepare("SELECT * FROM memberships WHERE state IN ('joining', 'leaving') ORDER BY updated_at").all() as Raw[]).map(fromRaw),
      save: (id, patch) => {
        const row = byId(id);
        if (!row) throw new Error(`no membership ${id}`);
        const next = { ...row, ...patch, updatedAt: now().toISOString() };
        this.save(next);
        return next;
      },
    };
  }

  save(row: MembershipRow): void {
    this.db
      .prepare(
        `INSERT INTO memberships (network_id, competition_id, kind, hotkey, state, intent, steps_json, pending_tx, attempts, retry_at, error_code, error_message, joined_at, updated_at)
         VALUES (@networkId, @competitionId, @kind, @hotkey, @state, @intent, @steps, @pendingTx, @attempts, @retryAt, @errorCode, @errorMessage, @joinedAt, @updatedAt)
         ON CONFLICT(network_id, competition_id) DO UPDATE SET kind = excluded.kind, hotkey = excluded.hotkey, state = excluded.state, intent = excluded.intent,
           steps_json = excluded.steps_json, pending_tx = excluded.pending_tx, attempts = excluded.attempts, retry_at = excluded.retry_at,
           error_code = excluded.error_code, error_message = excluded.error_message, joined_at = excluded.joined_at, updated_at = excluded.updated_at`,
      )
      .run({ ...row, steps: JSON.stringify(row.steps) });
  }
}

export class CatalogueCacheRepo {
  constructor(private readonly db: Db) {}

  get(networkId: string): { fetchedAt: string; json: string } | undefined {
    const row = this.db.prepare('SELECT fetched_at, catalogue_json FROM catalogue_cache WHERE network_id = ?').get(networkId) as { fetched_at: string; catalogue_json: string } | undefined;
    return row ? { fetchedAt: row.fetched_at, json: row.catalogue_json } : undefined;
  }

  put(networkId: string, fetchedAt: string, json: string): void {
    this.db
      .prepare('INSERT INTO catalogue_cache (network_id, fetched_at, catalogue_json) VALUES (?, ?, ?) ON CONFLICT(network_id) DO UPDATE SET fetched_at = excluded.fetched_at, catalogue_json = excluded.catalogue_json')
      .run(networkId, fetchedAt, json);
  }
}
