/**
 * Signed miner requests of the job API (PROTOCOLS §2.6). Headers `X-Miner-Address`,
 * `X-Miner-Timestamp` (unix), `X-Miner-Nonce`, `X-Miner-Signature` = personal_sign of
 *   cts-miner-v0:<METHOD>:<path>:<address>:<nonce>:<timestamp>:<sha256 hex of body>
 * with `address` exactly as in the header and `path` as on the wire without the query.
 *
 * Verification order: missing header → `UNAUTHENTICATED`; malformed or >300 s skewed timestamp →
 * `STALE_TIMESTAMP`; bad signature → `SIGNATURE_INVALID` (all 401); then the nonce, recorded only
 * after the signature verified, seen for that address within 600 s → `NONCE_REPLAYED` (409).
 * The allowed-list check (403) is the router's, after this.
 */
import { AppError } from '@shared/contract/errors';
import { eip191Recover, eip191Sign, evmAddressOf } from './eip191';
import { isEvmAddress } from './allowed-list';
import { bodySha256Hex, checkPath, checkTimestampWindow, normaliseMethod, requireHeader, unixNow, type HeaderMap } from './headers';
import { replayKey, type ReplayStore } from './replay-store';
import { uuidV4 } from './urn';

export const MINER_MAX_SKEW_SECONDS = 300;
export const MINER_NONCE_WINDOW_SECONDS = 600;
const NONCE = /^[A-Za-z0-9-]{1,128}$/;

export interface MinerRequestParts {
  method: string;
  path: string;
  address: string;
  nonce: string;
  timestamp: string;
  body?: Uint8Array;
}

/** A type alias (not an interface) so it fits any header map. */
export type MinerRequestHeaders = {
  'X-Miner-Address': string;
  'X-Miner-Timestamp': string;
  'X-Miner-Nonce': string;
  'X-Miner-Signature': string;
};

export function minerRequestMessage(parts: MinerRequestParts): string {
  return `cts-miner-v0:${normaliseMethod(parts.method)}:${checkPath(parts.path)}:${parts.address}:${parts.nonce}:${parts.timestamp}:${bodySha256Hex(parts.body)}`;
}

export function signMinerRequest(
  privateKey: Uint8Array,
  request: { method: string; path: string; body?: Uint8Array; nonce?: string; timestamp?: string },
): MinerRequestHeaders {
  const address = evmAddressOf(privateKey);
  const nonce = request.nonce ?? uuidV4();
  if (!NONCE.test(nonce)) throw new AppError('VALIDATION', 'The nonce must be 1–128 letters, digits or dashes.');
  const timestamp = request.timestamp ?? String(unixNow());
  const message = minerRequestMessage({ method: request.method, path: request.path, address, nonce, timestamp, body: request.body });
  const { signature } = eip191Sign(privateKey, message);
  return { 'X-Miner-Address': address, 'X-Miner-Timestamp': timestamp, 'X-Miner-Nonce': nonce, 'X-Miner-Signature': signature };
}

export interface VerifyMinerRequestOptions {
  nowSeconds: number;
  replayStore?: ReplayStore;
  maxSkewSeconds?: number;
  nonceWindowSeconds?: number;
}

/** Verifies a signed miner request and returns the (header-form) address; throws `AppError`. */
export function verifyMinerRequest(
  headers: HeaderMap,
  request: { method: string; path: string; body?: Uint8Array },
  options: VerifyMinerRequestOptions,
): string {
  const address = requireHeader(headers, 'X-Miner-Address');
  const timestamp = requireHeader(headers, 'X-Miner-Timestamp');
  const nonce = requireHeader(headers, 'X-Miner-Nonce');
  const signature = requireHeader(headers, 'X-Miner-Signature');
  checkTimestampWindow(timestamp, options.nowSeconds, options.maxSkewSeconds ?? MINER_MAX_SKEW_SECONDS);
  if (!isEvmAddress(address)) throw new AppError('SIGNATURE_INVALID', 'X-Miner-Address is not an address.');
  if (!NONCE.test(nonce)) throw new AppError('SIGNATURE_INVALID', 'X-Miner-Nonce is malformed.');
  const message = minerRequestMessage({ method: request.method, path: request.path, address, nonce, timestamp, body: request.body });
  const signer = eip191Recover(message, signature);
  if (signer.toLowerCase() !== address.toLowerCase()) throw new AppError('SIGNATURE_INVALID', 'The signature does not match X-Miner-Address.');
  if (options.replayStore !== undefined) {
    const fresh = options.replayStore.checkAndRecord(replayKey('miner', address.toLowerCase(), nonce), options.nowSeconds, options.nonceWindowSeconds ?? MINER_NONCE_WINDOW_SECONDS);
    if (!fresh) throw new AppError('NONCE_REPLAYED', 'This nonce was already used.');
  }
  return address;
}
