import { AppError } from '@shared/contract/errors';
import type { ChainRounds } from '../network/client';

/** What the chain says about a transaction a flow sent (and stored before waiting on it). */
export type TxCheck = { state: 'included' } | { state: 'pending' } | { state: 'failed'; reason: string } | { state: 'lost' };

/**
 * Follows transactions that flows sent (a registration, a commitment): one look at the chain per
 * call, so a step asks once and then waits (`ctx.wait`) instead of polling in a loop. A
 * transaction followed longer than `timeoutMs` (counted from the first look in this run of the
 * app) throws TIMEOUT, a retryable fault that the flow engine counts as an attempt; the next
 * attempt follows the same transaction again, never sends another.
 */
export class TxFollower {
  private readonly since = new Map<string, number>();

  constructor(
    private readonly timeoutMs: () => number,
    private readonly what: string,
  ) {}

  async check(client: Pick<ChainRounds, 'txStatus'>, txId: string): Promise<TxCheck> {
    const status = await client.txStatus(txId);
    if (status.state === 'included' || status.state === 'failed' || status.state === 'unknown') this.since.delete(txId);
    if (status.state === 'included') return { state: 'included' };
    if (status.state === 'failed') return { state: 'failed', reason: status.error?.message ?? 'no reason given' };
    // The chain lost it (a chain restart before inclusion): the flow sends it again.
    if (status.state === 'unknown') return { state: 'lost' };
    const first = this.since.get(txId) ?? Date.now();
    this.since.set(txId, first);
    if (Date.now() - first > this.timeoutMs()) {
      this.since.delete(txId);
      throw new AppError('TIMEOUT', `The chain has not included your ${this.what} yet; still waiting.`);
    }
    return { state: 'pending' };
  }
}
