import type { Migration } from '../db/migrations';

/** This feature's tables (versions in tens, shared numbering with every feature: see db/migrations.ts). */
export const networksMigrations: readonly Migration[] = [
  {
    version: 20,
    name: 'network profiles',
    up(db) {
      db.exec(`
        CREATE TABLE network_profiles (
          id TEXT PRIMARY KEY NOT NULL,
          name TEXT NOT NULL,
          chain_url TEXT NOT NULL,
          hub_url TEXT NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 100,
    name: 'bittensor profiles and registrations',
    // A profile's kind, and for Bittensor the genesis hash it was added with (every later connection
    // must match it) and the identity read then. chain_url holds the ws(s):// endpoint, hub_url ''.
    // Registrations by burn are kept so that "deregistered" can be told from "never registered".
    up(db) {
      db.exec(`
        ALTER TABLE network_profiles ADD COLUMN kind TEXT NOT NULL DEFAULT 'custom' CHECK (kind IN ('custom', 'bittensor'));
        ALTER TABLE network_profiles ADD COLUMN genesis_hash TEXT CHECK (kind = 'custom' OR genesis_hash IS NOT NULL);
        ALTER TABLE network_profiles ADD COLUMN chain_json TEXT;
        CREATE TABLE bittensor_registrations (
          network_id TEXT NOT NULL,
          netuid INTEGER NOT NULL CHECK (netuid >= 0),
          hotkey TEXT NOT NULL,
          uid INTEGER NOT NULL,
          block INTEGER NOT NULL,
          block_hash TEXT NOT NULL,
          burn_rao TEXT NOT NULL,
          registered_at TEXT NOT NULL,
          PRIMARY KEY (network_id, netuid, hotkey)
        ) STRICT;
      `);
    },
  },
  {
    version: 120,
    name: 'bittensor profile settings',
    // JSON of BittensorSettings (signing prefix, Connito competition); NULL = the defaults.
    up(db) {
      db.exec('ALTER TABLE network_profiles ADD COLUMN settings_json TEXT;');
    },
  },
];
