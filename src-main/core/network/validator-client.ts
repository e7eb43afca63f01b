import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AppError } from '@shared/contract/errors';
import { to0xHex } from '@shared/protocol/encoding';
import { actionCanonical, actionNonce } from '@shared/protocol/miner-action';
import type { CheckpointMessage } from '@shared/protocol/checkpoint-message';
import { submissionViewSchema } from '@shared/protocol/validator-api';
import type { CatalogueEntry, KeySigner } from './client';
import { httpError, httpJson } from './http';

/**
 * The validator's API (PROTOCOLS §3: `POST /submit`, `GET /submissions/<id>`) and, on the practice
 * network, its blob store for publishing checkpoints (`POST /v1/blobs`, docs/practice-network.md).
 */
export interface Verdict {
  status: 'pending' | 'accepted' | 'rejected';
  reason: string | null;
  score: number | null;
  round: number | null;
  loss: number | null;
  /** What the chain paid for it, once paid (decimal string of whole tokens). */
  reward: string | null;
}

/**
 * Streams the file to the blob store with signed §4 headers (the body hash is the committed
 * hash), hashing what is actually sent. Refuses the result unless both the bytes sent and the
 * store's own hash equal `sha256`.
 */
export async function uploadBlob(
  validatorUrl: string,
  entry: CatalogueEntry,
  hotkey: KeySigner,
  file: { path: string; size: number; sha256: string },
  onProgress: (sent: number, total: number) => void,
  now: () => Date,
): Promise<{ url: string; sha256: string; size: number }> {
  const path = '/v1/blobs';
  const nonce = actionNonce();
  const timestamp = String(Math.floor(now().getTime() / 1000));
  const canonical = actionCanonical({ prefix: entry.actionPrefix, netuid: entry.netuid, slug: entry.slug, method: 'POST', path, bodySha256Hex: file.sha256 }, hotkey.address, nonce, timestamp);
  const target = new URL(path, validatorUrl);
  const sent = createHash('sha256');
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(file.size),
          'X-Hotkey': hotkey.address,
          'X-Signature': to0xHex(hotkey.sign(canonical)),
          'X-Nonce': nonce,
          'X-Timestamp': timestamp,
        },
        timeout: 60_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 1_000_000) text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in time')));
    req.on('error', (error) => reject(new AppError('UNAVAILABLE', `The validator is not answering (${(error as NodeJS.ErrnoException).code ?? error.message}).`)));
    let done = 0;
    let last = 0;
    const stream = createReadStream(file.path, { highWaterMark: 1024 * 1024 });
    stream.on('data', (chunk) => {
      sent.update(chunk as Buffer);
      done += (chunk as Buffer).length;
      if (Date.now() - last > 250) {
        last = Date.now();
        onProgress(done, file.size);
      }
    });
    stream.on('error', (error) => req.destroy(error));
    stream.pipe(req);
  });
  let json: unknown = null;
  try {
    json = JSON.parse(answer.text);
  } catch {
    json = null;
  }
  if (answer.status !== 201 && answer.status !== 200) throw httpError('validator', { status: answer.status, json, date: null });
  const sentHash = sent.digest('hex');
  const stored = json as { url?: unknown; sha256?: unknown; size?: unknown };
  if (sentHash !== file.sha256 || stored.sha256 !== file.sha256) {
    throw new AppError('CONFLICT', 'The file changed after it was committed: what was published is not what you committed. Minerva will not submit it. Start a new submission with the file as it is now.', {
      details: { permanent: true },
    });
  }
  if (typeof stored.url !== 'string') throw new AppError('NETWORK_ERROR', 'The validator did not say where it stored the file.');
  onProgress(file.size, file.size);
  return { url: stored.url, sha256: file.sha256, size: typeof stored.size === 'number' ? stored.size : file.size };
}

export async function submitCheckpoint(validatorUrl: string, message: CheckpointMessage): Promise<{ submissionId: string }> {
  const answer = await httpJson('validator', new URL('/submit', validatorUrl).toString(), { method: 'POST', body: JSON.stringify(message) });
  if (answer.status !== 202 && answer.status !== 200) throw httpError('validator', answer);
  const id = (answer.json as { submission_id?: unknown }).submission_id;
  if (typeof id !== 'string') throw new AppError('NETWORK_ERROR', 'The validator accepted the submission but sent no id.');
  return { submissionId: id };
}

export async function fetchVerdict(validatorUrl: string, submissionId: string): Promise<Verdict> {
  const answer = await httpJson('validator', new URL(`/submissions/${encodeURIComponent(submissionId)}`, validatorUrl).toString(), { method: 'GET' });
  if (answer.status !== 200) throw httpError('validator', answer);
  const parsed = submissionViewSchema.safeParse(answer.json);
  if (!parsed.success) throw new AppError('NETWORK_ERROR', 'The validator sent a verdict Minerva cannot read.');
  const v = parsed.data;
  return { status: v.status, reason: v.reason ?? null, score: v.score ?? null, round: v.round, loss: v.loss ?? null, reward: v.reward?.amount ?? null };
}

/**
 * Downloads what the validator will download from a URL the miner gave, hashing it on the way
 * (capped at the committed size, no redirects), so Minerva never submits a URL whose bytes differ
 * from the commitment.
 */
export async function hashAtUrl(url: string, maxBytes: number, timeoutMs = 120_000): Promise<{ sha256: string; size: number }> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new AppError('UNAVAILABLE', `Minerva could not fetch ${url} (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name}).`);
  }
  if (res.status >= 300 && res.status < 400) throw new AppError('VALIDATION', `${url} redirects elsewhere; validators do not follow redirects to other hosts. Give the final address.`, { details: { permanent: true } });
  if (res.status !== 200 || !res.body) throw new AppError('UNAVAILABLE', `${url} answered HTTP ${res.status}.`);
  const hash = createHash('sha256');
  let size = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      throw new AppError('CONFLICT', `The file at ${url} is larger than the one you committed.`, { details: { permanent: true } });
    }
    hash.update(value);
  }
  return { sha256: hash.digest('hex'), size };
}
