import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { createCore, type Core } from '@core/create-core';
import { resolveDataDir } from '@core/data-dir';
import { startControlServer, type ControlServer } from '@core/control/server';
import { isLoopbackHost } from '@core/security/loopback';
import { APP_VERSION } from '@core/version';
import { AppError } from '@shared/contract/errors';
import { loadSessionKeys } from '@headless/auth';
import { startHeadlessServer, type HeadlessServer } from '@headless/server';
import type { CliCommand, CliIo } from '../command-registry';
import { fail } from '../output';
import { inProcessPracticeHost } from '../practice-host';
import { stopSignals, type StopSignals } from '../stop-signals';
import { printUrl } from './open';

/** Same pace as `minerva devnet start` (the desktop app's practice network). */
const DEFAULT_DEMO_MS = 10_000;
/** The practice network starts this long after the UI is served (a browser paints it meanwhile). */
const PRACTICE_START_DELAY_MS = 1000;

interface ServeOptions {
  demoMs?: number;
  port: number;
  host: string;
  dataDir?: string;
  allowRemote?: boolean;
  tokenFile?: string;
  json?: boolean;
  /** commander's --no-practice */
  practice: boolean;
  blockMs?: number;
  printUrl?: boolean;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one).');
  return n;
}

function parseBlockMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 50 || n > 60_000) throw new InvalidArgumentError('a block time is a whole number of milliseconds from 50 to 60000.');
  return n;
}

function parseDemoMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || (n !== 0 && (n < 100 || n > 3_600_000))) throw new InvalidArgumentError('0 (off) or a whole number of milliseconds from 100 to 3600000.');
  return n;
}

/** The UI build sits next to the bundled CLI (dist/node/cli.cjs → dist/renderer). */
export function rendererDir(env: NodeJS.ProcessEnv): string {
  return env.MINERVA_RENDERER_DIR ?? join(__dirname, '..', 'renderer');
}

function readTokenFile(file: string): string {
  const stat = statSync(file);
  if ((stat.mode & 0o077) !== 0) {
    throw new AppError('FORBIDDEN', `The token file ${file} can be read by other users. Run \`chmod 600 ${file}\` and start again.`);
  }
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new AppError('VALIDATION', 'The token file must hold at least 32 characters (for example: openssl rand -hex 32).');
  return token;
}

export async function serve(opts: ServeOptions, io: CliIo): Promise<void> {
  const remote = !isLoopbackHost(opts.host);
  if (remote && !(opts.allowRemote && opts.tokenFile)) {
    throw new AppError(
      'FORBIDDEN',
      `Refusing to listen on ${opts.host}: Minerva serves only this machine (127.0.0.1) by default. To expose it, pass both --allow-remote and --token-file FILE, and put it behind TLS.`,
    );
  }
  const standingToken = opts.tokenFile ? readTokenFile(opts.tokenFile) : undefined;
  const dataDir = resolveDataDir({ flag: opts.dataDir, env: io.env });
  // Ctrl+C and SIGTERM are caught before core exists: one that arrives while serve is still
  // starting (its database, its server, its control endpoint) still closes core — the practice
  // network it started, the data folder's lock, the database — instead of killing the process.
  const stop = stopSignals();
  try {
    await serveUntilStopped({ ...opts, remote, dataDir, ...(standingToken ? { standingToken } : {}) }, io, stop);
  } finally {
    stop.dispose();
  }
}

async function serveUntilStopped(opts: ServeOptions & { remote: boolean; dataDir: string; standingToken?: string }, io: CliIo, stop: StopSignals): Promise<void> {
  const { remote, dataDir, standingToken } = opts;
  // The practice network logs into the app's log, which exists once core does.
  const devnet: { log?: ReturnType<typeof core.log.scope> } = {};
  // It starts in the background PRACTICE_START_DELAY_MS after the server listens, so its
  // CPU-heavy start (about a second of one core) does not compete with the browser loading the
  // first page (README "Performance": startup). A stop before then gives the start up (core.close
  // aborts it), so nothing waits for this gate.
  let startPractice = (): void => undefined;
  const practiceGate = new Promise<void>((resolveGate) => {
    startPractice = resolveGate;
  });
  // `minerva open` asks core (app.loginLink) for an address; the server that makes them comes up after core.
  const links: { server?: HeadlessServer } = {};
  const loginLinks = {
    issue() {
      if (!links.server) throw new AppError('UNAVAILABLE', 'Minerva is still starting; try again in a moment.');
      return links.server.issueLoginUrl();
    },
  };
  const core = createCore({
    dataDir,
    host: 'headless',
    version: APP_VERSION,
    exposedBeyondLoopback: remote,
    loginLinks,
    ...(opts.practice
      ? {
          practiceHost: inProcessPracticeHost(dataDir, {
            log: () => devnet.log,
            ...(opts.blockMs === undefined ? {} : { blockTimeMs: opts.blockMs }),
            // A practice miner sees work without doing anything: the router sends demo prompts.
            demoTrafficMs: opts.demoMs ?? DEFAULT_DEMO_MS,
            startAfter: practiceGate,
          }),
        }
      : {}),
  });
  devnet.log = core.log.scope('devnet');
  let server: HeadlessServer | undefined;
  let control: ControlServer | undefined;
  try {
    server = await listen(core, dataDir, opts, io, standingToken);
    links.server = server;
    if (!stop.requested) setTimeout(startPractice, PRACTICE_START_DELAY_MS).unref();
    if (!stop.requested) control = await startControl(core, dataDir);
    if (!stop.requested) printAddress(io, opts, server, dataDir, remote);
    await stop.promise;
  } finally {
    await control?.close();
    await server?.close();
    await core.close();
  }
}

