import { isAppError } from '@shared/contract/errors';

/**
 * Exponential backoff with full jitter ("AWS architecture blog" style, capped): attempt n waits a
 * random time in [base·2^(n-1)/2, base·2^(n-1)], never above `maxMs`. The random source is
 * injectable so tests can pin it.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(n - 1, 30));
  const r = (options.random ?? Math.random)();
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(r, 0), 1));
}

/** Resolves after `ms`, or at once (with false) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What the flow engine does with an error: try again later, wait for the wallet, or give up. */
export type ErrorClass = 'retry' | 'unlock' | 'fail';

/** AppError codes that a later attempt can fix by itself (a network blip, a busy peer). */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'NETWORK_ERROR', 'TIMEOUT']);

/**
 * The default classification: VAULT_LOCKED waits for the unlock; transient codes retry unless
 * the error says `details.permanent`; everything else fails the flow.
 */
export function classifyError(error: unknown): ErrorClass {
  if (!isAppError(error)) return 'fail';
  if (error.code === 'VAULT_LOCKED') return 'unlock';
  if (TRANSIENT_CODES.has(error.code) && error.details?.permanent !== true) return 'retry';
  return 'fail';
}
