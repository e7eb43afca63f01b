/**
 * Checkpoint submission messages (PROTOCOLS §3):
 *   {"hotkey","expert_group","checkpoint_url","block_number","signature"}
 *   canonical bytes = UTF-8(hotkey + ":" + expert_group + ":" + checkpoint_url + ":" + block_number)
 *   signature = b64url of the 64-byte signature (padded by default), ed25519 (default) or sr25519.
 *
 * The validator's first three checks, in order: hotkey registered (public key from the chain,
 * never from the message) → `UNKNOWN_HOTKEY`; `|current − block_number| ≤ window` →
 * `BLOCK_WINDOW`; signature → `SIGNATURE_INVALID`.
 */
import { AppError, type AppErrorCode } from '@shared/contract/errors';
import { fromBase64Url, toBase64Url } from './encoding';
import { isId } from './hkdf-keys';
import { ss58Decode, verifySubstrate, type SubstratePair, type SubstrateScheme } from './identities';
import { utf8Encode } from './runtime';

export const DEFAULT_BLOCK_WINDOW = 10;

export interface CheckpointProfile {
  scheme: SubstrateScheme;
  /** Padded b64url (the seed's profile) or unpadded (the public Connito code). */
  padded: boolean;
}

export const DEFAULT_CHECKPOINT_PROFILE: CheckpointProfile = { scheme: 'ed25519', padded: true };

export interface CheckpointMessage {
  hotkey: string;
  expert_group: string | number;
  checkpoint_url: string;
  block_number: number;
  signature: string;
}

const GROUP = /^[A-Za-z0-9._-]{1,64}$/;
const KEYS = ['hotkey', 'expert_group', 'checkpoint_url', 'block_number', 'signature'];

function malformed(message: string): AppError {
  return new AppError('VALIDATION', message);
}

function checkFields(hotkey: unknown, expertGroup: unknown, url: unknown, blockNumber: unknown): void {
  if (typeof hotkey !== 'string' || hotkey.length === 0 || hotkey.includes(':')) throw malformed('hotkey must be an SS58 address.');
  if (!(isId(expertGroup) || (typeof expertGroup === 'string' && GROUP.test(expertGroup)))) throw malformed('expert_group must be an integer or a short id without ":".');
  if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url) || url.length > 2048) throw malformed('checkpoint_url must be an http(s) URL.');
  if (!isId(blockNumber)) throw malformed('block_number must be a non-negative integer.');
}

export function checkpointCanonical(hotkey: string, expertGroup: string | number, checkpointUrl: string, blockNumber: number): Uint8Array {
  checkFields(hotkey, expertGroup, checkpointUrl, blockNumber);
  return utf8Encode(`${hotkey}:${String(expertGroup)}:${checkpointUrl}:${blockNumber}`);
}

export function signCheckpoint(
  signer: SubstratePair,
  fields: { expert_group: string | number; checkpoint_url: string; block_number: number },
  profile: CheckpointProfile = DEFAULT_CHECKPOINT_PROFILE,
): CheckpointMessage {
  if (signer.scheme !== profile.scheme) throw new AppError('KEY_INVALID', `This competition signs checkpoints with ${profile.scheme}.`);
  const bytes = checkpointCanonical(signer.address, fields.expert_group, fields.checkpoint_url, fields.block_number);
  return { hotkey: signer.address, ...fields, signature: toBase64Url(signer.sign(bytes), profile.padded) };
}

export function parseCheckpointMessage(value: unknown): CheckpointMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('A checkpoint message is a JSON object.');
  const m = value as Record<string, unknown>;
  const keys = Object.keys(m);
  if (keys.length !== KEYS.length || !KEYS.every((k) => Object.prototype.hasOwnProperty.call(m, k))) throw malformed(`A checkpoint message has exactly ${KEYS.join(', ')}.`);
  checkFields(m.hotkey, m.expert_group, m.checkpoint_url, m.block_number);
  if (typeof m.signature !== 'string') throw new AppError('SIGNATURE_INVALID', 'signature must be a string.');
  return m as unknown as CheckpointMessage;
}

/** `|current − block| ≤ window` (pure). */
export function withinBlockWindow(currentBlock: number, blockNumber: number, window: number = DEFAULT_BLOCK_WINDOW): boolean {
  return Math.abs(currentBlock - blockNumber) <= window;
}

export type CheckpointReason = 'MALFORMED' | 'UNKNOWN_HOTKEY' | 'BLOCK_WINDOW' | 'SIGNATURE_INVALID';

export type Verdict<R extends string> = { valid: true } | { valid: false; reason: R; code: AppErrorCode; message: string };

export interface VerifyCheckpointOptions {
  profile?: CheckpointProfile;
  /** The registered public key of a hotkey (from the chain); undefined when unknown. */
  publicKeyOf: (hotkey: string) => Uint8Array | undefined;
  /** Omit to skip the window check (offline tools). */
  currentBlock?: number;
  blockWindow?: number;
}

/** The validator's checks 1–3 in order, stopping at the first failure. Never throws. */
export function verifyCheckpoint(value: unknown, options: VerifyCheckpointOptions): Verdict<CheckpointReason> {
  let message: CheckpointMessage;
  try {
    message = parseCheckpointMessage(value);
  } catch (error) {
    return { valid: false, reason: 'MALFORMED', code: 'VALIDATION', message: error instanceof AppError ? error.message : 'Malformed message.' };
  }
  const publicKey = options.publicKeyOf(message.hotkey);
  if (publicKey === undefined) return { valid: false, reason: 'UNKNOWN_HOTKEY', code: 'UNAUTHENTICATED', message: 'The hotkey is not registered.' };
  if (options.currentBlock !== undefined && !withinBlockWindow(options.currentBlock, message.block_number, options.blockWindow)) {
    return { valid: false, reason: 'BLOCK_WINDOW', code: 'BLOCK_WINDOW', message: `block_number is more than ${options.blockWindow ?? DEFAULT_BLOCK_WINDOW} blocks from the current block.` };
  }
  const profile = options.profile ?? DEFAULT_CHECKPOINT_PROFILE;
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(message.signature, 'signature', profile.padded, 'SIGNATURE_INVALID');
  } catch (error) {
    return { valid: false, reason: 'SIGNATURE_INVALID', code: 'SIGNATURE_INVALID', message: error instanceof AppError ? error.message : 'Bad signature.' };
  }
  const bytes = checkpointCanonical(message.hotkey, message.expert_group, message.checkpoint_url, message.block_number);
  if (!verifySubstrate(profile.scheme, bytes, signature, publicKey)) return { valid: false, reason: 'SIGNATURE_INVALID', code: 'SIGNATURE_INVALID', message: 'The signature does not verify.' };
  return { valid: true };
}

/** For offline checks (the CLI): the key is taken from the hotkey's SS58 itself. */
export function publicKeyFromHotkey(hotkey: string): Uint8Array | undefined {
  try {
    return ss58Decode(hotkey);
  } catch {
    return undefined;
  }
}
