/**
 * Who may serve a session (PROTOCOLS §2.9): `ENCRYPTION_ALLOWED_LIST` ∪ the chain's session
 * members. The chain is asked at most once per `ttlMs` per session (0 = every time); when it does
 * not answer, the last answer is used, and with none, nobody from the chain (fail closed).
 */
import { allowedTasks, isAllowed, isAllowedAnywhere, isEvmAddress, type AllowedList } from '@shared/protocol/allowed-list';
import { ChainClient } from '../chain/chain-client';
import type { DevnetLog } from '../common/http';

export interface Serves {
  sessionId: number;
  /** `'all'`: every job of the session; else only these tasks. */
  tasks: readonly number[] | 'all';
}

export class Membership {
  private client: ChainClient | undefined;
  private readonly cache = new Map<number, { at: number; members: ReadonlySet<string> }>();

  constructor(
    private readonly allowed: AllowedList,
    private readonly chainUrl: (() => string | null) | null,
    private readonly ttlMs: number,
    private readonly log: DevnetLog,
  ) {}

  private chain(): ChainClient | null {
    const url = this.chainUrl?.() ?? null;
    if (url === null) return null;
    if (this.client?.url !== url) this.client = new ChainClient(url);
    return this.client;
  }

  /** The chain's members of `sessionId` (lowercase EOAs). */
  async chainMembers(sessionId: number): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(sessionId);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.members;
    const chain = this.chain();
    if (!chain) return new Set();
    try {
      const view = await chain.call('chain_getSessionMembers', { session_id: sessionId }, { timeoutMs: 3000 });
      const members = new Set(view.members.map((m) => m.eoa.toLowerCase()));
      this.cache.set(sessionId, { at: Date.now(), members });
      return members;
    } catch (error) {
      this.log.warn('router: chain membership unavailable', { session: sessionId, error: error instanceof Error ? error.message : 'unknown' });
      return cached?.members ?? new Set();
    }
  }

  /** May `address` get the key of (session[, task])? */
  async mayServe(address: string, sessionId: number, taskId: number | null): Promise<boolean> {
    if (!isEvmAddress(address)) return false;
    if (isAllowed(this.allowed, address, sessionId, taskId)) return true;
    return (await this.chainMembers(sessionId)).has(address.toLowerCase());
  }

  /** What `address` may be leased among `sessionIds`; empty when nothing. */
  async serves(address: string, sessionIds: readonly number[]): Promise<Serves[]> {
    const out: Serves[] = [];
    for (const s of sessionIds) {
      if (await this.mayServe(address, s, null)) out.push({ sessionId: s, tasks: 'all' });
      else {
        const tasks = allowedTasks(this.allowed, address, s);
        if (tasks.length > 0) out.push({ sessionId: s, tasks });
      }
    }
    return out;
  }

  /** The miner API's 403 check: allowed for some session or task, by the list or the chain. */
  async allowedAnywhere(address: string, sessionIds: readonly number[]): Promise<boolean> {
    if (isAllowedAnywhere(this.allowed, address)) return true;
    for (const s of sessionIds) if ((await this.chainMembers(s)).has(address.toLowerCase())) return true;
    return false;
  }
}
