import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './serve-process';

export interface DevnetSummary {
  dataDir: string;
  pid: number;
  parties: string[];
  /** The chain's address always (its own, or the one the parties started here use); each started party's. */
  endpoints: { chain: string } & Record<string, string | null>;
  blockTimeMs: number;
}

export interface DevnetProcess {
  child: ChildProcess;
  /** What `devnet start --json` printed once every party it was asked for listens and is recorded. */
  summary: DevnetSummary;
  /** SIGTERM, then the process's exit (the parties mark themselves stopped in the state file). */
  stop(): Promise<void>;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Its log so far (stderr, the last 20 000 characters). */
  stderr(): string;
}

/** A `devnet start` just spawned: `running` resolves with its summary, `stderrMatch` on a log line (a party running, mid-start). */
export interface DevnetStarting {
  child: ChildProcess;
  running: Promise<DevnetProcess>;
  exited: Promise<number | null>;
  stderr(): string;
  /** Resolves once its log matches (e.g. `/practice router running/`: the start is under way). */
  stderrMatch(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `minerva devnet start --json` in its own process, without waiting for it: a test that must meet
 * the start under way (with `MINERVA_DEVNET_START_STEP_MS` in `env`) follows its log.
 */
export function spawnDevnetProcess(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): DevnetStarting {
  const child = spawn(process.execPath, [CLI, 'devnet', 'start', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let err = '';
  const watchers = new Set<() => void>();
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err = (err + c).slice(-20_000);
    for (const w of watchers) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = (): Promise<void> =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  const stderr = (): string => err;
  const running = new Promise<DevnetProcess>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, summary: JSON.parse(out.slice(0, nl)) as DevnetSummary, stop, exited, stderr });
    });
    child.once('exit', (code) => reject(new Error(`minerva devnet start exited (${code}) before it was running:\n${err}`)));
  });
  // Not every caller awaits `running` (a start killed on purpose): its rejection is not news.
  running.catch(() => undefined);
  const stderrMatch = (pattern: RegExp, timeoutMs = 60_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(err)) return;
        watchers.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`minerva devnet start never logged ${pattern} in ${timeoutMs} ms:\n${err}`));
      }, timeoutMs);
      watchers.add(check);
      check();
    });
  return { child, running, exited, stderr, stderrMatch, stop };
}

/**
 * `minerva devnet start --json` in its own process, resolved when it prints its summary: that line
 * comes after the last party started, so a process that attaches now (the CLI, serve) finds every
 * party healthy. Polling the state file instead sees the parties one by one as they start.
 */
export function startDevnetProcess(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<DevnetProcess> {
  return spawnDevnetProcess(args, options).running;
}