async function listen(core: Core, dataDir: string, opts: ServeOptions, io: CliIo, standingToken: string | undefined): Promise<HeadlessServer> {
  const remote = !isLoopbackHost(opts.host);
  try {
    const sessionKeys = loadSessionKeys(dataDir, (why) => core.log.scope('headless').warn('browser sign-ins reset', { why }));
    return await startHeadlessServer({ core, rendererDir: rendererDir(io.env), sessionKeys, ...(standingToken ? { standingToken } : {}), host: opts.host, port: opts.port, allowRemote: remote });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new AppError('CONFLICT', `Port ${opts.port} is already in use. Pick another with --port, or 0 for any free port.`);
    throw error;
  }
}

function printAddress(io: CliIo, opts: ServeOptions, server: HeadlessServer, dataDir: string, remote: boolean): void {
  if (opts.json) {
    io.stdout(`${JSON.stringify({ url: server.url, loginUrl: opts.tokenFile ? server.url : server.loginUrl, dataDir, remote })}\n`);
    return;
  }
  if (remote) {
    io.stdout(`\n  WARNING: Minerva is reachable from other machines on ${opts.host}. Anyone with the token can control your miner.\n  Keep the token file private and put this behind TLS.\n`);
  }
  const address = opts.tokenFile
    ? `Open this address in your browser, adding ?token= and the token from ${opts.tokenFile}:\n\n  ${server.url}`
    : `Open this address in your browser (it works once, within the hour; \`minerva open\` makes a new one):\n\n  ${server.loginUrl}`;
  io.stdout(`\nMinerva is running without a window. ${address}\n\nThe browser stays signed in, also across restarts of this data folder's Minerva.\nData folder: ${dataDir}\nPress Ctrl+C to stop.\n`);
}

/** The control endpoint for `minerva` commands beside this app (src-main/core/control); the app runs on without it. */
async function startControl(core: Core, dataDir: string): Promise<ControlServer | undefined> {
  const log = core.log.scope('control');
  try {
    return await startControlServer({ dataDir, router: core.router, events: core.events, log, host: 'headless', version: APP_VERSION });
  } catch (error) {
    log.warn('control endpoint not started: minerva commands cannot reach this app', { error: (error as Error).message });
    return undefined;
  }
}

export const serveCommand: CliCommand = {
  name: 'serve',
  register(program, io) {
    program
      .command('serve')
      .description('run Minerva without a window and serve its UI to a browser on this machine')
      .option('--port <n>', 'port to listen on (0 = any free port)', parsePort, 7357)
      .option('--host <address>', 'address to listen on (loopback only unless --allow-remote)', '127.0.0.1')
      .option('--data-dir <dir>', 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)')
      .option('--allow-remote', 'allow a non-loopback --host (needs --token-file; shows a key-safety warning)')
      .option('--token-file <file>', 'read the access token from this file (mode 600) instead of making one')
      .option('--json', 'print the address as JSON')
      .option('--print-url', 'do not start: print a fresh one-time sign-in address of the `minerva serve` already running with this data folder')
      .option('--no-practice', 'do not start the built-in practice network (attach to one with `minerva devnet start`, or use another network)')
      .option('--block-ms <ms>', 'block time of the practice network this starts (default 2000)', parseBlockMs)
      .option('--demo-ms <ms>', `the practice router sends a demo prompt to session 101 every ms (default ${DEFAULT_DEMO_MS}; 0 = off)`, parseDemoMs)
      .action(async (opts: ServeOptions) => {
        try {
          if (opts.printUrl) await printUrl(opts, io);
          else await serve(opts, io);
        } catch (error) {
          fail(io, Boolean(opts.json), error);
        }
      });
  },
};
