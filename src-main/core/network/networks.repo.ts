import type { Db } from '../db/open';
import type { NetworkProfile } from '@shared/contract/networks';

/** Networks the user added. The practice network is built in and never stored. */
export class NetworkProfilesRepo {
  constructor(private readonly db: Db) {}

  list(): NetworkProfile[] {
    const rows = this.db.prepare('SELECT id, name, chain_url, hub_url FROM network_profiles ORDER BY created_at, id').all() as {
      id: string;
      name: string;
      chain_url: string;
      hub_url: string;
    }[];
    return rows.map((r) => ({ id: r.id, name: r.name, kind: 'custom', chainUrl: r.chain_url, hubUrl: r.hub_url, builtin: false }));
  }

  insert(profile: { id: string; name: string; chainUrl: string; hubUrl: string }, at: string): void {
    this.db.prepare('INSERT INTO network_profiles (id, name, chain_url, hub_url, created_at) VALUES (?, ?, ?, ?, ?)').run(profile.id, profile.name, profile.chainUrl, profile.hubUrl, at);
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM network_profiles WHERE id = ?').run(id).changes > 0;
  }
}
