import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { secretbox } from '@noble/ciphers/salsa.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { createPair } from '@polkadot/keyring';
import { decodePair } from '@polkadot/keyring/pair/decode';
import { base64Decode, decodeAddress, encodeAddress, sr25519PairFromSeed } from '@polkadot/util-crypto';
import { AppError } from '@shared/contract/errors';
import { deriveSubstrate, ed25519FromSeed, isValidMnemonic, normaliseMnemonic, unknownMnemonicWords, secp256k1FromPrivate, SS58_PREFIX, substrateMiniSecret, type KeyPair, type Role } from './derive';
import { naclColdkeyKey } from './kdf';

/**
 * Parsers for the key formats of PROTOCOLS §1. Each returns key material as bytes that the
 * service takes over (and wipes); none writes anything, none logs.
 */
export type ImportSource =
  | { kind: 'mnemonic'; phrase: string }
  | { kind: 'seed'; hex: string }
  | { kind: 'polkadot-json'; json: string; password: string; role?: 'coldkey' | 'hotkey' }
  | { kind: 'btcli'; dir: string; password?: string; hotkey?: string }
  | { kind: 'solana-keypair'; json: string }
  | { kind: 'ethereum-key'; hex: string }
  | { kind: 'watch-only-coldkey'; address: string };

export type ImportKind = ImportSource['kind'];

export interface ImportedKey {
  role: Role;
  source: 'polkadot-json' | 'btcli' | 'solana-keypair' | 'ethereum-key' | 'watch-only';
  pair: KeyPair;
  /** false: public key only (watch-only); `pair.secretKey` is then empty. */
  hasSecret: boolean;
}

export type ImportedRoot = { kind: 'mnemonic'; phrase: Uint8Array; words: number } | { kind: 'seed'; seed: Uint8Array };

export interface ImportResult {
  root?: ImportedRoot;
  keys: ImportedKey[];
}

const fail = (message: string, reason?: string) => new AppError('IMPORT_FAILED', message, reason ? { details: { reason } } : undefined);

