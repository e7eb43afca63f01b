import { AppError } from '@shared/contract/errors';

/**
 * HTTP for JSON clients (core's network clients and the chain client of core and the practice
 * parties): timeouts, a size cap on answers, and every failure turned into an AppError in a
 * miner's words (UNAVAILABLE for faults worth retrying). Bodies are never logged.
 */
export interface HttpAnswer {
  status: number;
  json: unknown;
  date: string | null;
}

const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
const RESET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

function unavailable(party: string, url: string, cause: string): AppError {
  const why = cause === 'ECONNREFUSED' ? 'connection refused' : cause === 'TimeoutError' ? 'no answer in time' : cause === 'UND_ERR_SOCKET' ? 'connection closed' : cause;
  return new AppError('UNAVAILABLE', `The ${party} is not answering (${why}).`, { details: { url, cause } });
}

export async function httpJson(
  party: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string | Uint8Array<ArrayBuffer>; timeoutMs?: number; idempotent?: boolean },
): Promise<HttpAnswer> {
  let res: Response | undefined;
  const idempotent = init.idempotent ?? init.method === 'GET';
  for (let attempt = 1; !res; attempt += 1) {
    try {
      res = await fetch(url, {
        method: init.method,
        headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
        ...(init.body ? { body: init.body } : {}),
        redirect: 'error',
        signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      // A kept-alive connection to a party that restarted fails before any answer: safe to send a
      // read again once; a write is left to the caller's own retry, which checks state first.
      if (idempotent && attempt === 1 && RESET.has(cause)) continue;
      throw unavailable(party, url, cause);
    }
  }
  const text = await res.text();
  if (text.length > MAX_ANSWER_BYTES) throw new AppError('TOO_LARGE', `The ${party} sent an answer too large to read.`);
  let json: unknown = null;
  if (text.length > 0) {
    try {
      json = JSON.parse(text);
    } catch {
      if (res.status < 500) throw new AppError('NETWORK_ERROR', `The ${party} sent an answer Minerva cannot read (HTTP ${res.status}).`);
    }
  }
  return { status: res.status, json, date: res.headers.get('date') };
}

/**
 * `{"error":{"code","message"}}` (ours) or `{"detail":"…"}` (FastAPI's HTTPException, what the
 * public Platform hub answers, e.g. 401 `stale signature`) → an AppError with the HTTP status
 * mapped to our codes.
 */
export function httpError(party: string, answer: HttpAnswer): AppError {
  const body = (answer.json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const detail = (answer.json as { detail?: unknown } | null)?.detail;
  const code = typeof body?.code === 'string' ? body.code : `HTTP_${answer.status}`;
  const message = typeof body?.message === 'string' ? body.message : typeof detail === 'string' && detail.length <= 500 ? detail : `HTTP ${answer.status}`;
  const details = { status: answer.status, networkCode: code, reason: message.toLowerCase(), serverTime: answer.date ? new Date(answer.date).toISOString() : undefined };
  if (answer.status >= 500) return new AppError('UNAVAILABLE', `The ${party} had a problem (${message}).`, { details });
  switch (answer.status) {
    case 401:
      return new AppError('UNAUTHENTICATED', `The ${party} refused the signature: ${message}.`, { details });
    case 403:
      return new AppError('FORBIDDEN', `The ${party} refused: ${message}.`, { details });
    case 404:
      return new AppError('NOT_FOUND', `The ${party} does not know that: ${message}.`, { details });
    case 409:
      return new AppError('CONFLICT', `The ${party} saw this request already (${message}).`, { details });
    case 413:
      return new AppError('TOO_LARGE', `The ${party} refused a request that is too large.`, { details });
    default:
      return new AppError('VALIDATION', `The ${party} refused the request: ${message}.`, { details });
  }
}
