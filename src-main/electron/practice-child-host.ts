import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStartLock, waitForPracticeStart } from '@common/practice-start-lock';
import { readPracticeNetworkState } from '@common/practice-state';
import { practiceStartCancelled, waitForPracticeEndpoints, type PracticeEndpoints, type PracticeNetworkHost } from '@core/network/practice';

/**
 * The desktop app's practice-network host without `electron` (practice-host.ts hands in Electron's
 * utility process): `minerva devnet start` runs in a child process, whose parties record their
 * addresses in `<data dir>/devnet/state.json` (docs/practice-network.md, read through
 * src-main/common/practice-state.ts) — which is how this host, which may not import the practice
 * network's code, learns the endpoints. A network already running for the data dir is attached to.
 *
 * The start honours core's abort signal as `minerva serve`'s host does (core/network/practice.ts):
 * aborted before it began, nothing is started; aborted while the child starts, the wait ends at
 * once and the child is stopped (SIGTERM: `devnet start` finishes starting, then stops its
 * parties) before the start rejects with the same CANCELLED error — so quitting the app during
 * the first seconds neither waits up to 30 s for addresses nor leaves a network behind.
 * Tested with real child processes and state files: tests/unit/electron/practice-child-host.test.ts.
 */
export interface PracticeChild {
  readonly pid: number | undefined;
  onSpawn(listener: () => void): void;
  onExit(listener: (code: number | null) => void): void;
  /** Asks the child to stop (SIGTERM on POSIX). */
  kill(): void;
}

export interface ChildHostOptions {
  /** How often state.json is read while the child starts. */
  intervalMs?: number;
  /** How long the child has to record its addresses. */
  timeoutMs?: number;
}

function readEndpoints(dataDir: string, pid?: number): PracticeEndpoints | null {
  const state = readPracticeNetworkState(dataDir);
  const chain = state?.parties.chain;
  const hub = state?.parties.hub;
  if (!state || !chain || !hub) return null;
  if (pid !== undefined && (chain.pid !== pid || hub.pid !== pid)) return null;
  const endpoints: PracticeEndpoints = { chain: chain.url, hub: hub.url };
  for (const [party, entry] of Object.entries(state.parties)) if (entry) endpoints[party] = entry.url;
  return endpoints;
}

/** The first of `ROUTER_API_TOKENS` in the practice router's 0600 env file (docs/practice-network.md). */
function readRouterToken(dataDir: string): string | null {
  try {
    const text = readFileSync(join(dataDir, 'devnet', 'router', 'router.env'), 'utf8');
    const line = text.split(/\r?\n/).find((l) => l.trim().startsWith('ROUTER_API_TOKENS='));
    const token = line?.trim().slice('ROUTER_API_TOKENS='.length).split(',')[0] ?? '';
    return token === '' ? null : token;
  } catch {
    return null;
  }
}

/** A started child and whether it has exited (resolves once, with its exit code). */
interface Running {
  child: PracticeChild;
  exited: Promise<number | null>;
  exitCode: () => number | null | undefined;
}

function launchChild(launch: () => PracticeChild): Running {
  const child = launch();
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.onExit((c) => {
      code = c;
      resolve(c);
    }),
  );
  return { child, exited, exitCode: () => code };
}

/** Stops a child and waits until it has gone. */
async function stopChild(r: Running): Promise<void> {
  if (r.exitCode() !== undefined || r.child.pid === undefined) return;
  r.child.kill();
  await r.exited;
}

export function childPracticeHost(dataDir: string, launch: () => PracticeChild, options: ChildHostOptions = {}): PracticeNetworkHost {
  let running: Running | undefined;
  return {
    async start(signal) {
      if (signal?.aborted) throw practiceStartCancelled();
      // A start under way for this data dir (`minerva devnet start`, serve) is waited for: its
      // parties are then read, not found half-started (src-main/common/practice-start-lock.ts).
      await waitForPracticeStart(dataDir, signal ? { signal } : {});
      const existing = readEndpoints(dataDir);
      if (existing) return { endpoints: existing, attached: true };
      const r = launchChild(launch);
      running = r;
      try {
        const pid = await new Promise<number>((resolve, reject) => {
          r.child.onSpawn(() => (r.child.pid === undefined ? reject(new Error('no process id')) : resolve(r.child.pid)));
          void r.exited.then((code) => reject(new Error(`the practice network stopped at start (exit ${code})`)));
        });
        const endpoints = await waitForPracticeEndpoints(
          () => {
            const code = r.exitCode();
            if (code !== undefined) throw new Error(`the practice network stopped at start (exit ${code})`);
            // Chain and hub recorded, and the child done starting (router, validator, coordinator recorded too).
            return readStartLock(dataDir)?.pid === pid ? null : readEndpoints(dataDir, pid);
          },
          { signal, intervalMs: options.intervalMs ?? 200, timeoutMs: options.timeoutMs ?? 30_000 },
        );
        return { endpoints, attached: false };
      } catch (error) {
        // Given up (the app stops), timed out or ended: nothing of this start stays running.
        if (running === r) running = undefined;
        await stopChild(r);
        throw error;
      }
    },
    async stop() {
      const r = running;
      running = undefined;
      if (r) await stopChild(r);
    },
    routerApiToken: () => Promise.resolve(readRouterToken(dataDir)),
  };
}
