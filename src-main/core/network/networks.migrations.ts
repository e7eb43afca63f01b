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
];
