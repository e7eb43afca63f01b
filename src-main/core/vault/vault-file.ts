import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { fsyncDir, writePrivateFileAtomic, writePrivateTemp } from '@common/private-file';
import { isProcessAlive } from '@common/process';
import { AppError } from '@shared/contract/errors';
import { deriveVaultKey, kdfParamsSchema, withSalt, type KdfChoice, type KdfParams } from './kdf';

/**
 * `vault.json`: a plaintext header (format, KDF parameters with salt, cipher nonce, key check)
 * and the XChaCha20-Poly1305 ciphertext of the payload, with the canonical header bytes as
 * associated data. A SHA-256 checksum over header and ciphertext tells accidental damage
 * (truncation, a flipped byte, a header from another file) apart from a wrong password before the
 * slow KDF runs; the key check tells a wrong password apart from deliberate tampering.
 */
export const VAULT_FORMAT = 'minerva-vault';
export const VAULT_VERSION = 1;

const headerSchema = z
  .object({
    format: z.literal(VAULT_FORMAT),
    version: z.literal(VAULT_VERSION),
    kdf: kdfParamsSchema,
    cipher: z.object({ name: z.literal('xchacha20-poly1305'), nonce: z.string().regex(/^[0-9a-f]{48}$/) }).strict(),
    keyCheck: z.string().regex(/^[0-9a-f]{32}$/),
  })
  .strict();

const fileSchema = z.object({ header: headerSchema, ciphertext: z.string().min(1), checksum: z.string().regex(/^[0-9a-f]{64}$/) }).strict();

export type VaultHeader = z.infer<typeof headerSchema>;
export interface ParsedVault {
  header: VaultHeader;
  ciphertext: Uint8Array;
}

/** Master key from the KDF; split into an encryption key and a key-check key. */
export interface VaultKey {
  kdf: KdfParams;
  master: Uint8Array;
}

const te = new TextEncoder();

/** JSON with object keys sorted at every depth: the exact bytes the AEAD authenticates. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function subKey(master: Uint8Array, label: string): Uint8Array {
  return hmac(sha256, master, te.encode(`minerva-vault/${label}`));
}

function keyCheckOf(master: Uint8Array): string {
  const k = subKey(master, 'key-check');
  const hex = Buffer.from(k.subarray(0, 16)).toString('hex');
  k.fill(0);
  return hex;
}

function checksumOf(header: VaultHeader, ciphertext: Uint8Array): string {
  const h = te.encode(canonicalJson(header));
  const data = new Uint8Array(h.length + ciphertext.length);
  data.set(h, 0);
  data.set(ciphertext, h.length);
  return Buffer.from(sha256(data)).toString('hex');
}

export async function newVaultKey(password: string, kdf: KdfChoice): Promise<VaultKey> {
  const params = withSalt(kdf, randomBytes(16));
  return { kdf: params, master: await deriveVaultKey(password, params) };
}

export function corrupt(reason: string): AppError {
  return new AppError(
    'VAULT_CORRUPT',
    'Your wallet file is damaged or was changed outside Minerva, so it cannot be opened. If a backup from before the last change exists, restore it (minerva wallet restore-backup, or "Restore backup" in the app); otherwise import your recovery phrase again.',
    { details: { reason } },
  );
}

export function wrongPassword(): AppError {
  return new AppError('AUTH_FAILED', 'That password does not open this wallet. Check it and try again.');
}

/** Encrypts a payload with a (new or existing) vault key; a fresh nonce every time. */
export function sealVault(payload: Uint8Array, key: VaultKey): string {
  const nonce = randomBytes(24);
  const header: VaultHeader = {
    format: VAULT_FORMAT,
    version: VAULT_VERSION,
    kdf: key.kdf,
    cipher: { name: 'xchacha20-poly1305', nonce: Buffer.from(nonce).toString('hex') },
    keyCheck: keyCheckOf(key.master),
  };
  const encKey = subKey(key.master, 'encrypt');
  const ciphertext = xchacha20poly1305(encKey, nonce, te.encode(canonicalJson(header))).encrypt(payload);
  encKey.fill(0);
  return `${JSON.stringify({ header, ciphertext: Buffer.from(ciphertext).toString('base64'), checksum: checksumOf(header, ciphertext) }, null, 2)}\n`;
}

/** Structural checks only (no password): throws VAULT_CORRUPT with the reason in details. */
export function parseVault(text: string): ParsedVault {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt(text.length === 0 ? 'empty file' : 'not valid JSON (truncated?)');
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const version = (raw as { header?: { version?: unknown } } | null)?.header?.version;
    if (typeof version === 'number' && version > VAULT_VERSION) {
      throw new AppError('UNSUPPORTED', 'This wallet file was written by a newer Minerva. Update Minerva to open it.');
    }
    throw corrupt('header does not match the vault format');
  }
  const { header, checksum } = parsed.data;
  const ciphertext = Uint8Array.from(Buffer.from(parsed.data.ciphertext, 'base64'));
  if (ciphertext.length < 17 || Buffer.from(ciphertext).toString('base64') !== parsed.data.ciphertext) throw corrupt('ciphertext is not valid base64');
  if (checksumOf(header, ciphertext) !== checksum) throw corrupt('checksum mismatch');
  return { header, ciphertext };
}

export async function keyFor(parsed: ParsedVault, password: string): Promise<VaultKey> {
  const master = await deriveVaultKey(password, parsed.header.kdf);
  if (keyCheckOf(master) !== parsed.header.keyCheck) {
    master.fill(0);
    throw wrongPassword();
  }
  return { kdf: parsed.header.kdf, master };
}

export function openSealed(parsed: ParsedVault, key: VaultKey): Uint8Array {
  const encKey = subKey(key.master, 'encrypt');
  try {
    return xchacha20poly1305(encKey, Buffer.from(parsed.header.cipher.nonce, 'hex'), te.encode(canonicalJson(parsed.header))).decrypt(parsed.ciphertext);
  } catch {
    throw corrupt('authentication tag mismatch with a correct password');
  } finally {
    encKey.fill(0);
  }
}

/** Test hooks: let a test stop the process at a precise point of an atomic write. */
export interface WriteHooks {
  afterTempWritten?: (tempPath: string) => Promise<void> | void;
}

/**
 * temp file (0600) → fsync → previous generation to `.bak` → rename → fsync the folder. A crash at
 * any point leaves either the old or the new file complete under the final name.
 */
export async function writeVaultAtomic(path: string, text: string, hooks: WriteHooks = {}): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  writePrivateTemp(temp, text);
  await hooks.afterTempWritten?.(temp);
  if (existsSync(path)) writePrivateFileAtomic(`${path}.bak`, readFileSync(path));
  renameSync(temp, path);
  fsyncDir(dirname(path));
}

export { writePrivateFileAtomic } from '@common/private-file';

/** Leftover temp files of an interrupted write (their process is gone): never the live vault. */
export function removeStaleTemps(path: string, names: readonly string[]): void {
  const base = path.split(/[\\/]/u).pop() ?? '';
  for (const name of names) {
    const match = new RegExp(`^${base.replace(/\./gu, '\\.')}(?:\\.bak)?\\.tmp-(\\d+)$`, 'u').exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && isProcessAlive(pid)) continue; // another Minerva is writing right now
    rmSync(`${dirname(path)}/${name}`, { force: true });
  }
}
