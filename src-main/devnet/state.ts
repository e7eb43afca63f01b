/**
 * The practice network's state file: its format, reading and writing live in
 * src-main/common/practice-state.ts (the hosts read it too); here the parties' health checks.
 */
import type { HealthWire } from '@shared/protocol/hub-api';
import { PARTIES, type Party, type PracticeNetworkState } from '@common/practice-state';

export { isProcessAlive } from '@common/process';
export {
  PARTIES,
  forgetParties,
  readPracticeNetworkState,
  readStateFile,
  recordParties,
  stateFile,
  type Party,
  type PartyEntry,
  type PracticeNetworkState,
} from '@common/practice-state';

export interface PartyHealth {
  party: Party;
  url: string;
  pid: number;
  healthy: boolean;
  /** The chain's head block, when the chain answered. */
  block?: number;
  error?: string;
}

/** Asks every recorded party for `GET /health` (2 s each, in parallel). */
export async function checkPracticeNetworkHealth(state: PracticeNetworkState, timeoutMs = 2000): Promise<PartyHealth[]> {
  const entries = PARTIES.flatMap((party) => (state.parties[party] ? [[party, state.parties[party]] as const] : []));
  return Promise.all(
    entries.map(async ([party, entry]): Promise<PartyHealth> => {
      try {
        const res = await fetch(`${entry.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
        const body = (await res.json()) as HealthWire;
        const healthy = res.status === 200 && body.ok && body.party === party;
        return { party, url: entry.url, pid: entry.pid, healthy, ...(body.block !== undefined ? { block: body.block } : {}) };
      } catch (error) {
        return { party, url: entry.url, pid: entry.pid, healthy: false, error: (error as Error).name === 'TimeoutError' ? 'no answer in time' : 'not answering' };
      }
    }),
  );
}
