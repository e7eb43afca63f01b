import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { RpcReply } from '@shared/contract';
import { isAppError, type AppError } from '@shared/contract/errors';
import type { ScopedLogger } from '../log/logger';
import type { EventBus } from '../rpc/events';
import type { Router } from '../rpc/router';
import { frame, lineSplitter, MAX_LINE_BYTES, type CallRequest, type HelloResult } from './framing';
import { controlPaths } from './paths';

/**
 * The local control endpoint a host (Electron main, `minerva serve`) starts beside its core so
 * that the `minerva` CLI can use the running app like docker's CLI uses its daemon. It speaks the
 * same contract as the UI, through the same router (validation, sensitive-method logging and
 * error envelopes are the router's), as NDJSON over a Unix socket (a named pipe on Windows).
 *
 * Who may call: whoever can read `<dataDir>/control.token` (0600, a fresh random credential per
 * start, removed at close) — that is, this user. The first line of a connection must carry it;
 * it is compared in constant time. Nothing of a request is logged here (the router logs the
 * method name; sensitive ones by name and duration only).
 */
export interface ControlServer {
  readonly socketPath: string;
  readonly credentialPath: string;
  close(): Promise<void>;
}

export interface ControlServerOptions {
  dataDir: string;
  router: Router;
  events?: Pick<EventBus, 'onAny'>;
  log: ScopedLogger;
  /** Who serves: 'electron' or 'headless'. */
  host: string;
  version: string;
  /** Seconds a connection may take to present the credential (default 10). */
  authTimeoutS?: number;
  maxLineBytes?: number;
}

const MAX_CONNECTIONS = 32;

/** Constant-time comparison whatever the lengths (both sides hashed first). */
export function credentialsEqual(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

function writeCredential(path: string): string {
  const credential = randomBytes(32).toString('hex');
  // A file left by a crashed host is stale: the data-folder lock says this host is the only one.
  rmSync(path, { force: true });
  writeFileSync(path, `${credential}\n`, { mode: 0o600, flag: 'wx' });
  return credential;
}

function removeIfOurs(path: string, credential: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === credential) rmSync(path, { force: true });
  } catch {
    // already gone
  }
}

const reply = (id: unknown, body: RpcReply) => frame({ type: 'reply', id: id ?? null, reply: body });
const refusal = (id: unknown, code: AppError['code'], message: string) => reply(id, { ok: false, error: { code, message } });

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { log } = options;
  const { socketPath, credentialPath } = controlPaths(options.dataDir);
  const posix = process.platform !== 'win32';
  if (posix) {
    const mode = statSync(options.dataDir).mode & 0o777;
    if ((mode & 0o077) !== 0) log.warn('the data folder can be read by other users; the control socket stays 0600', { mode: mode.toString(8) });
    rmSync(socketPath, { force: true });
  }
  const credential = writeCredential(credentialPath);
  const sockets = new Set<Socket>();
  let clientSeq = 0;
  const hello: HelloResult = { pid: process.pid, host: options.host, version: options.version };

  const server = createServer((socket) => serveConnection({ options, credential, hello, sockets }, socket, `control-${(clientSeq += 1)}`));
  server.maxConnections = MAX_CONNECTIONS;

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
    if (posix) chmodSync(socketPath, 0o600);
  } catch (error) {
    removeIfOurs(credentialPath, credential);
    throw error;
  }
  log.info('control endpoint listening', { socket: socketPath });

  let closed = false;
  return {
    socketPath,
    credentialPath,
    async close() {
      if (closed) return;
      closed = true;
      removeIfOurs(credentialPath, credential);
      await new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      });
      if (posix) rmSync(socketPath, { force: true });
    },
  };
}

/** What every connection of one control server shares. */
interface ServerContext {
  options: ControlServerOptions;
  credential: string;
  hello: HelloResult;
  sockets: Set<Socket>;
}

/** One client: the credential first (within the auth timeout), then one request at a time, in order. */
function serveConnection(server: ServerContext, socket: Socket, clientId: string): void {
const { options, credential, hello, sockets } = server;
const { log } = options;
  sockets.add(socket);
  let authed = false;
  let queue = Promise.resolve();
  let unsubscribe: (() => void) | undefined;
  const splitter = lineSplitter(options.maxLineBytes ?? MAX_LINE_BYTES);
  const send = (text: string) => {
    if (socket.writable) socket.write(text);
  };
  const authTimer = setTimeout(() => {
    log.info('connection closed: no credential in time', { client: clientId });
    socket.destroy();
  }, (options.authTimeoutS ?? 10) * 1000);
  authTimer.unref();

  const handle = async (line: string): Promise<void> => {
    if (line.trim() === '') return;
    let request: CallRequest & { auth?: unknown };
    try {
      request = JSON.parse(line) as typeof request;
      if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new Error('shape');
    } catch {
      log.info('malformed request', { client: clientId, bytes: line.length });
      send(refusal(null, 'VALIDATION', 'Malformed request: each line must be one JSON object.'));
      return;
    }
    if (!authed) {
      if (!credentialsEqual(credential, request.auth)) {
        log.warn('connection refused: wrong or missing credential', { client: clientId });
        send(refusal(request.id, 'UNAUTHENTICATED', 'Wrong or missing credential for this data folder. Run the command as the user who started Minerva.'));
        socket.end();
        return;
      }
      authed = true;
      clearTimeout(authTimer);
      log.debug('client authenticated', { client: clientId });
      send(reply(request.id, { ok: true, result: hello }));
      return;
    }
    if (request.subscribe === true) {
      if (options.events && !unsubscribe) unsubscribe = options.events.onAny((message) => send(frame({ type: 'event', event: message.event, payload: message.payload })));
      send(reply(request.id, { ok: true, result: { subscribed: Boolean(options.events) } }));
      return;
    }
    send(reply(request.id, await options.router.call(request.method, request.input, { transport: 'control', clientId })));
  };

  socket.on('data', (chunk: Buffer) => {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (error) {
      log.warn('request too large; connection closed', { client: clientId });
      const code = isAppError(error) ? error.code : 'TOO_LARGE';
      socket.end(refusal(null, code, isAppError(error) ? error.message : 'Request too large.'));
      socket.pause();
      return;
    }
    for (const line of lines) queue = queue.then(() => handle(line)).catch((error: unknown) => log.error('control request failed', { client: clientId, error }));
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    clearTimeout(authTimer);
    unsubscribe?.();
    sockets.delete(socket);
  });
}
