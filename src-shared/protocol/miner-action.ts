/**
 * Signed miner actions (PROTOCOLS §4), Platform-style headers:
 *   canonical = UTF-8("<prefix>:{netuid}:{slug}:{METHOD}:{path}:{hotkey}:{nonce}:{timestamp}:{sha256 hex of body}")
 * prefix `platform-upload-v1` by default (configurable per network), headers `X-Hotkey` (SS58),
 * `X-Signature` (`0x-hex`, 64-byte sr25519), `X-Nonce` (uuid4 hex), `X-Timestamp` (unix).
 *
 * Receiver order: hotkey registered → `UNAUTHENTICATED` (401 unknown hotkey); `|now − ts| ≤ 300`
 * → `STALE_TIMESTAMP`; signature (raw or `<Bytes>…</Bytes>`-wrapped) → `SIGNATURE_INVALID`;
 * `(netuid, slug, hotkey, nonce)` within 24 h → `NONCE_REPLAYED`; body > 7,500,000 → `TOO_LARGE`.
 */
import { AppError } from '@shared/contract/errors';
import { isEvmAddress } from './allowed-list';
import { eip191Recover, eip191Sign } from './eip191';
import { concatBytes, fromHex, to0xHex } from './encoding';
import { bodySha256Hex, checkPath, checkTimestampWindow, normaliseMethod, requireHeader, unixNow, type HeaderMap } from './headers';
import { isId } from './hkdf-keys';
import { ss58Decode, verifySubstrate, type SubstratePair, type SubstrateScheme } from './identities';
import { replayKey, type ReplayStore } from './replay-store';
import { utf8Encode } from './runtime';
import { uuidV4 } from './urn';

export const DEFAULT_ACTION_PREFIX = 'platform-upload-v1';
export const ACTION_MAX_SKEW_SECONDS = 300;
export const ACTION_REPLAY_WINDOW_SECONDS = 24 * 3600;
export const ACTION_MAX_BODY_BYTES = 7_500_000;

const PREFIX = /^[A-Za-z0-9._-]{1,64}$/;
const SLUG = /^[A-Za-z0-9._-]{1,128}$/;
const NONCE = /^[0-9a-f]{32}$/;
const WRAP_PREFIX = utf8Encode('<Bytes>');
const WRAP_SUFFIX = utf8Encode('</Bytes>');

export interface ActionTarget {
  /** Without the trailing colon; `platform-upload-v1:` is accepted too. */
  prefix?: string;
  netuid: number;
  slug: string;
  method: string;
  path: string;
  body?: Uint8Array;
  /** The body's SHA-256 (hex) when the body is too large to hold in memory (a streamed upload). */
  bodySha256Hex?: string;
}

/** A type alias (not an interface) so it fits any header map. */
export type ActionHeaders = {
  'X-Hotkey': string;
  'X-Signature': string;
  'X-Nonce': string;
  'X-Timestamp': string;
};

function normalisePrefix(prefix: string | undefined): string {
  if (prefix !== undefined && typeof prefix !== 'string') throw new AppError('VALIDATION', 'The action prefix must be a string.');
  const p = (prefix ?? DEFAULT_ACTION_PREFIX).replace(/:$/, '');
  if (!PREFIX.test(p)) throw new AppError('VALIDATION', 'The action prefix must be letters, digits, dots, dashes or underscores.');
  return p;
}

export function actionCanonical(target: ActionTarget, hotkey: string, nonce: string, timestamp: string): Uint8Array {
  if (!isId(target.netuid)) throw new AppError('VALIDATION', 'netuid must be a non-negative integer.');
  if (typeof target.slug !== 'string' || !SLUG.test(target.slug)) throw new AppError('VALIDATION', 'slug must be a short id without ":".');
  const text = `${normalisePrefix(target.prefix)}:${target.netuid}:${target.slug}:${normaliseMethod(target.method)}:${checkPath(target.path)}:${hotkey}:${nonce}:${timestamp}:${bodyHash(target)}`;
  return utf8Encode(text);
}

function bodyHash(target: ActionTarget): string {
  if (target.bodySha256Hex === undefined) return bodySha256Hex(target.body);
  if (!/^[0-9a-f]{64}$/.test(target.bodySha256Hex)) throw new AppError('VALIDATION', 'bodySha256Hex must be 64 lowercase hex digits.');
  if (target.body !== undefined && bodySha256Hex(target.body) !== target.bodySha256Hex) throw new AppError('VALIDATION', 'bodySha256Hex does not match the body.');
  return target.bodySha256Hex;
}

/** uuid4 as 32 lowercase hex digits (the `X-Nonce` form). */
export function actionNonce(): string {
  return uuidV4().replace(/-/g, '');
}

