import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Core } from '@core/create-core';
import { contentTypeFor, resolveStaticPath } from '@core/security/static-path';
import { securityHeaders } from '@core/security/csp';
import { isLoopbackHost } from '@core/security/loopback';
import { LOGIN_LINK_TTL_MS, LoginTokens, STARTUP_LINK_TTL_MS, newSessionValue, readCookie, sessionCookie, sessionValid, tokensEqual, type SessionKeys } from './auth';
import { sendUnauthorized, type Unauthorized } from './unauthorized';
import { DEFAULT_UPLOAD_CAP, handleUpload } from './upload';

/**
 * `minerva serve`: the same UI and contract as the Electron window, over HTTP + WebSocket.
 *
 * Security (DESIGN.md, "One contract, two transports"):
 * - binds 127.0.0.1 unless `allowRemote` (then the caller must supply the token from a file and
 *   the UI shows a standing key-safety warning);
 * - login links carry a one-time, short-lived token (auth.ts), traded for a signed session cookie
 *   named after this data folder's instance (HttpOnly, SameSite=Strict) that survives a restart;
 *   with `--token-file` that file's token is a standing password instead;
 * - without a session: a 401 page saying how to get a new address (`minerva open`), or JSON;
 * - Host must name this server (against DNS rebinding) and Origin, when sent, must be this origin;
 * - the CSP and hardening headers on every UI response.
 */
export interface HeadlessOptions {
  core: Core;
  rendererDir: string;
  /** This data folder's login identity (auth.ts `loadSessionKeys`). */
  sessionKeys: SessionKeys;
  /** `--token-file`: a standing token accepted repeatedly (remote access). */
  standingToken?: string;
  host?: string;
  port?: number;
  allowRemote?: boolean;
  /** Largest RPC message accepted over the WebSocket. */
  maxMessageBytes?: number;
  /** Mark the session cookie Secure (behind a TLS proxy). */
  secureCookie?: boolean;
  /** Largest file accepted by `PUT /upload` (default 64 GiB). */
  maxUploadBytes?: number;
}

