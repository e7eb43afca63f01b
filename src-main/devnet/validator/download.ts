/**
 * Check 4 of PROTOCOLS §3: fetch a checkpoint URL with a size cap, one overall timeout, http/https
 * only and redirects only to the same hostname, hashing with SHA-256 while the bytes arrive.
 * node:http/https (not fetch) so that every redirect is seen and judged here. No decompression:
 * the bytes hashed are the bytes served.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type DownloadReason = 'DOWNLOAD_FAILED' | 'TOO_LARGE';

export class DownloadError extends Error {
  constructor(
    readonly reason: DownloadReason,
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
  /** Aborts the download (the validator stopping). */
  signal?: AbortSignal;
}

export interface Downloaded {
  bytes: Buffer;
  sha256: string;
  size: number;
  /** After same-host redirects. */
  finalUrl: string;
  redirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function parseHttpUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DownloadError('DOWNLOAD_FAILED', `${what} is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DownloadError('DOWNLOAD_FAILED', `${what} is not http or https (${url.protocol}).`);
  if (url.username || url.password) throw new DownloadError('DOWNLOAD_FAILED', `${what} carries credentials; the validator does not send them.`);
  return url;
}

function get(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', signal, headers: { 'user-agent': 'minerva-practice-validator', accept: '*/*', 'accept-encoding': 'identity' } }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** Downloads `checkpointUrl` or throws `DownloadError` (never anything else). */
export async function downloadCheckpoint(checkpointUrl: string, options: DownloadOptions): Promise<Downloaded> {
  const first = parseHttpUrl(checkpointUrl, 'checkpoint_url');
  const maxRedirects = options.maxRedirects ?? 3;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const failed = (error: unknown): DownloadError => {
    if (error instanceof DownloadError) return error;
    if (timeout.aborted) return new DownloadError('DOWNLOAD_FAILED', `The checkpoint did not arrive within ${Math.round(options.timeoutMs / 1000)} s.`);
    if (options.signal?.aborted) return new DownloadError('DOWNLOAD_FAILED', 'The validator stopped during the download.');
    const code = (error as NodeJS.ErrnoException).code;
    return new DownloadError('DOWNLOAD_FAILED', `The checkpoint could not be fetched${code ? ` (${code})` : ''}.`);
  };

  let url = first;
  let redirects = 0;
  let res: IncomingMessage;
  try {
    for (;;) {
      res = await get(url, signal);
      const status = res.statusCode ?? 0;
      if (!REDIRECTS.has(status)) break;
      res.destroy();
      const location = res.headers.location;
      if (!location) throw new DownloadError('DOWNLOAD_FAILED', `The checkpoint URL answered HTTP ${status} without a Location.`);
      if (redirects >= maxRedirects) throw new DownloadError('DOWNLOAD_FAILED', `More than ${maxRedirects} redirects.`);
      let next: URL;
      try {
        next = parseHttpUrl(new URL(location, url).href, 'The redirect');
      } catch (error) {
        throw failed(error);
      }
      if (next.hostname !== first.hostname) throw new DownloadError('DOWNLOAD_FAILED', `The checkpoint URL redirects to another host (${next.hostname}); the validator follows redirects only on ${first.hostname}.`);
      url = next;
      redirects += 1;
    }
  } catch (error) {
    throw failed(error);
  }

  if (res.statusCode !== 200) {
    res.destroy();
    throw new DownloadError('DOWNLOAD_FAILED', `The checkpoint URL answered HTTP ${res.statusCode ?? 0}.`);
  }
  const declared = Number(res.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    res.destroy();
    throw new DownloadError('TOO_LARGE', `The checkpoint is ${declared} bytes; the limit is ${options.maxBytes}.`);
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > options.maxBytes) {
        res.destroy();
        throw new DownloadError('TOO_LARGE', `The checkpoint is larger than the limit of ${options.maxBytes} bytes.`);
      }
      hash.update(buf);
      chunks.push(buf);
    }
  } catch (error) {
    res.destroy();
    throw failed(error);
  }
  if (!res.complete) throw new DownloadError('DOWNLOAD_FAILED', 'The connection closed before the whole checkpoint arrived.');
  return { bytes: Buffer.concat(chunks, size), sha256: hash.digest('hex'), size, finalUrl: url.href, redirects };
}
