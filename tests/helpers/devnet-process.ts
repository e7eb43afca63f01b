import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './serve-process';

export interface DevnetProcess {
  child: ChildProcess;
  /** What `devnet start --json` printed once every party it was asked for listens and is recorded. */
  summary: { dataDir: string; pid: number; parties: string[]; endpoints: Record<string, string | null>; blockTimeMs: number };
  /** SIGTERM, then the process's exit (the parties mark themselves stopped in the state file). */
  stop(): Promise<void>;
}

/**
 * `minerva devnet start --json` in its own process, resolved when it prints its summary: that line
 * comes after the last party started, so a process that attaches now (the CLI, serve) finds every
 * party healthy. Polling the state file instead sees the parties one by one as they start.
 */
export function startDevnetProcess(args: string[]): Promise<DevnetProcess> {
  const child = spawn(process.execPath, [CLI, 'devnet', 'start', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-20_000)));
  const stop = (): Promise<void> =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, summary: JSON.parse(out.slice(0, nl)) as DevnetProcess['summary'], stop });
    });
    child.once('exit', (code) => reject(new Error(`minerva devnet start exited (${code}) before it was running:\n${err}`)));
  });
}
