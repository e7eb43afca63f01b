import type { Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { AppError } from '@shared/contract/errors';

/**
 * A checkpoint is published: its bytes are hashed, committed on chain and served to anyone. Before
 * that, refuse what must never leave the machine (a red-team run published `<data dir>/vault.json`
 * and `/proc/self/environ` this way):
 * - anything inside Minerva's data folder (the vault, the database, logs, keys), except the folders
 *   where Minerva itself puts checkpoints (browser uploads, the demo trainer's output);
 * - `/proc`, `/sys`, `/dev` and anything that is not a regular file (after following symlinks);
 * - files that look like key material: a PEM private key, a wallet or keyfile JSON (Minerva's
 *   vault, polkadot-js, Bittensor keyfiles, Ethereum keystores), a recovery phrase.
 * Key-likeness is judged on the first 64 KiB, so a multi-gigabyte checkpoint costs nothing extra.
 */
const SNIFF_BYTES = 64 * 1024;
const SYSTEM_ROOTS = ['/proc', '/sys', '/dev'];
/** Where Minerva itself writes checkpoints inside its data folder. */
const OWN_CHECKPOINT_DIRS = ['uploads', 'checkpoints'];
const WORDS = new Set(wordlist);

export async function assertPublishable(path: string, dataDir: string): Promise<{ realPath: string; bytes: number }> {
  if (!isAbsolute(path)) throw refuse('Give the checkpoint file’s full path.');
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new AppError('NOT_FOUND', `There is no file at ${path}. Check the path and try again.`);
  }
  if (SYSTEM_ROOTS.some((root) => within(real, root))) throw refuse(`${path} is a system file (${real.split(sep).slice(0, 2).join(sep)}), not a checkpoint; it could expose this computer’s secrets. Choose the file your training wrote.`);
  const dataReal = await realpath(dataDir).catch(() => dataDir);
  if (within(real, dataReal) && !OWN_CHECKPOINT_DIRS.some((d) => within(real, join(dataReal, d)))) {
    throw refuse(`${path} is inside Minerva’s data folder, which holds your wallet and keys; it is never published. Choose the file your training wrote.`);
  }
  const info = await stat(real);
  if (!info.isFile()) throw refuse(`${path} ${whatItIs(info)}, not a regular file; a checkpoint is one file. Choose the file your training wrote.`);
  const head = await readHead(real);
  const why = keyMaterial(head);
  if (why) throw refuse(`${path} looks like ${why}; Minerva never publishes key material. Choose the file your training wrote.`);
  return { realPath: real, bytes: info.size };
}

/** What a path that is not a regular file is, in words ("is a folder"), for refusals that say so. */
export function whatItIs(info: Stats): string {
  if (info.isDirectory()) return 'is a folder';
  if (info.isFIFO()) return 'is a named pipe (FIFO)';
  if (info.isSocket()) return 'is a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'is a device';
  return info.isFile() ? 'is a file' : 'is not a file';
}

function refuse(message: string): AppError {
  return new AppError('FORBIDDEN', message, { details: { permanent: true } });
}

function within(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** What kind of key material the start of a file is, or null. */
export function keyMaterial(head: Uint8Array): string | null {
  const text = Buffer.from(head).toString('utf8');
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) return 'a PEM private key';
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let json: unknown = null;
    try {
      json = JSON.parse(trimmed);
    } catch {
      json = null; // a truncated head or not JSON: judged by its words below
    }
    const fields = json !== null && typeof json === 'object' ? Object.keys(json) : [];
    const has = (...names: string[]): boolean => names.every((n) => fields.includes(n));
    if ((json as { format?: unknown } | null)?.format === 'minerva-vault' || /"format"\s*:\s*"minerva-vault"/.test(trimmed)) return 'Minerva’s wallet file';
    if (has('encoded', 'encoding')) return 'a polkadot-js key file';
    if (has('secretPhrase') || has('secretSeed') || has('privateKey')) return 'a Bittensor or wallet key file';
    if (has('crypto') && (has('address') || has('id'))) return 'an Ethereum keystore';
  }
  const words = trimmed.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length >= 12 && words.length <= 24 && words.every((w) => WORDS.has(w))) return 'a recovery phrase';
  if (/^(0x)?[0-9a-f]{64}$/i.test(trimmed)) return 'a raw private key or seed';
  return null;
}
