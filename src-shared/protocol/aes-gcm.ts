/**
 * AES-256-GCM for bulk payloads (PROTOCOLS §2.4), 12-byte nonce, 16-byte tag.
 *
 * Two backends, same bytes:
 * - WebCrypto (`globalThis.crypto.subtle`): always available, runs natively (AES-NI) off the JS
 *   thread. Each call costs one thread-pool round trip (tens of µs), which dominates small
 *   payloads.
 * - `node:crypto`, when a Node host hands its module in with `useNodeCryptoAesGcm(crypto)`:
 *   synchronous native calls, a few µs for a 1 KiB envelope. src-shared never imports it.
 *
 * The pure-JS AES of @noble/ciphers is deliberately not used here (about 40× slower than AES-NI);
 * it stays with the vault's small secrets.
 */
import { AppError } from '@shared/contract/errors';
import { concatBytes } from './encoding';
import { webCrypto, type WebCryptoKey } from './runtime';

export const AES_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** The structural subset of Node's `node:crypto` the fast path calls. */
export interface NodeCryptoAesGcm {
  createCipheriv(algorithm: 'aes-256-gcm', key: Uint8Array, iv: Uint8Array, options?: { authTagLength?: number }): NodeGcmCipher;
  createDecipheriv(algorithm: 'aes-256-gcm', key: Uint8Array, iv: Uint8Array, options?: { authTagLength?: number }): NodeGcmDecipher;
}
interface NodeGcmCipher {
  setAAD(aad: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
}
interface NodeGcmDecipher {
  setAAD(aad: Uint8Array): unknown;
  setAuthTag(tag: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}

let nodeCrypto: NodeCryptoAesGcm | undefined;

/** A Node host (core, the practice network, the CLI) installs its `node:crypto` for speed. */
export function useNodeCryptoAesGcm(module: NodeCryptoAesGcm | undefined): void {
  nodeCrypto = module;
}

export function aesGcmBackend(): 'node:crypto' | 'webcrypto' {
  return nodeCrypto === undefined ? 'webcrypto' : 'node:crypto';
}

export interface Sealed {
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

function checkParams(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AES_KEY_BYTES) throw new AppError('KEY_INVALID', `An AES-256 key must be ${AES_KEY_BYTES} bytes.`);
  if (nonce.length !== GCM_NONCE_BYTES) throw new AppError('ENVELOPE_MALFORMED', `The nonce must be ${GCM_NONCE_BYTES} bytes.`);
}

function joined(head: Uint8Array, tail: Uint8Array): Uint8Array {
  return tail.length === 0 ? head : concatBytes(head, tail);
}

async function importKey(key: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<WebCryptoKey> {
  return webCrypto().subtle.importKey('raw', key, { name: 'AES-GCM' }, false, [usage]);
}

export async function aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Sealed> {
  checkParams(key, nonce);
  const node = nodeCrypto;
  if (node !== undefined) {
    const cipher = node.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(aad);
    const ciphertext = joined(cipher.update(plaintext), cipher.final());
    return { ciphertext, tag: cipher.getAuthTag() };
  }
  const out = new Uint8Array(await webCrypto().subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, await importKey(key, 'encrypt'), plaintext));
  const split = out.length - GCM_TAG_BYTES;
  return { ciphertext: out.subarray(0, split), tag: out.subarray(split) };
}

/** Authenticated decryption; any failure (wrong key, AAD, nonce, tag, bytes) is `DECRYPT_FAILED`. */
export async function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, sealed: Sealed, aad: Uint8Array): Promise<Uint8Array> {
  checkParams(key, nonce);
  if (sealed.tag.length !== GCM_TAG_BYTES) throw new AppError('ENVELOPE_MALFORMED', `The tag must be ${GCM_TAG_BYTES} bytes.`);
  const node = nodeCrypto;
  try {
    if (node !== undefined) {
      const decipher = node.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.tag);
      const head = decipher.update(sealed.ciphertext);
      return joined(head, decipher.final());
    }
    const data = concatBytes(sealed.ciphertext, sealed.tag);
    return new Uint8Array(await webCrypto().subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, await importKey(key, 'decrypt'), data));
  } catch (cause) {
    throw new AppError('DECRYPT_FAILED', 'The payload could not be decrypted: wrong key, scope or version, or it was altered.', { cause });
  }
}
