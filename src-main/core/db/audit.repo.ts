import type { Db } from './open';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
}

/** Append-only record of what the user (or the app on their behalf) did. Never holds secrets. */
export class AuditRepo {
  constructor(private readonly db: Db) {}

  append(entry: { at: string; actor: string; action: string; detail?: Record<string, unknown> }): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, action, detail_json) VALUES (?, ?, ?, ?)')
      .run(entry.at, entry.actor, entry.action, JSON.stringify(entry.detail ?? {}));
  }

  recent(limit: number): AuditEntry[] {
    const rows = this.db.prepare('SELECT id, at, actor, action, detail_json FROM audit_log ORDER BY id DESC LIMIT ?').all(limit) as {
      id: number;
      at: string;
      actor: string;
      action: string;
      detail_json: string;
    }[];
    return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, detail: JSON.parse(r.detail_json) as Record<string, unknown> }));
  }
}
