/**
 * Small helpers shared by the signed-header formats (§2.6, §4): case-insensitive header lookup
 * that refuses repeated values, unix timestamps, body hashes and the path without its query.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AppError } from '@shared/contract/errors';
import { toHex } from './encoding';

/** Header maps as Node gives them (lowercase keys, arrays for repeats) or as plain records. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One header value by case-insensitive name; undefined when absent; repeated values refused. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let found: string | undefined;
  let count = 0;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== wanted || v === undefined) continue;
    if (typeof v === 'string') {
      found = v;
      count += 1;
    } else if (Array.isArray(v)) {
      for (const item of v as readonly unknown[]) {
        if (typeof item !== 'string') throw new AppError('UNAUTHENTICATED', `Header ${name} is malformed.`);
        found = item;
        count += 1;
      }
    } else {
      throw new AppError('UNAUTHENTICATED', `Header ${name} is malformed.`);
    }
  }
  if (count > 1) throw new AppError('UNAUTHENTICATED', `Header ${name} is repeated.`);
  return found;
}

export function requireHeader(headers: HeaderMap, name: string): string {
  const v = headerValue(headers, name);
  if (v === undefined || v === '') throw new AppError('UNAUTHENTICATED', `Header ${name} is missing.`);
  return v;
}

const UNIX = /^(0|[1-9][0-9]{0,11})$/;

/** A unix timestamp header (decimal seconds) as a number, or `STALE_TIMESTAMP` when malformed. */
export function parseUnixTimestamp(text: string): number {
  if (!UNIX.test(text)) throw new AppError('STALE_TIMESTAMP', 'The timestamp is not unix seconds.');
  return Number(text);
}

/** `|now − ts| ≤ maxSkew`, else `STALE_TIMESTAMP`. */
export function checkTimestampWindow(timestamp: string, nowSeconds: number, maxSkewSeconds: number): number {
  const ts = parseUnixTimestamp(timestamp);
  if (Math.abs(nowSeconds - ts) > maxSkewSeconds) throw new AppError('STALE_TIMESTAMP', `The signature is stale (more than ${maxSkewSeconds} s from now).`);
  return ts;
}

/** SHA-256 hex of a body; the hash of the empty string when there is none. */
export function bodySha256Hex(body: Uint8Array | undefined): string {
  return toHex(sha256(body ?? new Uint8Array(0)));
}

/** The path as sent, without its query string (percent-encoding kept). */
export function pathWithoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

const METHOD = /^[A-Z]{1,16}$/;

export function normaliseMethod(method: unknown): string {
  if (typeof method !== 'string') throw new AppError('VALIDATION', 'The HTTP method must be a string.');
  const m = method.toUpperCase();
  if (!METHOD.test(m)) throw new AppError('VALIDATION', 'The HTTP method must be letters only.');
  return m;
}

export function checkPath(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s]/.test(path)) throw new AppError('VALIDATION', 'The path must start with / and contain no spaces.');
  return pathWithoutQuery(path);
}

/** Current unix time in whole seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
