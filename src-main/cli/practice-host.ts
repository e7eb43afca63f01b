import { practiceStartCancelled, untilOrAborted, type PracticeNetworkHost } from '@core/network/practice';
import type { ScopedLogger } from '@core/log/logger';
import type { AttachedOrStarted } from '@devnet/index';
import { practiceApiToken } from '@devnet/router/router-config';

/**
 * `minerva serve` runs the practice network in its own process (or attaches to one already
 * running for the data dir). Its log lines go to the app's log under the `devnet` scope.
 * Its code loads on start(), and start() waits for `startAfter` (serve: the UI has loaded), so the
 * page is served before the chain, x509 and gRPC are even read (README "Performance": startup).
 */
export function inProcessPracticeHost(
  dataDir: string,
  options: {
    blockTimeMs?: number;
    demoTrafficMs?: number;
    log: () => ScopedLogger | undefined;
    startAfter?: Promise<void>;
    /** Words while waiting for a start under way in another process (`minerva devnet start`); also logged. */
    onProgress?: (words: string) => void;
  },
): PracticeNetworkHost {
  let running: AttachedOrStarted | undefined;
  const log = {
    info: (msg: string, fields?: Record<string, unknown>) => options.log()?.info(msg, fields),
    warn: (msg: string, fields?: Record<string, unknown>) => options.log()?.warn(msg, fields),
    error: (msg: string, fields?: Record<string, unknown>) => options.log()?.error(msg, fields),
  };
  return {
    async start(signal) {
      // Stopped before the gate opened (serve stopped within its first second): nothing to start.
      await untilOrAborted(options.startAfter, signal);
      if (signal?.aborted) throw practiceStartCancelled();
      const { startOrAttachPracticeNetwork } = await import('@devnet/index');
      running = await startOrAttachPracticeNetwork({
        dataDir,
        log,
        ...(signal ? { signal } : {}),
        // A `minerva devnet start` still starting its parties is waited for, then attached to.
        onProgress: (words) => {
          log.info(words);
          options.onProgress?.(words);
        },
        ...(options.blockTimeMs === undefined ? {} : { blockTimeMs: options.blockTimeMs }),
        ...(options.demoTrafficMs ? { router: { demoTraffic: { intervalMs: options.demoTrafficMs } } } : {}),
      });
      return { endpoints: running.endpoints, attached: running.attached };
    },
    async stop() {
      const r = running;
      running = undefined;
      await r?.stop();
    },
    // The router's own 0600 env file in this data dir (the Playground's bearer token; main process only).
    routerApiToken: () => Promise.resolve(practiceApiToken(dataDir) || null),
  };
}
