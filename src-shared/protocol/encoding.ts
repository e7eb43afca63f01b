/**
 * Byte encodings of PROTOCOLS.md ("Encodings used below"): lowercase hex, `0x-hex`, standard
 * padded base64, URL-safe base64 (padded or not), base58 (Bitcoin alphabet).
 *
 * Decoders are strict and canonical: they accept exactly the strings the matching encoder
 * produces and throw `AppError` (code chosen by the caller, default `VALIDATION`) otherwise.
 *
 * Speed: base64 of megabyte payloads sits on the envelope's hot path. Encoding uses the
 * platform's native `Uint8Array.prototype.toBase64` when present (Chromium/Electron), else a
 * global `Buffer` when the host has one (Node), else portable code; decoding validates and then
 * uses `Buffer` when present. All paths give identical results (property-tested).
 */
import bs58 from 'bs58';
import { AppError, type AppErrorCode } from '@shared/contract/errors';

interface BufferLike extends Uint8Array {
  toString(encoding?: string): string;
}
interface BufferCtorLike {
  from(data: Uint8Array | ArrayBuffer, byteOffset?: number, length?: number): BufferLike;
  from(data: string, encoding: 'base64'): Uint8Array;
}
interface NativeBase64 {
  toBase64?: (this: Uint8Array, options?: { alphabet?: 'base64' | 'base64url'; omitPadding?: boolean }) => string;
}

const hostBuffer = (globalThis as unknown as { Buffer?: BufferCtorLike }).Buffer;
const nativeToBase64 = (Uint8Array.prototype as unknown as NativeBase64).toBase64;

/** Chooses the fast paths; tests flip this off to check the portable code gives identical results. */
export const base64Paths = { native: typeof nativeToBase64 === 'function', buffer: hostBuffer !== undefined && typeof hostBuffer.from === 'function' };

function fail(code: AppErrorCode, message: string): never {
  throw new AppError(code, message);
}

// ---- hex ----------------------------------------------------------------------------------------

const HEX = '0123456789abcdef';
const hexPairs: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 1) out += hexPairs[bytes[i]!]!;
  return out;
}

export function to0xHex(bytes: Uint8Array): string {
  return `0x${toHex(bytes)}`;
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes hex. `lowercase` (the PROTOCOLS default) refuses upper case; `prefix` requires (`'0x'`)
 * or forbids (`'none'`) the `0x`, or accepts either (`'optional'`). `length` pins the byte count.
 */
export function fromHex(
  text: unknown,
  what: string,
  options: { length?: number; prefix?: '0x' | 'none' | 'optional'; lowercase?: boolean; code?: AppErrorCode } = {},
): Uint8Array {
  const code = options.code ?? 'VALIDATION';
  if (typeof text !== 'string') fail(code, `${what} must be a hex string.`);
  let s = text;
  const prefix = options.prefix ?? 'none';
  const has0x = s.startsWith('0x') || s.startsWith('0X');
  if (prefix === '0x' && !s.startsWith('0x')) fail(code, `${what} must start with 0x.`);
  if (prefix === 'none' && has0x) fail(code, `${what} must be hex without 0x.`);
  if (has0x && prefix !== 'none') s = s.slice(2);
  if (s.length % 2 !== 0) fail(code, `${what} has an odd number of hex digits.`);
  const out = new Uint8Array(s.length / 2);
  const lower = options.lowercase ?? true;
  for (let i = 0; i < out.length; i += 1) {
    const a = s.charCodeAt(2 * i);
    const b = s.charCodeAt(2 * i + 1);
    const hi = hexNibble(a);
    const lo = hexNibble(b);
    if (hi < 0 || lo < 0) fail(code, `${what} is not hex.`);
    if (lower && ((a >= 65 && a <= 70) || (b >= 65 && b <= 70))) fail(code, `${what} must be lowercase hex.`);
    out[i] = (hi << 4) | lo;
  }
  if (options.length !== undefined && out.length !== options.length) fail(code, `${what} must be ${options.length} bytes, got ${out.length}.`);
  return out;
}

// ---- base64 -------------------------------------------------------------------------------------

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const decodeTable = (alphabet: string): Int16Array => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i += 1) t[alphabet.charCodeAt(i)] = i;
  return t;
};
const STD_DEC = decodeTable(STD);
const URL_DEC = decodeTable(URL);

function portableEncode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  const parts: string[] = [];
  let chunk = '';
  const n = bytes.length;
  const full = n - (n % 3);
  for (let i = 0; i < full; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + alphabet[(v >>> 6) & 63]! + alphabet[v & 63]!;
    if (chunk.length >= 65536) {
      parts.push(chunk);
      chunk = '';
    }
  }
  const rest = n - full;
  if (rest === 1) {
    const v = bytes[full]! << 16;
    chunk += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + (pad ? '==' : '');
  } else if (rest === 2) {
    const v = (bytes[full]! << 16) | (bytes[full + 1]! << 8);
    chunk += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + alphabet[(v >>> 6) & 63]! + (pad ? '=' : '');
  }
  parts.push(chunk);
  return parts.join('');
}

