import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/**
 * `PUT /upload?name=<file name>`: a file dropped in the browser, streamed to
 * `<data dir>/uploads/<uuid>/<name>` (mode 600) so core can use it by path (checkpoints). The caller has
 * already passed the Host, Origin and cookie checks. Over the size cap the upload is cut off,
 * the partial file removed, and 413 answered.
 */
export const DEFAULT_UPLOAD_CAP = 64 * 1024 * 1024 * 1024;

function safeName(name: string | null): string {
  const base = (name ?? 'upload').split(/[\\/]/).pop() ?? 'upload';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return (cleaned || 'upload').slice(0, 100);
}

export function handleUpload(req: IncomingMessage, res: ServerResponse, dataDir: string, capBytes: number, log: { info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void }): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const declared = Number(req.headers['content-length'] ?? NaN);
  const reply = (status: number, body: unknown, close = false) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...(close ? { Connection: 'close' } : {}) });
    res.end(JSON.stringify(body));
    // A refused upload is not read to its end: answer, then drop the connection.
    if (close) res.on('finish', () => req.socket.destroy());
  };
  if (Number.isFinite(declared) && declared > capBytes) {
    return reply(413, { error: { code: 'TOO_LARGE', message: `The file is larger than this Minerva accepts (${Math.round(capBytes / 1024 ** 3)} GiB).` } }, true);
  }
  // One folder per upload keeps the file's own name (shown to the miner) without collisions.
  const dir = join(dataDir, 'uploads', randomUUID());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = safeName(url.searchParams.get('name'));
  const target = join(dir, name);
  const out = createWriteStream(target, { mode: 0o600 });
  let received = 0;
  let failed = false;
  const abort = (status: number, code: string, message: string) => {
    if (failed) return;
    failed = true;
    req.unpipe(out);
    out.destroy();
    rmSync(dir, { recursive: true, force: true });
    log.warn('upload refused', { code, received });
    if (!res.headersSent) reply(status, { error: { code, message } }, true);
  };
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > capBytes) abort(413, 'TOO_LARGE', 'The file is larger than this Minerva accepts.');
  });
  req.on('aborted', () => abort(400, 'ABORTED', 'The upload was interrupted.'));
  out.on('error', () => abort(500, 'WRITE_FAILED', 'Minerva could not store the file (is the disk full?).'));
  out.on('finish', () => {
    if (failed) return;
    log.info('upload stored', { name, bytes: received });
    reply(201, { path: target, name, size: received });
  });
  req.pipe(out);
}
