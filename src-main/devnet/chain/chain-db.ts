/**
 * The chain's own SQLite (`<dataDir>/devnet/chain/chain.db`): blocks, transactions, accounts and
 * every registry. Schema only; the rules live in chain-node.ts.
 *
 * Commitments are insert-only: triggers refuse any UPDATE or DELETE, so "a record never changes"
 * holds even against a bug in the node.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type ChainDb = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (
  number INTEGER PRIMARY KEY, hash TEXT NOT NULL, parent_hash TEXT NOT NULL, at TEXT NOT NULL, tx_ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
  tx_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, kind TEXT NOT NULL, signer TEXT NOT NULL, scheme TEXT NOT NULL,
  nonce INTEGER NOT NULL, args_json TEXT NOT NULL, signature TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','included','failed')), block INTEGER,
  error_code TEXT, error_message TEXT, received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS txs_state_seq ON txs(state, seq);
CREATE TABLE IF NOT EXISTS nonces (signer TEXT PRIMARY KEY, next_nonce INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS competitions (competition_id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS authorities (role TEXT PRIMARY KEY, address TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS balances (address TEXT PRIMARY KEY, units TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hotkeys (
  competition_id TEXT NOT NULL, hotkey TEXT NOT NULL, coldkey TEXT NOT NULL, scheme TEXT NOT NULL,
  public_key TEXT NOT NULL, registered_block INTEGER NOT NULL, PRIMARY KEY (competition_id, hotkey)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hotkey_events (
  id INTEGER PRIMARY KEY, competition_id TEXT NOT NULL, hotkey TEXT NOT NULL, event TEXT NOT NULL, detail TEXT, block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS commitments (
  id INTEGER PRIMARY KEY, competition_id TEXT NOT NULL, hotkey TEXT NOT NULL, expert_group TEXT NOT NULL,
  round INTEGER NOT NULL, hash TEXT NOT NULL, block INTEGER NOT NULL, tx_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS commitments_lookup ON commitments(competition_id, hotkey, expert_group, round, id);
CREATE TRIGGER IF NOT EXISTS commitments_no_update BEFORE UPDATE ON commitments BEGIN SELECT RAISE(ABORT, 'commitments never change'); END;
CREATE TRIGGER IF NOT EXISTS commitments_no_delete BEFORE DELETE ON commitments BEGIN SELECT RAISE(ABORT, 'commitments never change'); END;
CREATE TABLE IF NOT EXISTS coordinators (
  competition_id TEXT PRIMARY KEY, wallet_b58 TEXT NOT NULL, smp_hotkey_b58 TEXT NOT NULL,
  cert_primary TEXT NOT NULL, cert_secondary TEXT NOT NULL, updated_block INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runners (
  competition_id TEXT NOT NULL, model_id TEXT NOT NULL, wallet_b58 TEXT NOT NULL, smp_hotkey_b58 TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '', payout_hotkey TEXT NOT NULL DEFAULT '',
  updated_block INTEGER NOT NULL, PRIMARY KEY (competition_id, model_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_members (
  session_id INTEGER NOT NULL, eoa TEXT NOT NULL, hotkey TEXT NOT NULL, competition_id TEXT NOT NULL,
  added_block INTEGER NOT NULL, PRIMARY KEY (session_id, eoa)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rewards (
  id INTEGER PRIMARY KEY, block INTEGER NOT NULL, at TEXT NOT NULL, competition_id TEXT NOT NULL, epoch INTEGER NOT NULL,
  hotkey TEXT NOT NULL, coldkey TEXT NOT NULL, units TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rewards_coldkey ON rewards(coldkey, at);
CREATE INDEX IF NOT EXISTS rewards_hotkey ON rewards(hotkey, at);
CREATE TABLE IF NOT EXISTS epochs_paid (competition_id TEXT NOT NULL, epoch INTEGER NOT NULL, block INTEGER NOT NULL, PRIMARY KEY (competition_id, epoch)) WITHOUT ROWID;
`;

export function openChainDb(file: string): ChainDb {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  // Chains made before runners carried their address and payout hotkey: add the columns (empty until re-registered).
  const runnerColumns = new Set((db.prepare(`PRAGMA table_info(runners)`).all() as { name: string }[]).map((c) => c.name));
  if (!runnerColumns.has('address')) db.exec(`ALTER TABLE runners ADD COLUMN address TEXT NOT NULL DEFAULT ''`);
  if (!runnerColumns.has('payout_hotkey')) db.exec(`ALTER TABLE runners ADD COLUMN payout_hotkey TEXT NOT NULL DEFAULT ''`);
  // …and before they said how coordinators reach them (issue 15): mutual TLS until re-registered.
  if (!runnerColumns.has('transport')) db.exec(`ALTER TABLE runners ADD COLUMN transport TEXT NOT NULL DEFAULT 'mtls'`);
  return db;
}
