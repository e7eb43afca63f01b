/**
 * Key derivations and address forms of PROTOCOLS §1, shared by the vault and the practice network:
 * - sr25519 / ed25519 from a polkadot-js SURI (`mnemonic//hard/soft///password`), SS58 prefix 42;
 * - sr25519 / ed25519 key pairs from a 32-byte seed (checkpoint signer, §3);
 * - EOA: BIP-44 `m/44'/60'/0'/0/0` (MetaMask), EIP-55 address;
 * - Solana / runner wallet: SLIP-0010 ed25519 `m/44'/501'/0'/0'` (Phantom), base58 public key.
 */
import { Keyring } from '@polkadot/keyring';
import { decodeAddress, ed25519PairFromSeed, encodeAddress, sr25519PairFromSeed, sr25519Sign, sr25519Verify } from '@polkadot/util-crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { AppError } from '@shared/contract/errors';
import { concatBytes, toBase58 } from './encoding';
import { evmAddressOf } from './eip191';
import { utf8Encode } from './runtime';

export const SS58_PREFIX = 42;
export const EOA_PATH = "m/44'/60'/0'/0/0";
export const SOLANA_PATH = "m/44'/501'/0'/0'";

export type SubstrateScheme = 'sr25519' | 'ed25519';

export interface SubstratePair {
  scheme: SubstrateScheme;
  publicKey: Uint8Array;
  address: string;
  sign(message: Uint8Array): Uint8Array;
}

function keyInvalid(message: string, cause?: unknown): AppError {
  return new AppError('KEY_INVALID', message, cause === undefined ? undefined : { cause });
}

/** A pair from a SURI, as polkadot-js `addFromUri` does (the coldkey and `//hotkey//N` etc.). */
export function pairFromSuri(suri: string, scheme: SubstrateScheme): SubstratePair {
  if (typeof suri !== 'string' || suri.trim() === '') throw keyInvalid('The SURI is empty.');
  try {
    const pair = new Keyring({ type: scheme, ss58Format: SS58_PREFIX }).addFromUri(suri);
    return { scheme, publicKey: pair.publicKey, address: pair.address, sign: (m) => pair.sign(m) };
  } catch (cause) {
    throw keyInvalid('The SURI is not a valid mnemonic, seed or derivation path.', cause);
  }
}

/** A pair from a 32-byte seed (ed25519 seed or sr25519 mini-secret). */
export function pairFromSeed(seed: Uint8Array, scheme: SubstrateScheme): SubstratePair {
  if (seed.length !== 32) throw keyInvalid('A seed must be 32 bytes.');
  if (scheme === 'ed25519') {
    const kp = ed25519PairFromSeed(seed);
    return { scheme, publicKey: kp.publicKey, address: encodeAddress(kp.publicKey, SS58_PREFIX), sign: (m) => ed25519.sign(m, seed) };
  }
  const kp = sr25519PairFromSeed(seed);
  return { scheme, publicKey: kp.publicKey, address: encodeAddress(kp.publicKey, SS58_PREFIX), sign: (m) => sr25519Sign(m, kp) };
}

export function ss58Encode(publicKey: Uint8Array): string {
  return encodeAddress(publicKey, SS58_PREFIX);
}

/** The 32-byte public key of an SS58 address (any prefix, checksum verified). */
export function ss58Decode(address: unknown, code: 'KEY_INVALID' | 'SIGNATURE_INVALID' | 'VALIDATION' = 'KEY_INVALID'): Uint8Array {
  if (typeof address !== 'string' || address.length < 40 || address.length > 60) throw new AppError(code, 'Not an SS58 address.');
  let key: Uint8Array;
  try {
    key = decodeAddress(address);
  } catch (cause) {
    throw new AppError(code, 'Not an SS58 address.', { cause });
  }
  if (key.length !== 32) throw new AppError(code, 'The SS58 address does not hold a 32-byte public key.');
  return key;
}

/** Verifies a substrate signature (64 bytes); never throws. */
export function verifySubstrate(scheme: SubstrateScheme, message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return scheme === 'ed25519' ? ed25519.verify(signature, message, publicKey, { zip215: false }) : sr25519Verify(message, signature, publicKey);
  } catch {
    return false;
  }
}

function seedOfMnemonic(mnemonic: string): Uint8Array {
  const normal = mnemonic.trim().split(/\s+/).join(' ');
  if (!validateMnemonic(normal, wordlist)) throw keyInvalid('Not a valid BIP-39 English mnemonic.');
  return mnemonicToSeedSync(normal);
}

/** The EOA private key at `path` (default MetaMask's first account). */
export function eoaFromMnemonic(mnemonic: string, path: string = EOA_PATH): { privateKey: Uint8Array; address: string } {
  const node = HDKey.fromMasterSeed(seedOfMnemonic(mnemonic)).derive(path);
  const privateKey = node.privateKey;
  if (privateKey === null) throw keyInvalid('The derivation gave no private key.');
  return { privateKey, address: evmAddressOf(privateKey) };
}

export function eoaPublicKey(privateKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(privateKey, false);
}

const HARDENED = 0x80000000;

/**
 * SLIP-0010 ed25519 derivation (hardened indices only, as the scheme requires). Intermediate key
 * material is zero-filled as soon as the next level is derived.
 */
export function slip10Ed25519(seed: Uint8Array, path: string): { key: Uint8Array; chainCode: Uint8Array } {
  if (!/^m(\/[0-9]{1,10}')*$/.test(path)) throw keyInvalid("SLIP-0010 ed25519 paths are m/…' with hardened indices only.");
  let I = hmac(sha512, utf8Encode('ed25519 seed'), seed);
  for (const part of path.split('/').slice(1)) {
    const index = Number(part.slice(0, -1));
    if (index >= HARDENED) {
      I.fill(0);
      throw keyInvalid('A SLIP-0010 index must be below 2^31.');
    }
    const i = index + HARDENED;
    const data = concatBytes(Uint8Array.of(0), I.subarray(0, 32), Uint8Array.of((i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255));
    const next = hmac(sha512, I.subarray(32), data);
    data.fill(0);
    I.fill(0);
    I = next;
  }
  const result = { key: Uint8Array.from(I.subarray(0, 32)), chainCode: Uint8Array.from(I.subarray(32)) };
  I.fill(0);
  return result;
}

/** The runner / Solana wallet of a mnemonic: ed25519 seed, public key and base58 address. */
export function solanaFromMnemonic(mnemonic: string, path: string = SOLANA_PATH): { seed: Uint8Array; publicKey: Uint8Array; address: string } {
  const { key } = slip10Ed25519(seedOfMnemonic(mnemonic), path);
  return walletFromSeed(key);
}

/** An ed25519 wallet (runner wallet, SMP) from its 32-byte seed; address = base58 of the public key. */
export function walletFromSeed(seed: Uint8Array): { seed: Uint8Array; publicKey: Uint8Array; address: string } {
  if (seed.length !== 32) throw keyInvalid('An ed25519 seed must be 32 bytes.');
  const publicKey = ed25519.getPublicKey(seed);
  return { seed, publicKey, address: toBase58(publicKey) };
}
