/**
 * `<dataDir>/devnet/state.json` (docs/practice-network.md): where each running party of the
 * practice network listens and which process runs it, so that another process (the app,
 * `minerva devnet status`, a test) can attach. Read and written only here: the practice parties
 * record themselves, the hosts (Electron shell, CLI) read it. Each process adds its parties and marks them `stopped_at` when it stops; an entry that
 * is stopped or whose process is gone is ignored (its port is tried first on the next start).
 *
 * ```json
 * {"version":1,"parties":{"chain":{"url":"http://127.0.0.1:41234","pid":4242,"started_at":"…"},
 *                         "hub":{"url":"http://127.0.0.1:41235","pid":4242,"started_at":"…"}}}
 * ```
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from './process';

export const PARTIES = ['chain', 'hub', 'router', 'validator', 'coordinator'] as const;
export type Party = (typeof PARTIES)[number];

export interface PartyEntry {
  url: string;
  pid: number;
  started_at: string;
  /** Set when the party stopped cleanly; the entry stays so a restart can take the same port. */
  stopped_at?: string;
}

export interface PracticeNetworkState {
  version: 1;
  parties: Partial<Record<Party, PartyEntry>>;
}

export function stateFile(dataDir: string): string {
  return join(dataDir, 'devnet', 'state.json');
}

/** The state file as written (stale entries included); null when there is none or it is unreadable. */
export function readStateFile(dataDir: string): PracticeNetworkState | null {
  try {
    const parsed = JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as PracticeNetworkState;
    return parsed.version === 1 && typeof parsed.parties === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/** The parties whose recorded process is alive; null when none is. */
export function readPracticeNetworkState(dataDir: string): PracticeNetworkState | null {
  const state = readStateFile(dataDir);
  if (!state) return null;
  const parties: PracticeNetworkState['parties'] = {};
  for (const party of PARTIES) {
    const entry = state.parties[party];
    if (entry && entry.stopped_at === undefined && isProcessAlive(entry.pid)) parties[party] = entry;
  }
  return Object.keys(parties).length > 0 ? { version: 1, parties } : null;
}

function writeStateFile(dataDir: string, state: PracticeNetworkState): void {
  mkdirSync(join(dataDir, 'devnet'), { recursive: true, mode: 0o700 });
  const file = stateFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Records parties of this process. */
export function recordParties(dataDir: string, entries: Partial<Record<Party, PartyEntry>>): void {
  const current = readStateFile(dataDir) ?? { version: 1, parties: {} };
  writeStateFile(dataDir, { version: 1, parties: { ...current.parties, ...entries } });
}

/** Marks the given parties stopped if this process recorded them. */
export function forgetParties(dataDir: string, parties: readonly Party[], pid = process.pid): void {
  const current = readStateFile(dataDir);
  if (!current) return;
  const next: PracticeNetworkState = { version: 1, parties: { ...current.parties } };
  const at = new Date().toISOString();
  for (const p of parties) {
    const entry = next.parties[p];
    if (entry?.pid === pid) next.parties[p] = { ...entry, stopped_at: at };
  }
  writeStateFile(dataDir, next);
}
