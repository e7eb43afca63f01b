import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sr25519Sign } from '@polkadot/util-crypto';
import { eip55Address, type KeyPair } from './derive';

/** Signatures over bytes; these functions see secrets, so only the vault service calls them. */
export function signBytes(pair: KeyPair, message: Uint8Array): Uint8Array {
  switch (pair.scheme) {
    case 'sr25519':
      return sr25519Sign(message, pair);
    case 'ed25519':
      return ed25519.sign(message, pair.secretKey.subarray(0, 32));
    case 'secp256k1':
      return personalSign(pair, message);
    default:
      throw new Error('unknown scheme');
  }
}

/** EIP-191 `personal_sign` digest: keccak256("\x19Ethereum Signed Message:\n" + len + message). */
export function eip191Digest(message: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${message.length}`);
  const data = new Uint8Array(prefix.length + message.length);
  data.set(prefix, 0);
  data.set(message, prefix.length);
  return keccak_256(data);
}

/** 65 bytes r ‖ s ‖ v with v = 27 + recovery id, as MetaMask's personal_sign returns. */
export function personalSign(pair: KeyPair, message: Uint8Array): Uint8Array {
  if (pair.scheme !== 'secp256k1') throw new Error('personal_sign needs a secp256k1 key');
  const recovered = secp256k1.sign(eip191Digest(message), pair.secretKey, { prehash: false, format: 'recovered' });
  const out = new Uint8Array(65);
  out.set(recovered.subarray(1, 65), 0);
  out[64] = 27 + (recovered[0] as number);
  return out;
}

/** Address that produced an EIP-191 signature (for tests and for verifying our own output). */
export function recoverPersonalSigner(message: Uint8Array, signature: Uint8Array): string {
  if (signature.length !== 65) throw new Error('an EIP-191 signature has 65 bytes');
  const recovered = new Uint8Array(65);
  recovered[0] = (signature[64] as number) - 27;
  recovered.set(signature.subarray(0, 64), 1);
  const sig = secp256k1.Signature.fromBytes(recovered, 'recovered');
  return eip55Address(sig.recoverPublicKey(eip191Digest(message)).toBytes(false));
}