export interface HeadlessServer {
  readonly url: string;
  /** The address with a one-time token, printed at start (works once, within an hour). */
  readonly loginUrl: string;
  /** A fresh one-time login address (`minerva open`, `minerva serve --print-url`). */
  issueLoginUrl(ttlMs?: number): { url: string; expiresAt: number };
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

function rawText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

export async function startHeadlessServer(options: HeadlessOptions): Promise<HeadlessServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.allowRemote) {
    throw new Error(`Refusing to listen on ${host}: only loopback addresses are allowed without --allow-remote and --token-file.`);
  }
  const { core, sessionKeys: keys, standingToken } = options;
  const loginTokens = new LoginTokens();
  const log = core.log.scope('headless');
  let port = options.port ?? 0;
  const sockets = new Set<Socket>();

  const hostAllowed = (req: IncomingMessage): boolean => {
    const header = req.headers.host;
    if (!header) return false;
    if (options.allowRemote) return true;
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header);
    if (!match) return false;
    return isLoopbackHost(match[1] ?? '') && Number(match[2] ?? '80') === port;
  };
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return origin === `http://${req.headers.host ?? ''}` || origin === `https://${req.headers.host ?? ''}`;
  };
  const authorised = (req: IncomingMessage): boolean => sessionValid(keys, readCookie(req.headers.cookie, keys.cookieName));
  const unauthorized = (req: IncomingMessage, res: ServerResponse, reason: Unauthorized) => sendUnauthorized(req, res, { reason, tokenFile: standingToken !== undefined });

  const deny = (res: ServerResponse, status: 403 | 404 | 405, text: string) => {
    res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hostAllowed(req)) {
      log.warn('refused request: foreign Host header', { path: url.pathname });
      return deny(res, 403, 'Forbidden: this address is not the one Minerva is serving on.');
    }
    if (!originAllowed(req)) {
      log.warn('refused request: foreign Origin', { path: url.pathname });
      return deny(res, 403, 'Forbidden: cross-site request refused.');
    }
    if (req.method === 'PUT' && url.pathname === '/upload') {
      // Browsers send Origin on every PUT: a PUT without one is not a page of ours.
      if (req.headers.origin === undefined) return deny(res, 403, 'Forbidden: cross-site request refused.');
      if (!authorised(req)) return unauthorized(req, res, 'no-session');
      return handleUpload(req, res, core.info.dataDir, options.maxUploadBytes ?? DEFAULT_UPLOAD_CAP, log);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed.');

    const fromUrl = url.searchParams.get('token');
    if (fromUrl !== null) {
      const outcome = standingToken !== undefined && tokensEqual(standingToken, fromUrl) ? 'ok' : loginTokens.redeem(fromUrl);
      // Already signed in (an old link reopened): the link is not needed; just drop it from the address.
      if (outcome === 'ok' || authorised(req)) {
        const headers = { ...securityHeaders(), Location: '/', 'Cache-Control': 'no-store' };
        // A new session for the token, and the token gone from the address bar.
        res.writeHead(303, outcome === 'ok' ? { ...headers, 'Set-Cookie': sessionCookie(keys, newSessionValue(keys), options.secureCookie ?? false) } : headers);
        res.end();
        if (outcome === 'ok') log.info('browser signed in');
        return;
      }
      log.warn('refused request: login link used, expired or unknown');
      return unauthorized(req, res, outcome === 'used-or-expired' ? 'link-used' : 'link-unknown');
    }
    if (!authorised(req)) return unauthorized(req, res, 'no-session');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { ...securityHeaders(), 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    const file = resolveStaticPath(options.rendererDir, url.pathname);
    if (!file || !existsSync(file) || !statSync(file).isFile()) return deny(res, 404, 'Not found.');
    res.writeHead(200, {
      ...securityHeaders(),
      'Content-Type': contentTypeFor(file),
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? MAX_MESSAGE_BYTES });
  let clientSeq = 0;
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const refuse = (status: number, reason: string) => {
      log.warn('refused WebSocket', { reason });
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== '/rpc') return refuse(403, 'path');
    if (!hostAllowed(req)) return refuse(403, 'host');
    // Browsers always send Origin on WebSocket handshakes; a missing one is not a browser we serve.
    if (req.headers.origin === undefined || !originAllowed(req)) return refuse(403, 'origin');
    if (!authorised(req)) return refuse(401, 'token');
    wss.handleUpgrade(req, socket, head, (ws) => serveRpc(ws, `ws-${(clientSeq += 1)}`));
  });

  function serveRpc(ws: WebSocket, clientId: string): void {
    log.info('client connected', { client: clientId });
    const unsubscribe = core.events.onAny((message) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'event', event: message.event, payload: message.payload }));
    });
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let request: { id?: unknown; method?: unknown; input?: unknown };
        try {
          if (isBinary) throw new Error('binary');
          request = JSON.parse(rawText(data)) as typeof request;
          if (typeof request !== 'object' || request === null) throw new Error('shape');
        } catch {
          ws.send(JSON.stringify({ type: 'reply', id: null, reply: { ok: false, error: { code: 'VALIDATION', message: 'Malformed request.' } } }));
          return;
        }
        const reply = await core.router.call(request.method, request.input, { transport: 'headless', clientId });
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'reply', id: request.id ?? null, reply }));
      })();
    });
    ws.on('close', () => {
      unsubscribe();
      log.info('client disconnected', { client: clientId });
    });
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  log.info('listening', { url, remote: Boolean(options.allowRemote), session: keys.cookieName });
  const issueLoginUrl = (ttlMs = LOGIN_LINK_TTL_MS) => {
    const { token, expiresAt } = loginTokens.issue(ttlMs);
    return { url: `${url}?token=${token}`, expiresAt };
  };

  return {
    url,
    loginUrl: issueLoginUrl(STARTUP_LINK_TTL_MS).url,
    issueLoginUrl,
    port,
    host,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
