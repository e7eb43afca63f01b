import type { Db } from '../db/open';
import { DEFAULT_BITTENSOR_SETTINGS, type BittensorSettings, type ChainIdentityView, type NetworkProfile } from '@shared/contract/networks';

interface ProfileRow {
  id: string;
  name: string;
  kind: 'custom' | 'bittensor';
  chain_url: string;
  hub_url: string;
  genesis_hash: string | null;
  chain_json: string | null;
  settings_json: string | null;
}

/** Networks the user added. The practice network is built in and never stored. */
export class NetworkProfilesRepo {
  constructor(private readonly db: Db) {}

  list(): NetworkProfile[] {
    const rows = this.db.prepare('SELECT id, name, kind, chain_url, hub_url, genesis_hash, chain_json, settings_json FROM network_profiles ORDER BY created_at, id').all() as ProfileRow[];
    return rows.map((r) =>
      r.kind === 'bittensor'
        ? { id: r.id, name: r.name, kind: 'bittensor', chainUrl: r.chain_url, hubUrl: null, builtin: false, chain: parseChain(r), settings: parseSettings(r) }
        : { id: r.id, name: r.name, kind: 'custom', chainUrl: r.chain_url, hubUrl: r.hub_url, builtin: false },
    );
  }

  insert(profile: { id: string; name: string; chainUrl: string; hubUrl: string }, at: string): void {
    this.db.prepare('INSERT INTO network_profiles (id, name, chain_url, hub_url, created_at) VALUES (?, ?, ?, ?, ?)').run(profile.id, profile.name, profile.chainUrl, profile.hubUrl, at);
  }

  insertBittensor(profile: { id: string; name: string; endpoint: string; chain: ChainIdentityView }, at: string): void {
    this.db
      .prepare("INSERT INTO network_profiles (id, name, kind, chain_url, hub_url, genesis_hash, chain_json, created_at) VALUES (?, ?, 'bittensor', ?, '', ?, ?, ?)")
      .run(profile.id, profile.name, profile.endpoint, profile.chain.genesisHash, JSON.stringify(profile.chain), at);
  }

  setSettings(id: string, settings: BittensorSettings): void {
    this.db.prepare("UPDATE network_profiles SET settings_json = ? WHERE id = ? AND kind = 'bittensor'").run(JSON.stringify(settings), id);
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM network_profiles WHERE id = ?').run(id).changes > 0;
  }
}

function parseChain(row: ProfileRow): ChainIdentityView | null {
  if (!row.genesis_hash) return null;
  let chain: ChainIdentityView | null = null;
  try {
    chain = JSON.parse(row.chain_json ?? 'null') as ChainIdentityView | null;
  } catch {
    chain = null; // the genesis hash alone still pins the chain
  }
  return { preset: 'custom', chain: '?', specName: 'node-subtensor', specVersion: 0, tokenSymbol: 'TAO', tokenDecimals: 9, block: 0, ...chain, genesisHash: row.genesis_hash };
}

function parseSettings(row: ProfileRow): BittensorSettings {
  try {
    return { ...DEFAULT_BITTENSOR_SETTINGS, ...(JSON.parse(row.settings_json ?? '{}') as Partial<BittensorSettings>) };
  } catch {
    return DEFAULT_BITTENSOR_SETTINGS; // written by this app only; a damaged value falls back to the defaults
  }
}
