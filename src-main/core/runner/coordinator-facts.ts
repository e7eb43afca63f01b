/**
 * The coordinator's facts as the chain (or a Crunch network's indexer) states them (wallet, hotkey, the two certificate hashes),
 * read when the server starts and again once older than `refreshMs` (PROTOCOLS §5: at most 300 s).
 * One read at a time; a failed read keeps the previous facts and is logged.
 */
import { isAppError } from '@shared/contract/errors';
import type { ScopedLogger } from '../log/logger';
import type { CoordinatorFacts } from './auth';

export class CoordinatorFactsCache {
  private facts: { at: number; value: CoordinatorFacts | null } | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    /** Where the facts come from: the chain (practice), or a Crunch network's indexer (crunch-profile.ts). */
    private readonly read: () => Promise<CoordinatorFacts | null>,
    private readonly competitionId: string,
    private readonly refreshMs: number,
    private readonly log: ScopedLogger,
  ) {}

  /** The facts last read (null: no coordinator on chain, or never read). */
  value(): CoordinatorFacts | null {
    return this.facts?.value ?? null;
  }

  /** Reads the chain now (joins a read in flight). */
  async load(): Promise<void> {
    this.refreshing ??= this.read().then(
        (value) => {
          this.facts = { at: Date.now(), value };
        },
        (error: unknown) => {
          this.log.warn('coordinator facts could not be read from the chain', { competition: this.competitionId, error: isAppError(error) ? error.message : String(error) });
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    await this.refreshing;
  }

  /** Forgets the facts and reads them again. */
  async reload(): Promise<void> {
    this.facts = undefined;
    await this.load();
  }

  /** Starts a read when the facts are older than `refreshMs` (never waits). */
  refreshIfStale(): void {
    if (!this.facts || Date.now() - this.facts.at >= this.refreshMs) void this.load();
  }
}
