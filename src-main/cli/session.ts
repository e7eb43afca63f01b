import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCore, type Core } from '@core/create-core';
import { resolveDataDir } from '@core/data-dir';
import { dataDirHolder, type LockInfo } from '@core/data-dir-lock';
import { APP_VERSION } from '@core/version';
import type { MethodInput, MethodName, MethodOutput, RpcEventMessage } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import { connectToApp, readCredential, type AppConnection } from './app-client';
import type { CliIo } from './command-registry';
import { UsageError } from './output';

/**
 * How a CLI command reaches Minerva, like docker's CLI reaches its daemon:
 * - an app (the desktop app or `minerva serve`) holds the data folder → through its control
 *   endpoint (same contract as the UI; the app keeps running undisturbed);
 * - nobody holds it → the command opens the folder itself with an in-process core.
 * Either way a command sees one thing: `call(method, input)` of the contract.
 */
export interface Session {
  readonly dataDir: string;
  /** 'app': a running app answered; 'folder': this process opened the data folder. */
  readonly via: 'app' | 'folder';
  /** The running app (when via = 'app'). */
  readonly app: { pid: number; host: string; version: string } | null;
  /** The input may be left out when every field of it is optional. */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{} extends T` is the test for "T has no required field"
  call<K extends MethodName>(method: K, ...input: {} extends MethodInput<K> ? [MethodInput<K>?] : [MethodInput<K>]): Promise<MethodOutput<K>>;
  onEvent(listener: (message: RpcEventMessage) => void): Promise<() => void>;
  close(): Promise<void>;
}

/**
 * The in-process path ("no app running"): the features are created to answer questions, nothing
 * starts in the background (no workers, no practice network, no flows resumed).
 */
export function openLocalCore(dataDir: string): Core {
  return createCore({ dataDir, host: 'headless', version: APP_VERSION, logConsole: false, background: false });
}

function hostWords(host: string): string {
  return host === 'electron' ? 'the desktop app' : host === 'cli' ? 'another minerva command' : 'minerva serve';
}

/** An app that just started may not have opened its endpoint yet; give it a moment. */
const CREDENTIAL_WAIT_MS = 5_000;

async function attach(dataDir: string, holder: LockInfo): Promise<AppConnection> {
  let credential = readCredential(dataDir);
  for (let waited = 0; credential === undefined && waited < CREDENTIAL_WAIT_MS && dataDirHolder(dataDir); waited += 100) {
    await sleep(100);
    credential = readCredential(dataDir);
  }
  const who = `process ${holder.pid}, ${hostWords(holder.host)}`;
  if (credential === undefined) {
    throw new AppError(
      'CONFLICT',
      `Minerva is running with this data folder (${who}) but offers no control endpoint (it may be an older version, or another minerva command). Close it, or wait for it to finish, and try again.`,
    );
  }
  try {
    return await connectToApp(dataDir, credential);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppError(error instanceof AppError && error.code === 'UNAUTHENTICATED' ? 'UNAUTHENTICATED' : 'UNAVAILABLE', `Minerva is running with this data folder (${who}) but its control endpoint refused this command: ${reason}`);
  }
}

export interface SessionOptions {
  dataDir?: string | undefined;
  /** A command that needs more than the default in-process core (e.g. the practice network). */
  localCore?: (dataDir: string) => Core;
}

export async function openSession(opts: SessionOptions, io: CliIo): Promise<Session> {
  const dataDir = resolveDataDir({ flag: opts.dataDir, env: io.env });
  const holder = dataDirHolder(dataDir);
  if (holder) {
    const connection = await attach(dataDir, holder);
    return {
      dataDir,
      via: 'app',
      app: connection.hello,
      call: (method, ...input) => connection.call(method, (input[0] ?? {}) as MethodInput<typeof method>),
      onEvent: (listener) => connection.subscribe(listener),
      close: () => Promise.resolve(connection.close()),
    };
  }
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it is a file, not a folder' : code === 'EACCES' || code === 'EPERM' ? 'this user may not write there' : code;
    throw new UsageError(`The data folder ${dataDir} cannot be used: ${why}. Pass --data-dir with a folder you can write to.`);
  }
  const core = (opts.localCore ?? openLocalCore)(dataDir);
  return {
    dataDir,
    via: 'folder',
    app: null,
    async call(method, ...input) {
      const reply = await core.router.call(method, input[0] ?? {}, { transport: 'control', clientId: 'cli' });
      if (!reply.ok) throw new AppError(reply.error.code, reply.error.message);
      return reply.result as MethodOutput<typeof method>;
    },
    onEvent: (listener) => Promise.resolve(core.events.onAny(listener)),
    close: () => core.close(),
  };
}

/** Opens a session, runs `use`, always closes it. */
export async function withSession<T>(opts: SessionOptions, io: CliIo, use: (session: Session) => Promise<T>): Promise<T> {
  const session = await openSession(opts, io);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

/** A line saying where the answer came from (human output only). */
export function sourceLine(session: Session): string {
  return session.app ? `(from the running app: process ${session.app.pid}, ${hostWords(session.app.host)})` : `(no app is running: read from the data folder ${session.dataDir})`;
}
