/**
 * The practice network's blob store (docs/practice-network.md §4.2): where a miner publishes a
 * checkpoint so the validator can fetch it. Uploads carry PROTOCOLS §4 headers signed by the
 * competition's hotkey with the scheme the chain reports for it (ed25519 for checkpoint
 * competitions). The body is streamed to a temporary file through SHA-256 with a size cap, so its
 * hash — part of the signed bytes — is known only once it has arrived: the signature is checked
 * then, and the file kept (as `blobs/<sha256>`) only if it verifies.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@shared/contract/errors';
import type { KeyScheme } from '@shared/protocol/chain-api';
import { concatBytes, fromHex } from '@shared/protocol/encoding';
import { checkTimestampWindow, requireHeader, type HeaderMap } from '@shared/protocol/headers';
import { verifySubstrate } from '@shared/protocol/identities';
import { actionCanonical, ACTION_MAX_SKEW_SECONDS, ACTION_REPLAY_WINDOW_SECONDS, type ActionTarget } from '@shared/protocol/miner-action';
import { replayKey, type ReplayStore } from '@shared/protocol/replay-store';
import { utf8Encode } from '@shared/protocol/runtime';
import { BodyTooLarge } from '../common/http';

const NONCE = /^[0-9a-f]{32}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const WRAP_PREFIX = utf8Encode('<Bytes>');
const WRAP_SUFFIX = utf8Encode('</Bytes>');

export interface RegisteredKey {
  scheme: KeyScheme;
  publicKey: Uint8Array;
}

/** §4 canonical bytes for a body known only by its SHA-256 (streamed to disk, never held in memory). */
export function actionCanonicalForHash(target: Omit<ActionTarget, 'body' | 'bodySha256Hex'>, hotkey: string, nonce: string, timestamp: string, bodySha256Hex: string): Uint8Array {
  if (!SHA256.test(bodySha256Hex)) throw new AppError('VALIDATION', 'The body hash must be 64 lowercase hex digits.');
  return actionCanonical({ ...target, bodySha256Hex }, hotkey, nonce, timestamp);
}

/** The §4 checks that come before the body: hotkey registered (key from the chain), timestamp window. */
export function checkActionBeforeBody(headers: HeaderMap, key: RegisteredKey | undefined, nowSeconds: number): { hotkey: string; nonce: string; timestamp: string; signature: Uint8Array } {
  const hotkey = requireHeader(headers, 'X-Hotkey');
  const signatureHex = requireHeader(headers, 'X-Signature');
  const nonce = requireHeader(headers, 'X-Nonce');
  const timestamp = requireHeader(headers, 'X-Timestamp');
  if (key === undefined) throw new AppError('UNAUTHENTICATED', 'unknown hotkey');
  checkTimestampWindow(timestamp, nowSeconds, ACTION_MAX_SKEW_SECONDS);
  if (!NONCE.test(nonce)) throw new AppError('SIGNATURE_INVALID', 'X-Nonce must be a uuid4 as 32 lowercase hex digits.');
  const signature = fromHex(signatureHex, 'X-Signature', { length: 64, prefix: '0x', lowercase: false, code: 'SIGNATURE_INVALID' });
  return { hotkey, nonce, timestamp, signature };
}

/** The §4 checks after the body: signature (sr25519 also `<Bytes>`-wrapped), then the nonce. */
export function checkActionSignature(
  pre: { hotkey: string; nonce: string; timestamp: string; signature: Uint8Array },
  target: Omit<ActionTarget, 'body' | 'bodySha256Hex'>,
  bodySha256Hex: string,
  key: RegisteredKey,
  options: { nowSeconds: number; replayStore: ReplayStore },
): void {
  const bytes = actionCanonicalForHash(target, pre.hotkey, pre.nonce, pre.timestamp, bodySha256Hex);
  const ok =
    verifySubstrate(key.scheme, bytes, pre.signature, key.publicKey) ||
    (key.scheme === 'sr25519' && verifySubstrate('sr25519', concatBytes(WRAP_PREFIX, bytes, WRAP_SUFFIX), pre.signature, key.publicKey));
  if (!ok) throw new AppError('SIGNATURE_INVALID', 'The signature does not verify.');
  if (!options.replayStore.checkAndRecord(replayKey('action', target.netuid, target.slug, pre.hotkey, pre.nonce), options.nowSeconds, ACTION_REPLAY_WINDOW_SECONDS)) {
    throw new AppError('NONCE_REPLAYED', 'This nonce was already used.');
  }
}

export interface ReceivedBlob {
  tmp: string;
  sha256: string;
  size: number;
}

export class BlobStore {
  private readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.tmpDir = join(dir, 'tmp');
    // Leftovers of an upload cut short by a crash.
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  path(sha256: string): string | null {
    return SHA256.test(sha256) ? join(this.dir, sha256) : null;
  }

  /** Streams the request body to a temporary file, hashing it; `BodyTooLarge` past `limit`. */
  async receive(req: IncomingMessage, limit: number): Promise<ReceivedBlob> {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge(limit);
    const tmp = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const hash = createHash('sha256');
    let size = 0;
    // Not stream.pipeline: on a refusal it would destroy the request's socket, and the client
    // would see a reset instead of the 413 answer.
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(tmp, { mode: 0o600 });
      let done = false;
      const fail = (error: unknown): void => {
        if (done) return;
        done = true;
        req.off('data', onData);
        req.pause();
        out.destroy();
        rmSync(tmp, { force: true });
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limit) return fail(new BodyTooLarge(limit));
        hash.update(chunk);
        if (!out.write(chunk)) {
          req.pause();
          out.once('drain', () => req.resume());
        }
      };
      req.on('data', onData);
      req.on('end', () => {
        if (!done) out.end();
      });
      req.on('error', fail);
      req.on('close', () => {
        if (!req.complete) fail(new Error('the upload was cut short'));
      });
      out.on('error', fail);
      out.on('finish', () => {
        if (done) return;
        done = true;
        resolve();
      });
    });
    return { tmp, sha256: hash.digest('hex'), size };
  }

  /** Keeps a received blob under its hash (an identical one already stored stays). */
  keep(blob: ReceivedBlob): void {
    const target = join(this.dir, blob.sha256);
    if (existsSync(target)) rmSync(blob.tmp, { force: true });
    else renameSync(blob.tmp, target);
  }

  discard(blob: ReceivedBlob): void {
    rmSync(blob.tmp, { force: true });
  }

  /** Serves a stored blob; false when there is none. */
  async serve(res: ServerResponse, sha256: string): Promise<boolean> {
    const file = this.path(sha256);
    if (!file || !existsSync(file)) return false;
    const size = statSync(file).size;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size, 'x-content-sha256': sha256, 'cache-control': 'public, max-age=31536000, immutable' });
    await pipeline(createReadStream(file), res);
    return true;
  }
}
