import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { encodeAddress, keyExtractPath, keyFromPath, mnemonicToMiniSecret, sr25519PairFromSeed } from '@polkadot/util-crypto';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import bs58 from 'bs58';
import { slip10Ed25519 } from '@shared/protocol/identities';

/**
 * Derivation of every identity of PROTOCOLS §1 from one root. Pure functions over bytes: the
 * vault service owns the results and zero-fills them on lock.
 */
export type Scheme = 'sr25519' | 'ed25519' | 'secp256k1';
export type Role = 'coldkey' | 'hotkey' | 'checkpoint-signer' | 'runner-wallet' | 'smp-hotkey' | 'eoa';
export const ROLES: readonly Role[] = ['coldkey', 'hotkey', 'checkpoint-signer', 'runner-wallet', 'smp-hotkey', 'eoa'];

/**
 * sr25519: 64-byte secret (key ‖ nonce) as polkadot-js holds it. ed25519: 64 bytes seed ‖ public
 * (polkadot-js layout). secp256k1: the 32-byte private key.
 */
export interface KeyPair {
  scheme: Scheme;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export const SS58_PREFIX = 42;
export const RUNNER_WALLET_PATH = "m/44'/501'/0'/0'";
export const EOA_PATH = "m/44'/60'/0'/0/0";

const WORDS = new Set(wordlist);

/** 1-based positions of the words that are not in the English BIP-39 list (positions only: the words are secret). */
export function unknownMnemonicWords(phrase: string): number[] {
  const out: number[] = [];
  phrase.split(' ').forEach((word, i) => {
    if (!WORDS.has(word)) out.push(i + 1);
  });
  return out;
}

export function isValidMnemonic(phrase: string): boolean {
  return validateMnemonic(phrase, wordlist);
}

/** Normalises spacing and case; the caller validates. */
export function normaliseMnemonic(phrase: string): string {
  return phrase.normalize('NFKD').trim().toLowerCase().split(/\s+/u).join(' ');
}

/** polkadot-js / substrate root: the 32-byte mini secret from the mnemonic's entropy. */
export function substrateMiniSecret(phrase: string): Uint8Array {
  return mnemonicToMiniSecret(phrase, '', undefined, true);
}

/** BIP-39 seed (64 bytes) for the BIP-32 / SLIP-0010 identities. */
export function bip39Seed(phrase: string): Uint8Array {
  return mnemonicToSeedSync(phrase);
}

/** `root` + `//a//b` (hard junctions) in the substrate scheme, as polkadot-js `addFromUri`. */
export function deriveSubstrate(miniSecret: Uint8Array, scheme: 'sr25519' | 'ed25519', path: string): KeyPair {
  const base = scheme === 'sr25519' ? sr25519PairFromSeed(miniSecret) : ed25519FromSeed(miniSecret);
  const junctions = path === '' ? [] : keyExtractPath(path).path;
  const pair = keyFromPath(base, junctions, scheme);
  if (pair !== base) base.secretKey.fill(0);
  return { scheme, publicKey: pair.publicKey, secretKey: pair.secretKey };
}

export function ed25519FromSeed(seed32: Uint8Array): KeyPair {
  const publicKey = ed25519.getPublicKey(seed32);
  const secretKey = new Uint8Array(64);
  secretKey.set(seed32, 0);
  secretKey.set(publicKey, 32);
  return { scheme: 'ed25519', publicKey, secretKey };
}

/** SLIP-0010 for ed25519: hardened indices only. Returns the 32-byte private key and chain code. */
/** SLIP-0010 ed25519 (one implementation, in the protocol library; it zero-fills intermediates). */
export { slip10Ed25519 };

export function runnerWalletFromSeed(seed: Uint8Array): KeyPair {
  const { key, chainCode } = slip10Ed25519(seed, RUNNER_WALLET_PATH);
  chainCode.fill(0);
  const pair = ed25519FromSeed(key);
  key.fill(0);
  return pair;
}

export function eoaFromSeed(seed: Uint8Array): KeyPair {
  const root = HDKey.fromMasterSeed(seed);
  const child = root.derive(EOA_PATH);
  if (!child.privateKey) throw new Error('BIP-44 derivation gave no private key');
  const pair = secp256k1FromPrivate(child.privateKey);
  child.wipePrivateData();
  root.wipePrivateData();
  return pair;
}

export function secp256k1FromPrivate(privateKey: Uint8Array): KeyPair {
  const secretKey = Uint8Array.from(privateKey);
  return { scheme: 'secp256k1', publicKey: secp256k1.getPublicKey(secretKey, false), secretKey };
}

export function ss58(publicKey: Uint8Array): string {
  return encodeAddress(publicKey, SS58_PREFIX);
}

export function base58(publicKey: Uint8Array): string {
  return bs58.encode(publicKey);
}

/** EIP-55 checksummed address of an uncompressed (65-byte) or compressed secp256k1 public key. */
export function eip55Address(publicKey: Uint8Array): string {
  const uncompressed = publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false);
  const hex = Buffer.from(keccak_256(uncompressed.subarray(1)).subarray(12)).toString('hex');
  const hash = Buffer.from(keccak_256(new TextEncoder().encode(hex))).toString('hex');
  let out = '0x';
  for (let i = 0; i < hex.length; i += 1) {
    const c = hex[i] as string;
    out += parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/** The address form of §1 for a role. */
export function addressFor(role: Role, publicKey: Uint8Array, scheme: Scheme): string {
  if (scheme === 'secp256k1') return eip55Address(publicKey);
  if (role === 'runner-wallet' || role === 'smp-hotkey') return base58(publicKey);
  return ss58(publicKey);
}

/** The substrate derivation path of each mnemonic-derived substrate role. */
export function substratePath(role: 'coldkey' | 'hotkey' | 'checkpoint-signer' | 'smp-hotkey', index: number): string {
  switch (role) {
    case 'coldkey':
      return '';
    case 'hotkey':
      return `//hotkey//${index}`;
    case 'checkpoint-signer':
      return `//submit//${index}`;
    case 'smp-hotkey':
      return `//smp//${index}`;
    default:
      throw new Error('unknown role');
  }
}

export function wipe(pair: KeyPair | undefined): void {
  pair?.secretKey.fill(0);
}