function encodeStd(bytes: Uint8Array): string {
  if (base64Paths.native && nativeToBase64 !== undefined) return nativeToBase64.call(bytes);
  if (base64Paths.buffer && hostBuffer !== undefined) return hostBuffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return portableEncode(bytes, STD, true);
}

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  return encodeStd(bytes);
}

/** URL-safe base64, padded unless `pad` is false. */
export function toBase64Url(bytes: Uint8Array, pad = true): string {
  if (bytes.length < 4096) return portableEncode(bytes, URL, pad);
  let s = encodeStd(bytes).replace(/\+/g, '-').replace(/\//g, '_');
  if (!pad) s = s.replace(/=+$/, '');
  return s;
}

/** Strict, canonical decoding in portable code (also the reference the fast path is tested against). */
function portableDecode(s: string, table: Int16Array, padded: boolean): Uint8Array | undefined {
  let len = s.length;
  let padding = 0;
  if (padded) {
    if (len % 4 !== 0) return undefined;
    if (len > 0 && s.charCodeAt(len - 1) === 61) padding = s.charCodeAt(len - 2) === 61 ? 2 : 1;
    len -= padding;
  } else if (len % 4 === 1) {
    return undefined;
  }
  const rest = len % 4;
  const out = new Uint8Array(Math.floor(len / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let i = 0;
  const value = (k: number): number => {
    const c = s.charCodeAt(k);
    return c < 128 ? table[c]! : -1;
  };
  for (; i + 4 <= len; i += 4) {
    const a = value(i);
    const b = value(i + 1);
    const c = value(i + 2);
    const d = value(i + 3);
    if ((a | b | c | d) < 0) return undefined;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  if (rest === 2) {
    const a = value(i);
    const b = value(i + 1);
    if ((a | b) < 0 || (b & 15) !== 0) return undefined;
    out[o++] = (a << 2) | (b >>> 4);
  } else if (rest === 3) {
    const a = value(i);
    const b = value(i + 1);
    const c = value(i + 2);
    if ((a | b | c) < 0 || (c & 3) !== 0) return undefined;
    out[o++] = (a << 2) | (b >>> 4);
    out[o++] = ((b & 15) << 4) | (c >>> 2);
  }
  return out;
}

function fastDecodeStd(s: string): Uint8Array | undefined {
  if (hostBuffer === undefined || s.length % 4 !== 0) return undefined;
  // Buffer's decoder is lenient: it skips unknown characters, stops at an inner '=', and reads
  // '-' and '_' as '+' and '/'. Any skipped character or inner '=' yields fewer bytes than the
  // string's length promises (the length check); the searches catch the URL alphabet; the tail
  // check catches non-canonical trailing bits. Property-tested against the portable decoder.
  if (s.indexOf('-') !== -1 || s.indexOf('_') !== -1) return undefined;
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const expected = (s.length / 4) * 3 - padding;
  const out = hostBuffer.from(s, 'base64');
  if (out.length !== expected) return undefined;
  if (padding > 0) {
    const last = s.charCodeAt(s.length - padding - 1);
    const v = last < 128 ? STD_DEC[last]! : -1;
    if (v < 0 || (padding === 2 ? v & 15 : v & 3) !== 0) return undefined;
  }
  return out;
}

/** Standard padded base64, canonical form only. */
export function fromBase64(text: unknown, what: string, code: AppErrorCode = 'VALIDATION'): Uint8Array {
  if (typeof text !== 'string') fail(code, `${what} must be a base64 string.`);
  const out = base64Paths.buffer && text.length >= 1024 ? fastDecodeStd(text) : portableDecode(text, STD_DEC, true);
  if (out === undefined) fail(code, `${what} is not canonical padded base64.`);
  return out;
}

/** URL-safe base64; `padded` says whether padding is required (true) or forbidden (false). */
export function fromBase64Url(text: unknown, what: string, padded: boolean, code: AppErrorCode = 'VALIDATION'): Uint8Array {
  if (typeof text !== 'string') fail(code, `${what} must be a base64url string.`);
  const out = portableDecode(text, URL_DEC, padded);
  if (out === undefined) fail(code, `${what} is not canonical ${padded ? 'padded' : 'unpadded'} base64url.`);
  return out;
}

// ---- base58 -------------------------------------------------------------------------------------

export function toBase58(bytes: Uint8Array): string {
  return bs58.encode(bytes);
}

export function fromBase58(text: unknown, what: string, options: { length?: number; code?: AppErrorCode } = {}): Uint8Array {
  const code = options.code ?? 'VALIDATION';
  if (typeof text !== 'string' || text.length === 0 || text.length > 256) fail(code, `${what} must be a base58 string.`);
  let out: Uint8Array;
  try {
    out = bs58.decode(text);
  } catch {
    fail(code, `${what} is not base58.`);
  }
  if (options.length !== undefined && out.length !== options.length) fail(code, `${what} must be ${options.length} bytes, got ${out.length}.`);
  return out;
}

// ---- bytes --------------------------------------------------------------------------------------

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Constant-time comparison of two byte strings (length is not secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