export function signAction(signer: SubstratePair, target: ActionTarget, options: { nonce?: string; timestamp?: string } = {}): ActionHeaders {
  if (signer.scheme !== 'sr25519') throw new AppError('KEY_INVALID', 'Miner actions are signed with the sr25519 hotkey.');
  const nonce = options.nonce ?? actionNonce();
  if (!NONCE.test(nonce)) throw new AppError('VALIDATION', 'X-Nonce must be a uuid4 as 32 lowercase hex digits.');
  const timestamp = options.timestamp ?? String(unixNow());
  const signature = signer.sign(actionCanonical(target, signer.address, nonce, timestamp));
  return { 'X-Hotkey': signer.address, 'X-Signature': to0xHex(signature), 'X-Nonce': nonce, 'X-Timestamp': timestamp };
}

export type ActionReason = 'UNKNOWN_HOTKEY' | 'MALFORMED' | 'STALE_TIMESTAMP' | 'SIGNATURE_INVALID' | 'NONCE_REPLAYED' | 'TOO_LARGE';

export interface VerifyActionOptions {
  nowSeconds: number;
  /** The hotkey's scheme as the chain records it (default sr25519; ed25519 for checkpoint hotkeys, PROTOCOLS §3). */
  scheme?: SubstrateScheme;
  /** Registered public key of a hotkey; default: taken from the SS58 itself (offline tools). */
  publicKeyOf?: (hotkey: string) => Uint8Array | undefined;
  replayStore?: ReplayStore;
  maxSkewSeconds?: number;
  maxBodyBytes?: number;
}

/** Verifies a signed action in the receiver's order; returns the hotkey or throws `AppError`. */
export function verifyAction(headers: HeaderMap, target: ActionTarget, options: VerifyActionOptions): string {
  const hotkey = requireHeader(headers, 'X-Hotkey');
  const signatureHex = requireHeader(headers, 'X-Signature');
  const nonce = requireHeader(headers, 'X-Nonce');
  const timestamp = requireHeader(headers, 'X-Timestamp');
  const publicKey = options.publicKeyOf !== undefined ? options.publicKeyOf(hotkey) : (() => {
    try {
      return ss58Decode(hotkey);
    } catch {
      return undefined;
    }
  })();
  if (publicKey === undefined) throw new AppError('UNAUTHENTICATED', 'unknown hotkey');
  checkTimestampWindow(timestamp, options.nowSeconds, options.maxSkewSeconds ?? ACTION_MAX_SKEW_SECONDS);
  if (!NONCE.test(nonce)) throw new AppError('SIGNATURE_INVALID', 'X-Nonce must be a uuid4 as 32 lowercase hex digits.');
  const signature = fromHex(signatureHex, 'X-Signature', { length: 64, prefix: '0x', lowercase: false, code: 'SIGNATURE_INVALID' });
  const bytes = actionCanonical(target, hotkey, nonce, timestamp);
  const scheme = options.scheme ?? 'sr25519';
  const ok = verifySubstrate(scheme, bytes, signature, publicKey) || verifySubstrate(scheme, concatBytes(WRAP_PREFIX, bytes, WRAP_SUFFIX), signature, publicKey);
  if (!ok) throw new AppError('SIGNATURE_INVALID', 'The signature does not verify.');
  if (options.replayStore !== undefined) {
    const fresh = options.replayStore.checkAndRecord(replayKey('action', target.netuid, target.slug, hotkey, nonce), options.nowSeconds, ACTION_REPLAY_WINDOW_SECONDS);
    if (!fresh) throw new AppError('NONCE_REPLAYED', 'This nonce was already used.');
  }
  if ((target.body?.length ?? 0) > (options.maxBodyBytes ?? ACTION_MAX_BODY_BYTES)) throw new AppError('TOO_LARGE', 'The body is larger than 7,500,000 bytes.');
  return hotkey;
}

/** The EIP-191 statement an EOA signs to join a private-inference competition (§2.9). */
export function joinEoaStatement(competitionId: string, hotkey: string): string {
  return `minerva-join:${competitionId}:${hotkey}`;
}

export type EoaJoinProof = { eoa: string; eoa_signature: string };

/** The `{"eoa","eoa_signature"}` a join action carries for a private-inference competition. */
export function eoaJoinProof(eoaPrivateKey: Uint8Array, competitionId: string, hotkey: string): EoaJoinProof {
  const { address, signature } = eip191Sign(eoaPrivateKey, joinEoaStatement(competitionId, hotkey));
  return { eoa: address, eoa_signature: signature };
}

/** The hub's check: the EOA signed this competition and this hotkey. Returns the EOA (lowercase). */
export function verifyEoaJoinProof(proof: unknown, competitionId: string, hotkey: string): string {
  if (typeof proof !== 'object' || proof === null) throw new AppError('VALIDATION', 'The join needs {"eoa","eoa_signature"}.');
  const { eoa, eoa_signature: signature } = proof as Record<string, unknown>;
  if (!isEvmAddress(eoa)) throw new AppError('VALIDATION', 'eoa must be 0x + 40 hex.');
  const signer = eip191Recover(joinEoaStatement(competitionId, hotkey), signature);
  if (signer.toLowerCase() !== eoa.toLowerCase()) throw new AppError('SIGNATURE_INVALID', 'eoa_signature was not made by eoa for this competition and hotkey.');
  return eoa.toLowerCase();
}
