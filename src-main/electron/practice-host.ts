import { utilityProcess } from 'electron';
import type { PracticeNetworkHost } from '@core/network/practice';
import { childPracticeHost } from './practice-child-host';

/**
 * The practice network for the desktop app: `minerva devnet start` in an Electron utility process
 * (the run-as-node fuse is off, so no plain child `node`). Thin: the start, its abort, the wait for
 * state.json and the stop are in practice-child-host.ts (no `electron`, tested with real processes).
 */
export function utilityProcessPracticeHost(dataDir: string, cliBundle: string): PracticeNetworkHost {
  return childPracticeHost(dataDir, () => {
    const proc = utilityProcess.fork(cliBundle, ['devnet', 'start', '--data-dir', dataDir], { serviceName: 'Minerva practice network', stdio: 'ignore' });
    return {
      get pid() {
        return proc.pid;
      },
      onSpawn: (listener) => void proc.once('spawn', listener),
      onExit: (listener) => void proc.once('exit', listener),
      kill: () => void proc.kill(),
    };
  });
}
