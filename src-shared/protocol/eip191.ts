/**
 * EIP-191 `personal_sign` (PROTOCOLS §2.3, §2.6, §2.9):
 *   hash = keccak256("\x19Ethereum Signed Message:\n" + byteLength(message) + message)
 *   signature = r ‖ s ‖ v (65 bytes, v = 27/28), written `0x-hex`.
 * Signing is deterministic (RFC 6979) and low-S; recovery refuses high-S and any v but 27/28, so a
 * signature has exactly one accepted encoding.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { AppError } from '@shared/contract/errors';
import { concatBytes, fromHex, to0xHex, toHex } from './encoding';
import { utf8Encode } from './runtime';

export function personalMessageHash(message: string | Uint8Array): Uint8Array {
  const bytes = typeof message === 'string' ? utf8Encode(message) : message;
  return keccak_256(concatBytes(utf8Encode(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes));
}

/** EIP-55 mixed-case checksum form of a 20-byte address. */
export function checksumAddress(address20: Uint8Array): string {
  const hex = toHex(address20);
  const hash = toHex(keccak_256(utf8Encode(hex)));
  let out = '0x';
  for (let i = 0; i < 40; i += 1) out += parseInt(hash[i]!, 16) >= 8 ? hex[i]!.toUpperCase() : hex[i]!;
  return out;
}

function addressOfPublicKey(uncompressed: Uint8Array): string {
  return checksumAddress(keccak_256(uncompressed.subarray(1)).subarray(12));
}

export function parsePrivateKey(hex: unknown): Uint8Array {
  const key = fromHex(hex, 'private_key_hex', { length: 32, prefix: 'optional', lowercase: false, code: 'KEY_INVALID' });
  if (!secp256k1.utils.isValidSecretKey(key)) throw new AppError('KEY_INVALID', 'private_key_hex is not a valid secp256k1 private key.');
  return key;
}

/** EIP-55 address of a secp256k1 private key. */
export function evmAddressOf(privateKey: Uint8Array): string {
  return addressOfPublicKey(secp256k1.getPublicKey(privateKey, false));
}

export interface Eip191Signature {
  address: string;
  signature: string;
}

export function eip191Sign(privateKey: Uint8Array, message: string | Uint8Array): Eip191Signature {
  let recovered: Uint8Array;
  try {
    recovered = secp256k1.sign(personalMessageHash(message), privateKey, { prehash: false, format: 'recovered', lowS: true });
  } catch (cause) {
    throw new AppError('KEY_INVALID', 'The private key cannot sign.', { cause });
  }
  const rsv = concatBytes(recovered.subarray(1, 65), Uint8Array.of(27 + recovered[0]!));
  return { address: evmAddressOf(privateKey), signature: to0xHex(rsv) };
}

/** The EIP-55 address that signed `message`; `SIGNATURE_INVALID` for anything malformed. */
export function eip191Recover(message: string | Uint8Array, signature: unknown): string {
  const bytes = fromHex(signature, 'signature', { length: 65, prefix: '0x', lowercase: false, code: 'SIGNATURE_INVALID' });
  const v = bytes[64]!;
  if (v !== 27 && v !== 28) throw new AppError('SIGNATURE_INVALID', 'The signature v must be 27 or 28.');
  try {
    const sig = secp256k1.Signature.fromBytes(bytes.subarray(0, 64), 'compact');
    if (sig.hasHighS()) throw new AppError('SIGNATURE_INVALID', 'The signature is not in low-S form.');
    const point = sig.addRecoveryBit(v - 27).recoverPublicKey(personalMessageHash(message));
    return addressOfPublicKey(point.toBytes(false));
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw new AppError('SIGNATURE_INVALID', 'No signer can be recovered from this signature.', { cause });
  }
}

/** Did `address` (any case) sign `message`? Never throws for malformed signatures. */
export function eip191Verify(message: string | Uint8Array, signature: unknown, address: string): boolean {
  try {
    return eip191Recover(message, signature).toLowerCase() === address.toLowerCase();
  } catch {
    return false;
  }
}
