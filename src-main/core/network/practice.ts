import { AppError } from '@shared/contract/errors';
import { sleep } from '../kernel/retry';

/**
 * The practice network is a separate party (src-main/devnet) that core may not import. The host
 * that runs core provides this hook: `minerva serve` starts the parties in its own process (or
 * attaches to ones already running); the Electron shell runs them in a utility process.
 */
export interface PracticeEndpoints {
  chain: string;
  hub: string;
  [party: string]: string;
}

export interface PracticeNetworkHost {
  /**
   * Starts the practice network, or attaches to one already running for this data dir. `signal`
   * aborts when the app stops before the start is done: a host still waiting to begin (serve waits
   * for the first page to load) gives up at once (rejects) instead of starting a network only to stop it.
   */
  start(signal?: AbortSignal): Promise<{ endpoints: PracticeEndpoints; attached: boolean }>;
  /** Stops what this host started (an attached network is left running). */
  stop(): Promise<void>;
  /**
   * The practice router's API token (its `ROUTER_API_TOKENS`, first entry) for the Playground's
   * completions; null when this host cannot read it. Stays in the main process: never sent to the renderer.
   */
  routerApiToken?(): Promise<string | null>;
}

/**
 * The rejection of a start given up because the app is stopping (the signal of `start` aborted).
 * NetworksService then records "not running", not a failure. Both hosts use it.
 */
export function practiceStartCancelled(): AppError {
  return new AppError('CANCELLED', 'Minerva is stopping: the practice network was not started.');
}

/** Resolves when `gate` does or `signal` aborts, whichever comes first (a rejected gate rejects). */
export function untilOrAborted(gate: Promise<void> | undefined, signal: AbortSignal | undefined): Promise<void> {
  if (!gate || !signal) return gate ?? Promise.resolve();
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    void gate.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Asks `read` every `intervalMs` until it gives the endpoints of a network started in another
 * process (the desktop app's utility process records them in state.json). Rejects with
 * `practiceStartCancelled()` as soon as `signal` aborts, with what `read` throws (the process
 * ended), or after `timeoutMs` in words.
 */
export async function waitForPracticeEndpoints(read: () => PracticeEndpoints | null, o: { signal?: AbortSignal | undefined; intervalMs: number; timeoutMs: number }): Promise<PracticeEndpoints> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (o.signal?.aborted) throw practiceStartCancelled();
    const endpoints = read();
    if (endpoints) return endpoints;
    if (Date.now() >= deadline) throw new AppError('TIMEOUT', `The practice network did not report its addresses within ${Math.round(o.timeoutMs / 1000)} s.`);
    if (!(await sleep(Math.min(o.intervalMs, Math.max(0, deadline - Date.now())), o.signal))) throw practiceStartCancelled();
  }
}
