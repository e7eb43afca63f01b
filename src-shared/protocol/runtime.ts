/**
 * The few platform capabilities the protocol code needs, typed structurally so that src-shared
 * stays pure (no `node:*`, no DOM lib): WebCrypto (`globalThis.crypto`, present in Node 20,
 * browsers and Electron), `TextEncoder`/`TextDecoder`, and — only as an optional fast path that a
 * Node host may hand in — the `node:crypto` module for AES-GCM (see `aes-gcm.ts`).
 *
 * Nothing here is imported from Node; a host that wants the fast path passes its own module in.
 */
import { AppError } from '@shared/contract/errors';

/** The subset of WebCrypto's `CryptoKey` we touch (it is opaque to us). */
export interface WebCryptoKey {
  readonly type: string;
}

export interface AesGcmParamsLike {
  name: 'AES-GCM';
  iv: Uint8Array;
  additionalData?: Uint8Array;
  tagLength?: number;
}

export interface SubtleCryptoLike {
  importKey(format: 'raw', keyData: Uint8Array, algorithm: { name: 'AES-GCM' }, extractable: boolean, keyUsages: ('encrypt' | 'decrypt')[]): Promise<WebCryptoKey>;
  encrypt(algorithm: AesGcmParamsLike, key: WebCryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: AesGcmParamsLike, key: WebCryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
}

export interface WebCryptoLike {
  readonly subtle: SubtleCryptoLike;
  getRandomValues<T extends Uint8Array>(array: T): T;
}

interface TextDecoderLike {
  decode(input: Uint8Array): string;
}
interface TextEncoderLike {
  encode(input: string): Uint8Array;
}

interface GlobalCapabilities {
  crypto?: WebCryptoLike;
  TextEncoder?: new () => TextEncoderLike;
  TextDecoder?: new (label?: string, options?: { fatal?: boolean }) => TextDecoderLike;
}

const globals = globalThis as unknown as GlobalCapabilities;

/** WebCrypto of the current platform; a clear error when a host lacks it. */
export function webCrypto(): WebCryptoLike {
  const c = globals.crypto;
  if (c === undefined || typeof c.getRandomValues !== 'function' || c.subtle === undefined) {
    throw new AppError('UNSUPPORTED', 'This platform has no WebCrypto (globalThis.crypto); protocol crypto cannot run.');
  }
  return c;
}

/** `n` cryptographically random bytes (WebCrypto, in chunks of its 64 KiB limit). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  const c = webCrypto();
  for (let off = 0; off < n; off += 65536) c.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

let encoder: TextEncoderLike | undefined;
let strictDecoder: TextDecoderLike | undefined;

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8Encode(text: string): Uint8Array {
  if (encoder === undefined) {
    const Ctor = globals.TextEncoder;
    if (Ctor === undefined) throw new AppError('UNSUPPORTED', 'This platform has no TextEncoder.');
    encoder = new Ctor();
  }
  return encoder.encode(text);
}

/** Strict UTF-8 decoding: invalid UTF-8 is an `ENVELOPE_MALFORMED` error, never U+FFFD. */
export function utf8Decode(bytes: Uint8Array, what = 'text'): string {
  if (strictDecoder === undefined) {
    const Ctor = globals.TextDecoder;
    if (Ctor === undefined) throw new AppError('UNSUPPORTED', 'This platform has no TextDecoder.');
    strictDecoder = new Ctor('utf-8', { fatal: true });
  }
  try {
    return strictDecoder.decode(bytes);
  } catch (cause) {
    throw new AppError('ENVELOPE_MALFORMED', `The ${what} is not valid UTF-8.`, { cause });
  }
}
