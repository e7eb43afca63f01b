/**
 * Small HTTP helpers shared by the practice network's parties (node:http, no framework): listen on
 * 127.0.0.1 only, read a body with a hard cap, answer JSON, and the `{"error":{"code","message"}}`
 * shape of PROTOCOLS §2.3.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LOOPBACK = '127.0.0.1';
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost)(:[0-9]{1,5})?$/i;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body larger than ${limit} bytes`);
  }
}

/** Reads the whole body, refusing (without reading further) anything over `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(buf);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  // A refused upload may still be arriving: close the connection instead of draining it.
  if (status === 413) res.setHeader('connection', 'close');
  sendJson(res, status, { error: { code, message } });
}

/** Starts `server` on 127.0.0.1:`port` (0 = a free port) and returns its base URL. */
export async function listenLoopback(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${LOOPBACK}:${address.port}`;
}

/** Listens on `preferred` when it is free (a restarted party keeps its address), else on any free port. */
export async function listenLoopbackPreferring(server: Server, preferred: number | undefined): Promise<string> {
  if (preferred) {
    try {
      return await listenLoopback(server, preferred);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return listenLoopback(server, 0);
}

export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A server whose handler's unexpected failures become 500 `{"error":…}` (details to the log only). */
export function jsonServer(handler: Handler, onError: (error: unknown) => void): Server {
  return createServer((req, res) => {
    // Loopback names only: a web page that rebinds its own name to 127.0.0.1 gets nothing.
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) {
      sendError(res, 421, 'MISDIRECTED', 'The practice network answers only to 127.0.0.1 or localhost.');
      return;
    }
    handler(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'The party had an internal error.');
      else res.destroy();
    });
  });
}

export interface DevnetLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLog: DevnetLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
