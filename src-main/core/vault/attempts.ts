import { existsSync, readFileSync } from 'node:fs';
import { AppError } from '@shared/contract/errors';
import { writePrivateFileAtomic } from './vault-file';

/**
 * Wrong-password throttle, persisted in `<dataDir>/vault-attempts.json` so that restarting the app
 * does not reset it. Two free tries, then 1 s, 2 s, 4 s … capped at 5 minutes. The file holds no
 * secret (a count and a time). The KDF is the real protection; this slows guessing at the door.
 */
export interface AttemptsState {
  failures: number;
  lastFailureAt: number;
}

export const FREE_ATTEMPTS = 2;
export const MAX_DELAY_MS = 5 * 60 * 1000;

export function delayAfter(failures: number): number {
  if (failures <= FREE_ATTEMPTS) return 0;
  return Math.min(MAX_DELAY_MS, 1000 * 2 ** (failures - FREE_ATTEMPTS - 1));
}

export class AttemptsStore {
  constructor(private readonly path: string) {}

  read(): AttemptsState {
    if (!existsSync(this.path)) return { failures: 0, lastFailureAt: 0 };
    try {
      const raw = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<AttemptsState>;
      const failures = Number.isInteger(raw.failures) && (raw.failures as number) >= 0 ? (raw.failures as number) : 0;
      const lastFailureAt = typeof raw.lastFailureAt === 'number' && Number.isFinite(raw.lastFailureAt) ? raw.lastFailureAt : 0;
      return { failures, lastFailureAt };
    } catch {
      // a damaged counter must not let guessing go faster: assume the worst recent state
      return { failures: FREE_ATTEMPTS + 1, lastFailureAt: Date.now() };
    }
  }

  /** Milliseconds to wait before the next attempt is allowed (0 = now). */
  waitMs(now: number): number {
    const state = this.read();
    return Math.max(0, state.lastFailureAt + delayAfter(state.failures) - now);
  }

  /** Throws RATE_LIMITED while the delay runs. */
  check(now: number): void {
    const wait = this.waitMs(now);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new AppError('RATE_LIMITED', `Too many wrong passwords. Wait ${seconds} second${seconds === 1 ? '' : 's'}, then try again.`, { details: { retryAfterMs: wait } });
    }
  }

  recordFailure(now: number): AttemptsState {
    const state = this.read();
    const next = { failures: state.failures + 1, lastFailureAt: now };
    this.write(next);
    return next;
  }

  reset(): void {
    if (this.read().failures !== 0) this.write({ failures: 0, lastFailureAt: 0 });
  }

  private write(state: AttemptsState): void {
    writePrivateFileAtomic(this.path, `${JSON.stringify(state)}\n`);
  }
}
