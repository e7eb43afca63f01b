/**
 * Scoped payload keys of private inference (PROTOCOLS §2.1):
 *   K(scope, version) = HKDF-SHA256(ikm = seed of that version, salt = empty,
 *                                   info = UTF-8("cts:v0:" + scope), length = 32)
 * plus the scope strings, the router keyring configuration and the seed fingerprint.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AppError } from '@shared/contract/errors';
import { fromHex, toHex } from './encoding';
import { utf8Encode } from './runtime';

export const MIN_SEED_BYTES = 32;
export const KEY_INFO_PREFIX = 'cts:v0:';

export type ScopeType = 'session' | 'task';

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** A session or task id: a non-negative safe integer (JSON integer on the wire). */
export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function requireId(value: unknown, what: string): number {
  if (!isId(value)) throw new AppError('VALIDATION', `${what} must be a non-negative integer.`);
  return value;
}

export function sessionScope(sessionId: number): string {
  return String(requireId(sessionId, 'session_id'));
}

export function taskScope(sessionId: number, taskId: number): string {
  return `${requireId(sessionId, 'session_id')}:${requireId(taskId, 'task_id')}`;
}

/** The scope string for a scope type; `task_id` must be given exactly when the type is `task`. */
export function scopeFor(scopeType: ScopeType, sessionId: number, taskId: number | null | undefined): string {
  if (scopeType === 'session') {
    if (taskId !== null && taskId !== undefined) throw new AppError('VALIDATION', 'A session scope carries no task_id.');
    return sessionScope(sessionId);
  }
  if (taskId === null || taskId === undefined) throw new AppError('VALIDATION', 'A task scope needs a task_id.');
  return taskScope(sessionId, taskId);
}

export interface ParsedScope {
  scopeType: ScopeType;
  sessionId: number;
  taskId: number | null;
}

/** Parses `"101"` or `"101:9001"` (decimal, no leading zeros, no spaces). */
export function parseScope(scope: unknown): ParsedScope {
  if (typeof scope !== 'string' || scope.length > 40) throw new AppError('VALIDATION', 'A scope is "<session_id>" or "<session_id>:<task_id>".');
  const parts = scope.split(':');
  const nums = parts.map((p) => (DECIMAL.test(p) ? Number(p) : NaN));
  if (parts.length === 1 && isId(nums[0])) return { scopeType: 'session', sessionId: nums[0], taskId: null };
  if (parts.length === 2 && isId(nums[0]) && isId(nums[1])) return { scopeType: 'task', sessionId: nums[0], taskId: nums[1] };
  throw new AppError('VALIDATION', 'A scope is "<session_id>" or "<session_id>:<task_id>" (decimal, no leading zeros).');
}

/** HKDF-SHA256 (RFC 5869). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(sha256, ikm, salt, info, length);
}

/** K(scope, version) for the seed of that version. */
export function deriveScopedKey(seed: Uint8Array, scope: string): Uint8Array {
  if (seed.length < MIN_SEED_BYTES) throw new AppError('KEY_INVALID', `A seed must be at least ${MIN_SEED_BYTES} bytes.`);
  parseScope(scope);
  return hkdf(sha256, seed, new Uint8Array(0), utf8Encode(KEY_INFO_PREFIX + scope), 32);
}

/** The only thing ever shown about a seed: the first 8 bytes of SHA-256(seed), hex. */
export function seedFingerprint(seed: Uint8Array): string {
  return toHex(sha256(seed).subarray(0, 8));
}

// ---- router keyring configuration (§2.1) --------------------------------------------------------

const VERSION = /^v[1-9][0-9]{0,8}$/;

export function isKeyVersion(value: unknown): value is string {
  return typeof value === 'string' && VERSION.test(value);
}

export interface Keyring {
  /** Version new encryptions use. */
  readonly active: string;
  /** Every version the router still holds (active and decrypt-only), version → seed. */
  readonly seeds: ReadonlyMap<string, Uint8Array>;
}

function parseSeed(text: string, variable: string): Uint8Array {
  let seed: Uint8Array;
  try {
    seed = fromHex(text, variable, { prefix: 'optional', lowercase: false });
  } catch {
    throw new AppError('VALIDATION', `${variable} must be hex.`);
  }
  if (seed.length < MIN_SEED_BYTES) throw new AppError('VALIDATION', `${variable} must be at least ${MIN_SEED_BYTES} bytes (${MIN_SEED_BYTES * 2} hex digits).`);
  return seed;
}

/**
 * Reads `ENCRYPTION_SEED`, `ENCRYPTION_KEY_VERSION` (default `v1`) and `ENCRYPTION_LEGACY_SEEDS`
 * (`v1:HEX,v2:HEX`). Errors name the variable, never its value.
 */
export function parseKeyringConfig(env: Readonly<Record<string, string | undefined>>): Keyring {
  if (typeof env !== 'object' || env === null) throw new AppError('VALIDATION', 'The keyring configuration must be an environment object.');
  for (const name of ['ENCRYPTION_SEED', 'ENCRYPTION_KEY_VERSION', 'ENCRYPTION_LEGACY_SEEDS']) {
    const v: unknown = env[name];
    if (v !== undefined && typeof v !== 'string') throw new AppError('VALIDATION', `${name} must be a string.`);
  }
  const seedText = env.ENCRYPTION_SEED;
  if (seedText === undefined || seedText === '') throw new AppError('VALIDATION', 'ENCRYPTION_SEED is not set.');
  const active = env.ENCRYPTION_KEY_VERSION === undefined || env.ENCRYPTION_KEY_VERSION === '' ? 'v1' : env.ENCRYPTION_KEY_VERSION;
  if (!isKeyVersion(active)) throw new AppError('VALIDATION', 'ENCRYPTION_KEY_VERSION must look like v1, v2, …');
  const seeds = new Map<string, Uint8Array>([[active, parseSeed(seedText, 'ENCRYPTION_SEED')]]);
  const legacy = env.ENCRYPTION_LEGACY_SEEDS;
  if (legacy !== undefined && legacy !== '') {
    legacy.split(',').forEach((entry, index) => {
      const colon = entry.indexOf(':');
      const version = colon < 0 ? '' : entry.slice(0, colon);
      if (!isKeyVersion(version)) throw new AppError('VALIDATION', `ENCRYPTION_LEGACY_SEEDS entry ${index + 1} must be vN:HEX.`);
      if (seeds.has(version)) throw new AppError('VALIDATION', `ENCRYPTION_LEGACY_SEEDS entry ${index + 1} repeats version ${version}.`);
      seeds.set(version, parseSeed(entry.slice(colon + 1), `ENCRYPTION_LEGACY_SEEDS entry ${index + 1}`));
    });
  }
  return { active, seeds };
}
