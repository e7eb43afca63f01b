/**
 * Secure Model Protocol signed messages (PROTOCOLS §5, Crunch-style).
 *
 * Message bytes are exactly Python's `json.dumps(obj)` (separators ", " and ": ", ensure_ascii:
 * everything outside 0x20–0x7E escaped as lowercase \uXXXX, surrogate pairs above U+FFFF) with
 * the keys in this order and no others:
 *   runner:      {"cert_pub": …, "hotkey": …, "model_id": …}
 *   coordinator: {"cert_pub": …, "hotkey": …}
 * Signature: raw ed25519 over those bytes by the wallet. Container (also the on-disk form):
 *   {"message_b64","wallet_pubkey_b58","signature_b64"}.
 *
 * Verification runs the checks of §5 in order and reports the first failure by number and name.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AppError, type AppErrorCode } from '@shared/contract/errors';
import { bytesEqual, fromBase58, fromBase64, toBase58, toBase64, toHex } from './encoding';
import { walletFromSeed } from './identities';
import { utf8Decode, utf8Encode } from './runtime';
import { spkiFromCertificate } from './x509';

export { certificateHash, spkiFromCertificate } from './x509';

export interface SmpContainer {
  message_b64: string;
  wallet_pubkey_b58: string;
  signature_b64: string;
}

export type SmpRole = 'runner' | 'coordinator';

const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x08: '\\b', 0x0c: '\\f' };

/** A string as Python's `json.dumps` (ensure_ascii=True) writes it, quotes included. */
export function pythonJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    const short = SHORT_ESCAPES[c];
    if (short !== undefined) out += short;
    else if (c >= 0x20 && c <= 0x7e) out += value[i]!;
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** `json.dumps` of a flat object of strings, keys in the given order. */
export function pythonJsonDumps(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([k, v]) => `${pythonJsonString(k)}: ${pythonJsonString(v)}`).join(', ')}}`;
}

export interface SmpMessageFields {
  cert_pub: string;
  hotkey: string;
  model_id?: string;
}

/** b64 of the certificate's SPKI DER: the `cert_pub` field. */
export function certPub(cert: string | Uint8Array): string {
  return toBase64(spkiFromCertificate(cert));
}

/** The exact message bytes for a runner (with `model_id`) or a coordinator (without). */
export function smpMessageBytes(fields: SmpMessageFields): Uint8Array {
  const entries: [string, string][] = [
    ['cert_pub', fields.cert_pub],
    ['hotkey', fields.hotkey],
  ];
  if (fields.model_id !== undefined) entries.push(['model_id', fields.model_id]);
  for (const [k, v] of entries) if (typeof v !== 'string') throw new AppError('VALIDATION', `${k} must be a string.`);
  return utf8Encode(pythonJsonDumps(entries));
}

/** Signs a message with the wallet's 32-byte ed25519 seed and wraps it in the container. */
export function signSmp(walletSeed: Uint8Array, fields: SmpMessageFields): { message: string; container: SmpContainer } {
  const wallet = walletFromSeed(walletSeed);
  const bytes = smpMessageBytes(fields);
  const signature = ed25519.sign(bytes, walletSeed);
  return {
    message: utf8Decode(bytes),
    container: { message_b64: toBase64(bytes), wallet_pubkey_b58: wallet.address, signature_b64: toBase64(signature) },
  };
}

export function parseSmpContainer(value: unknown): SmpContainer {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppError('VALIDATION', 'An SMP container is a JSON object.');
  const c = value as Record<string, unknown>;
  const keys = ['message_b64', 'wallet_pubkey_b58', 'signature_b64'];
  if (Object.keys(c).length !== 3 || !keys.every((k) => typeof c[k] === 'string')) throw new AppError('VALIDATION', 'An SMP container has exactly message_b64, wallet_pubkey_b58, signature_b64 (strings).');
  return c as unknown as SmpContainer;
}

// ---- gRPC metadata form ---------------------------------------------------------------------------

/** Metadata keys for each direction: the runner's response, the coordinator's request. */
export const SMP_METADATA_KEYS = {
  runner: { message: 'x-server-auth-message', signature: 'x-server-auth-signature', wallet: 'x-server-wallet-pubkey' },
  coordinator: { message: 'x-auth-message', signature: 'x-auth-signature', wallet: 'x-auth-wallet-pubkey' },
} as const;

export function smpMetadata(container: SmpContainer, role: SmpRole): Record<string, string> {
  const k = SMP_METADATA_KEYS[role];
  return { [k.message]: container.message_b64, [k.signature]: container.signature_b64, [k.wallet]: container.wallet_pubkey_b58 };
}

/**
 * Reads the container from metadata (`key → values`). Returns undefined when none of the keys is
 * present; a partial set or a repeated key is an error.
 */
export function smpContainerFromMetadata(get: (key: string) => readonly unknown[], role: SmpRole): SmpContainer | undefined {
  const k = SMP_METADATA_KEYS[role];
  const values = [get(k.message), get(k.signature), get(k.wallet)];
  if (values.every((v) => v.length === 0)) return undefined;
  if (values.some((v) => v.length !== 1 || typeof v[0] !== 'string')) throw new AppError('UNAUTHENTICATED', 'SMP metadata must carry each key exactly once, as ASCII.');
  return { message_b64: values[0]![0] as string, signature_b64: values[1]![0] as string, wallet_pubkey_b58: values[2]![0] as string };
}

// ---- verification ---------------------------------------------------------------------------------

export type SmpCheck = 'wallet' | 'signature' | 'keys' | 'cert_pub' | 'hotkey' | 'model_id';

export type SmpVerdict =
  | { valid: true; fields: SmpMessageFields }
  | { valid: false; check: SmpCheck; number: number; reason: string; code: AppErrorCode; message: string };

export interface SmpExpectations {
  /** Whose message: a runner's (with `model_id`) or a coordinator's (without). */
  role: SmpRole;
  /** The wallet public key on chain (32 bytes); the verifying key comes only from here. */
  expectedWallet: Uint8Array;
  /** The peer's certificate on this connection (PEM or DER), or its SPKI DER via `peerSpki`. */
  peerCert?: string | Uint8Array;
  peerSpki?: Uint8Array;
  expectedHotkey: string;
  /** The model called (runner messages only). */
  expectedModelId?: string;
}

const CHECK_CODES: Record<SmpCheck, AppErrorCode> = {
  wallet: 'UNAUTHENTICATED',
  signature: 'SIGNATURE_INVALID',
  keys: 'VALIDATION',
  cert_pub: 'CERT_INVALID',
  hotkey: 'UNAUTHENTICATED',
  model_id: 'UNAUTHENTICATED',
};
const CHECK_NUMBERS: Record<SmpCheck, number> = { wallet: 1, signature: 2, keys: 3, cert_pub: 4, hotkey: 5, model_id: 6 };

function failed(check: SmpCheck, message: string): SmpVerdict {
  return { valid: false, check, number: CHECK_NUMBERS[check], reason: `${CHECK_NUMBERS[check]}:${check}`, code: CHECK_CODES[check], message };
}

/**
 * The §5 checks in order: (1) the presented wallet equals the one on chain; (2) ed25519 signature
 * over the raw message bytes with the chain's key; (3) exactly the role's keys, all strings;
 * (4) `cert_pub` equals the peer certificate's SPKI; (5) `hotkey` equals the chain's; (6) runner
 * only: `model_id` equals the model called. Never throws.
 */
export function verifySmp(containerValue: unknown, expect: SmpExpectations): SmpVerdict {
  let container: SmpContainer;
  try {
    container = parseSmpContainer(containerValue);
  } catch {
    return failed('wallet', 'The container is malformed.');
  }
  let presented: Uint8Array;
  try {
    presented = fromBase58(container.wallet_pubkey_b58, 'wallet_pubkey_b58', { length: 32 });
  } catch {
    return failed('wallet', 'The presented wallet key is not a base58 32-byte key.');
  }
  if (expect.expectedWallet.length !== 32 || !bytesEqual(presented, expect.expectedWallet)) return failed('wallet', 'The presented wallet is not the one on chain.');
  let message: Uint8Array;
  let signature: Uint8Array;
  try {
    message = fromBase64(container.message_b64, 'message_b64');
    signature = fromBase64(container.signature_b64, 'signature_b64');
  } catch {
    return failed('signature', 'The message or signature is not canonical base64.');
  }
  let verified = false;
  try {
    verified = signature.length === 64 && ed25519.verify(signature, message, expect.expectedWallet, { zip215: false });
  } catch {
    verified = false;
  }
  if (!verified) return failed('signature', 'The signature does not verify with the wallet on chain.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(message, 'message'));
  } catch {
    return failed('keys', 'The message is not JSON.');
  }
  const wanted = expect.role === 'runner' ? ['cert_pub', 'hotkey', 'model_id'] : ['cert_pub', 'hotkey'];
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return failed('keys', 'The message is not a JSON object.');
  const obj = parsed as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length !== wanted.length || !wanted.every((k) => typeof obj[k] === 'string')) return failed('keys', `The message must have exactly ${wanted.join(', ')}.`);
  const fields: SmpMessageFields = { cert_pub: obj.cert_pub as string, hotkey: obj.hotkey as string };
  if (expect.role === 'runner') fields.model_id = obj.model_id as string;
  let peerSpki: Uint8Array;
  try {
    if (expect.peerSpki !== undefined) peerSpki = expect.peerSpki;
    else if (expect.peerCert !== undefined) peerSpki = spkiFromCertificate(expect.peerCert);
    else return failed('cert_pub', 'No peer certificate to compare with.');
  } catch {
    return failed('cert_pub', 'The peer certificate cannot be read.');
  }
  let claimed: Uint8Array;
  try {
    claimed = fromBase64(fields.cert_pub, 'cert_pub');
  } catch {
    return failed('cert_pub', 'cert_pub is not canonical base64.');
  }
  if (!bytesEqual(claimed, peerSpki)) return failed('cert_pub', 'cert_pub is not the certificate of this connection.');
  if (fields.hotkey !== expect.expectedHotkey) return failed('hotkey', 'hotkey is not the one on chain.');
  if (expect.role === 'runner' && fields.model_id !== expect.expectedModelId) return failed('model_id', 'model_id is not the model called.');
  return { valid: true, fields };
}

// ---- pinned policy --------------------------------------------------------------------------------

const ZERO_HASH = '0'.repeat(64);

/** §5 "pinned": sha256(peer SPKI) equals one of the chain's two hashes; 64 zeros never match. */
export function pinnedMatches(peerSpki: Uint8Array, chainHashes: readonly string[]): boolean {
  const hash = toHex(sha256(peerSpki));
  return chainHashes.some((h) => typeof h === 'string' && h.toLowerCase() !== ZERO_HASH && h.toLowerCase() === hash);
}

export type RunnerAuthPolicy = 'v1' | 'pinned' | 'either';

/** Which mechanism decides a call under `policy`, given whether any `x-auth-*` header came. */
export function decidingMechanism(policy: RunnerAuthPolicy, anyAuthHeader: boolean): 'v1' | 'pinned' {
  if (policy === 'either') return anyAuthHeader ? 'v1' : 'pinned';
  return policy;
}

export function walletKeyFromB58(text: unknown): Uint8Array {
  return fromBase58(text, 'wallet key', { length: 32, code: 'KEY_INVALID' });
}

export function walletB58(publicKey: Uint8Array): string {
  return toBase58(publicKey);
}
