import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { utilityProcess, type UtilityProcess } from 'electron';
import { readPracticeNetworkState } from '@common/practice-state';
import type { PracticeEndpoints, PracticeNetworkHost } from '@core/network/practice';

/**
 * The practice network for the desktop app: `minerva devnet start` in an Electron utility process
 * (the run-as-node fuse is off, so no plain child `node`). Its parties record their addresses in
 * `<data dir>/devnet/state.json` (format in docs/practice-network.md; read through
 * src-main/common/practice-state.ts), which is how this host — which may not import the practice
 * network's code — learns the endpoints. A network already running for this data dir is attached
 * to instead.
 */
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

export function utilityProcessPracticeHost(dataDir: string, cliBundle: string): PracticeNetworkHost {
  let child: UtilityProcess | undefined;
  return {
    async start() {
      const existing = readEndpoints(dataDir);
      if (existing) return { endpoints: existing, attached: true };
      const proc = utilityProcess.fork(cliBundle, ['devnet', 'start', '--data-dir', dataDir], { serviceName: 'Minerva practice network', stdio: 'ignore' });
      child = proc;
      const pid = await new Promise<number>((resolve, reject) => {
        proc.once('spawn', () => (proc.pid === undefined ? reject(new Error('no process id')) : resolve(proc.pid)));
        proc.once('exit', (code) => reject(new Error(`the practice network stopped at start (exit ${code})`)));
      });
      for (let i = 0; i < 150; i += 1) {
        const endpoints = readEndpoints(dataDir, pid);
        if (endpoints) return { endpoints, attached: false };
        await new Promise((r) => setTimeout(r, 200));
      }
      proc.kill();
      throw new Error('the practice network did not report its addresses within 30 s');
    },
    async stop() {
      if (!child) return;
      const proc = child;
      child = undefined;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill();
      });
    },
    routerApiToken: () => Promise.resolve(readRouterToken(dataDir)),
  };
}