function hexBytes(value: string, lengths: readonly number[], what: string): Uint8Array {
  const clean = value.trim().replace(/^0x/iu, '');
  if (!/^[0-9a-fA-F]*$/u.test(clean) || !lengths.includes(clean.length / 2)) {
    throw fail(`That does not look like ${what}: expected ${lengths.map((n) => n * 2).join(' or ')} hexadecimal characters (0x optional).`);
  }
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function importMnemonic(phrase: string): ImportResult {
  const normalised = normaliseMnemonic(phrase);
  const words = normalised.split(' ').length;
  // Say which word is wrong by its position, never by the word itself (the phrase is secret and
  // error messages may reach a log).
  const unknown = unknownMnemonicWords(normalised);
  if (unknown.length > 0) {
    const which = unknown.length === 1 ? `Word ${unknown[0]} is` : `Words ${unknown.slice(0, -1).join(', ')} and ${unknown.at(-1)} are`;
    throw fail(`That recovery phrase is not valid: ${which} not in the BIP-39 English word list. Check the spelling of ${unknown.length === 1 ? 'that word' : 'those words'} against your paper copy.`, 'unknown-word');
  }
  if (words !== 12 && words !== 24) {
    throw fail(`That recovery phrase has ${words} word${words === 1 ? '' : 's'}; it must have 12 or 24. Check that no word is missing or doubled.`, 'word-count');
  }
  if (!isValidMnemonic(normalised)) {
    throw fail('That recovery phrase is not valid: every word is in the BIP-39 list, but its checksum does not match, so a word is wrong or two are swapped. Compare it word by word with your paper copy.', 'checksum');
  }
  return { root: { kind: 'mnemonic', phrase: new TextEncoder().encode(normalised), words }, keys: [] };
}

export function importSeed(hex: string): ImportResult {
  return { root: { kind: 'seed', seed: hexBytes(hex, [32], 'a raw seed (32 bytes)') }, keys: [] };
}

export function importPolkadotJson(text: string, password: string, role: 'coldkey' | 'hotkey' = 'coldkey'): ImportResult {
  let json: { encoded?: unknown; encoding?: { content?: unknown; type?: unknown; version?: unknown }; address?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw fail('That file is not a polkadot-js account file (it is not JSON).');
  }
  const content = Array.isArray(json.encoding?.content) ? (json.encoding.content as unknown[]) : [];
  const scheme = content[1];
  if (typeof json.encoded !== 'string' || content[0] !== 'pkcs8' || (scheme !== 'sr25519' && scheme !== 'ed25519')) {
    throw fail('That file is not a polkadot-js sr25519 or ed25519 account (encoding.content must be ["pkcs8","sr25519"] or ["pkcs8","ed25519"]).');
  }
  const types = Array.isArray(json.encoding?.type) ? (json.encoding.type as string[]) : ['none'];
  let decoded: { publicKey: Uint8Array; secretKey: Uint8Array };
  try {
    decoded = decodePair(password, base64Decode(json.encoded), types as never);
  } catch {
    throw new AppError('AUTH_FAILED', 'That password does not open this account file. Use the password you chose when you exported it.');
  }
  if (typeof json.address === 'string') {
    let expected: Uint8Array | undefined;
    try {
      expected = decodeAddress(json.address);
    } catch {
      expected = undefined;
    }
    if (expected && Buffer.compare(Buffer.from(expected), Buffer.from(decoded.publicKey)) !== 0) throw fail('The account file is inconsistent: its address does not match its key.');
  }
  return { keys: [{ role, source: 'polkadot-json', hasSecret: true, pair: { scheme, publicKey: decoded.publicKey, secretKey: decoded.secretKey } }] };
}

/** polkadot-js keyring JSON v3 (scrypt + xsalsa20-poly1305), readable by `addFromJson`. */
export function exportPolkadotJson(pair: KeyPair, password: string, name: string): string {
  if (pair.scheme === 'secp256k1') throw new AppError('UNSUPPORTED', 'Only sr25519 and ed25519 keys can be exported as a polkadot-js account file.');
  const kp = createPair({ toSS58: (pk) => encodeAddress(pk, SS58_PREFIX), type: pair.scheme }, { publicKey: pair.publicKey, secretKey: pair.secretKey }, { name });
  const json = kp.toJson(password);
  kp.lock();
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** A btcli key JSON: secretPhrase → secretSeed → privateKey (bittensor-wallet's load order). */
function btcliKeypair(data: Record<string, unknown>, what: string): KeyPair {
  if (typeof data.secretPhrase === 'string' && data.secretPhrase.trim() !== '') {
    const phrase = normaliseMnemonic(data.secretPhrase);
    if (!isValidMnemonic(phrase)) throw fail(`The ${what} holds a recovery phrase that is not valid BIP-39.`);
    const mini = substrateMiniSecret(phrase);
    const pair = deriveSubstrate(mini, 'sr25519', '');
    mini.fill(0);
    return pair;
  }
  if (typeof data.secretSeed === 'string' && data.secretSeed !== '') {
    const seed = hexBytes(data.secretSeed, [32], `a secret seed in the ${what}`);
    const pair = sr25519PairFromSeed(seed);
    seed.fill(0);
    return { scheme: 'sr25519', publicKey: pair.publicKey, secretKey: pair.secretKey };
  }
  if (typeof data.privateKey === 'string' && data.privateKey !== '' && typeof data.publicKey === 'string') {
    return { scheme: 'sr25519', secretKey: hexBytes(data.privateKey, [64], `a private key in the ${what}`), publicKey: hexBytes(data.publicKey, [32], `a public key in the ${what}`) };
  }
  throw fail(`The ${what} holds no secret (secretPhrase, secretSeed or privateKey with publicKey).`);
}

function parseKeyJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    if (value && typeof value === 'object') return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw fail(`The ${what} is not a btcli key file.`);
}

/** Decrypts a `$NACL` coldkey: argon2i (v0x13, 8 passes, 512 MiB, p 1) + secretbox. */
export async function decryptNaclColdkey(file: Uint8Array, password: string): Promise<Uint8Array> {
  const key = await naclColdkeyKey(password);
  try {
    const body = file.subarray(5);
    return secretbox(key, body.subarray(0, 24)).open(body.subarray(24));
  } catch {
    throw new AppError('AUTH_FAILED', 'That password does not open the btcli coldkey. Use the password you gave btcli for this wallet.');
  } finally {
    key.fill(0);
  }
}

/**
 * A btcli wallet directory `<wallets>/<name>/`: `coldkey` ($NACL, or legacy plain JSON),
 * `coldkeypub.txt` (used for a watch-only coldkey when no password is given) and `hotkeys/<h>`.
 */
export async function importBtcliWallet(dir: string, password: string | undefined, hotkeyName?: string): Promise<ImportResult> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw fail(`There is no btcli wallet folder at ${dir}. Give the folder that holds "coldkey" and "hotkeys", e.g. ~/.bittensor/wallets/default.`);
  const keys: ImportedKey[] = [];
  const coldkeyPath = join(dir, 'coldkey');
  const pubPath = join(dir, 'coldkeypub.txt');
  if (password !== undefined && existsSync(coldkeyPath)) {
    const file = Uint8Array.from(readFileSync(coldkeyPath));
    const head = Buffer.from(file.subarray(0, 5)).toString('latin1');
    let plain: Uint8Array;
    if (head === '$NACL') plain = await decryptNaclColdkey(file, password);
    else if (file[0] === 0x7b) plain = file;
    else throw fail('This btcli coldkey uses an old encryption Minerva does not read. Run `btcli wallet update` (or regenerate the coldkey from its phrase), then import again.');
    const pair = btcliKeypair(parseKeyJson(plain, 'btcli coldkey'), 'btcli coldkey');
    plain.fill(0);
    keys.push({ role: 'coldkey', source: 'btcli', pair, hasSecret: true });
  } else if (existsSync(pubPath)) {
    const data = parseKeyJson(readFileSync(pubPath), 'btcli coldkeypub.txt');
    const publicKey = typeof data.publicKey === 'string' ? hexBytes(data.publicKey, [32], 'a public key') : typeof data.ss58Address === 'string' ? decodeAddress(data.ss58Address) : undefined;
    if (!publicKey) throw fail('The btcli coldkeypub.txt holds no public key.');
    keys.push({ role: 'coldkey', source: 'watch-only', pair: { scheme: 'sr25519', publicKey, secretKey: new Uint8Array(0) }, hasSecret: false });
  }
  const hotkeysDir = join(dir, 'hotkeys');
  if (existsSync(hotkeysDir)) {
    const names = readdirSync(hotkeysDir).filter((n) => !n.startsWith('.') && !n.endsWith('pub.txt')).sort();
    const pick = hotkeyName ?? (names.includes('default') ? 'default' : names[0]);
    if (hotkeyName !== undefined && !names.includes(hotkeyName)) throw fail(`The btcli wallet has no hotkey named "${hotkeyName}". It has: ${names.join(', ') || 'none'}.`);
    if (pick !== undefined) {
      const pair = btcliKeypair(parseKeyJson(readFileSync(join(hotkeysDir, pick)), `btcli hotkey "${pick}"`), `btcli hotkey "${pick}"`);
      keys.push({ role: 'hotkey', source: 'btcli', pair, hasSecret: true });
    }
  }
  if (keys.length === 0) throw fail('That btcli wallet folder holds no coldkey, coldkeypub.txt or hotkey.');
  return { keys };
}

export function importSolanaKeypair(text: string): ImportResult {
  let arr: unknown;
  try {
    arr = JSON.parse(text);
  } catch {
    arr = undefined;
  }
  if (!Array.isArray(arr) || arr.length !== 64 || !arr.every((n) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 255)) {
    throw fail('That is not a Solana keypair file: expected a JSON array of 64 numbers (as solana-keygen writes).');
  }
  const bytes = Uint8Array.from(arr as number[]);
  const pair = ed25519FromSeed(bytes.subarray(0, 32));
  const matches = Buffer.compare(Buffer.from(pair.publicKey), Buffer.from(bytes.subarray(32))) === 0;
  bytes.fill(0);
  (arr as number[]).fill(0);
  if (!matches) {
    pair.secretKey.fill(0);
    throw fail('That Solana keypair file is inconsistent: its public half does not match its secret half.');
  }
  return { keys: [{ role: 'runner-wallet', source: 'solana-keypair', pair, hasSecret: true }] };
}

export function importEthereumKey(hex: string): ImportResult {
  const key = hexBytes(hex, [32], 'an Ethereum private key (32 bytes)');
  if (!secp256k1.utils.isValidSecretKey(key)) throw fail('That is not a valid Ethereum private key (out of range).');
  const pair = secp256k1FromPrivate(key);
  key.fill(0);
  return { keys: [{ role: 'eoa', source: 'ethereum-key', pair, hasSecret: true }] };
}

export function importWatchOnlyColdkey(address: string): ImportResult {
  let publicKey: Uint8Array;
  try {
    publicKey = /^0x[0-9a-fA-F]{64}$/u.test(address.trim()) ? hexBytes(address, [32], 'a public key') : decodeAddress(address.trim());
  } catch {
    throw fail('That is not a coldkey address: give its SS58 address (starting with 5…) or its 32-byte public key in hex.');
  }
  if (publicKey.length !== 32) throw fail('A coldkey public key has 32 bytes.');
  return { keys: [{ role: 'coldkey', source: 'watch-only', hasSecret: false, pair: { scheme: 'sr25519', publicKey, secretKey: new Uint8Array(0) } }] };
}

export async function parseImport(source: ImportSource): Promise<ImportResult> {
  switch (source.kind) {
    case 'mnemonic':
      return importMnemonic(source.phrase);
    case 'seed':
      return importSeed(source.hex);
    case 'polkadot-json':
      return importPolkadotJson(source.json, source.password, source.role);
    case 'btcli':
      return importBtcliWallet(source.dir, source.password, source.hotkey);
    case 'solana-keypair':
      return importSolanaKeypair(source.json);
    case 'ethereum-key':
      return importEthereumKey(source.hex);
    case 'watch-only-coldkey':
      return importWatchOnlyColdkey(source.address);
    default: {
      const never: never = source;
      throw new AppError('UNSUPPORTED', `Unknown import format ${String((never as { kind: unknown }).kind)}.`);
    }
  }
}

/** Sanity check a signature scheme pair (used after import). */
export function ed25519Matches(pair: KeyPair): boolean {
  return pair.scheme !== 'ed25519' || Buffer.compare(Buffer.from(ed25519.getPublicKey(pair.secretKey.subarray(0, 32))), Buffer.from(pair.publicKey)) === 0;
}
