import { existsSync, readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '@shared/contract/errors';
import type { VaultIdentity } from '@shared/contract/vault';
import type { KeyPair, Role } from './derive';
import { writePrivateFileAtomic } from './vault-file';

/**
 * Mining mode's work keys (issue 16): the keys a miner needs to keep earning — hotkey, checkpoint
 * signer, runner wallet, SMP hotkey and EOA — and never the coldkey or the recovery phrase. They
 * stay in memory after the idle lock; with the user's opt-in they are also written to
 * `mining-keys.json` (0600) so that a restart resumes mining without the password.
 *
 * The file's protection is said in the file and in the UI:
 * - `os-keychain`: the keys are sealed by the operating system's keychain (Electron `safeStorage`:
 *   macOS Keychain, Windows DPAPI, libsecret/kwallet on Linux); another user or a copied disk
 *   cannot open them.
 * - `none` (headless): the keys lie in the file as hex. Anyone who can read the file can mine as
 *   this miner (sign with the hotkey, answer jobs) until the hotkey is rotated — but cannot move
 *   funds: the coldkey and the phrase are never in it. A standing key-safety warning says so.
 */
export const WORK_ROLES = ['hotkey', 'checkpoint-signer', 'runner-wallet', 'smp-hotkey', 'eoa'] as const;
export type WorkRole = (typeof WORK_ROLES)[number];

export function isWorkRole(role: Role): role is WorkRole {
  return (WORK_ROLES as readonly Role[]).includes(role);
}

export const MINING_KEYS_FILE = 'mining-keys.json';

/** The host's OS keychain (Electron `safeStorage`); absent on headless hosts. */
export interface SecretBox {
  /** Where the keys go, for the UI ("the macOS Keychain"). */
  readonly name: string;
  available(): boolean;
  encrypt(plain: Uint8Array): Uint8Array;
  decrypt(sealed: Uint8Array): Uint8Array;
}

export type MiningKeysProtection = 'none' | 'os-keychain';

const hexString = z.string().regex(/^[0-9a-f]*$/u);
const keySchema = z.object({ role: z.enum(WORK_ROLES), scheme: z.enum(['sr25519', 'ed25519', 'secp256k1']), publicKey: hexString, secretKey: hexString }).strict();
const identitySchema = z
  .object({
    role: z.enum(['coldkey', 'hotkey', 'checkpoint-signer', 'runner-wallet', 'smp-hotkey', 'eoa']),
    scheme: z.enum(['sr25519', 'ed25519', 'secp256k1']),
    address: z.string(),
    publicKey: hexString,
    source: z.enum(['mnemonic', 'seed', 'polkadot-json', 'btcli', 'solana-keypair', 'ethereum-key', 'watch-only', 'seed-derived']),
    active: z.boolean(),
    watchOnly: z.boolean(),
    index: z.number().int().optional(),
    derivation: z.string().optional(),
    createdAt: z.string().optional(),
    retiredAt: z.string().optional(),
  })
  .strict();
const innerSchema = z.object({ keys: z.array(keySchema), identities: z.array(identitySchema) }).strict();
const fileSchema = z.discriminatedUnion('protection', [
  z.object({ format: z.literal('minerva-mining-keys'), version: z.literal(1), protection: z.literal('none'), note: z.string(), createdAt: z.string(), keys: z.array(keySchema), identities: z.array(identitySchema) }).strict(),
  z.object({ format: z.literal('minerva-mining-keys'), version: z.literal(1), protection: z.literal('os-keychain'), note: z.string(), createdAt: z.string(), sealed: z.string() }).strict(),
]);

export interface WorkKeys {
  pairs: Map<WorkRole, KeyPair>;
  /** Public identities (addresses for the UI and the features), never secret. */
  identities: VaultIdentity[];
}

const NOTE_PLAIN =
  'Minerva mining keys (hotkey, checkpoint signer, runner wallet, SMP hotkey, EVM address), written because you chose "Resume mining after a restart". ' +
  'Whoever can read this file can mine as you until you rotate the hotkey, but cannot move funds: the coldkey and the recovery phrase are never in it. ' +
  'Turn the option off in Wallet & Security to delete it.';
const NOTE_SEALED =
  'Minerva mining keys, sealed by the operating system keychain, written because you chose "Resume mining after a restart". ' +
  'The coldkey and the recovery phrase are never in it. Turn the option off in Wallet & Security to delete it.';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** The file text for these work keys (pure; `box` seals them when given). */
export function encodeMiningKeys(keys: WorkKeys, at: Date, box?: SecretBox): string {
  const list = [...keys.pairs].map(([role, pair]) => ({ role, scheme: pair.scheme, publicKey: hex(pair.publicKey), secretKey: hex(pair.secretKey) }));
  // public identities only (addresses and public keys, the coldkey's too): the UI shows them while locked
  const identities = keys.identities.map((i) => ({ ...i }));
  if (box) {
    const inner = Buffer.from(JSON.stringify({ keys: list, identities }), 'utf8');
    try {
      const sealed = box.encrypt(inner);
      return `${JSON.stringify({ format: 'minerva-mining-keys', version: 1, protection: 'os-keychain', note: NOTE_SEALED, createdAt: at.toISOString(), sealed: Buffer.from(sealed).toString('base64') }, null, 2)}\n`;
    } finally {
      inner.fill(0);
    }
  }
  return `${JSON.stringify({ format: 'minerva-mining-keys', version: 1, protection: 'none', note: NOTE_PLAIN, createdAt: at.toISOString(), keys: list, identities }, null, 2)}\n`;
}

/** Reads the file text back (pure). A sealed file needs the same OS keychain. */
export function decodeMiningKeys(text: string, box?: SecretBox): WorkKeys & { protection: MiningKeysProtection } {
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
  } catch {
    throw new AppError('VAULT_CORRUPT', `${MINING_KEYS_FILE} is not a mining-keys file Minerva wrote. Unlock the wallet with your password; turning "Resume mining after a restart" off and on writes it again.`);
  }
  let inner: z.infer<typeof innerSchema>;
  if (parsed.protection === 'os-keychain') {
    if (!box?.available()) throw new AppError('UNSUPPORTED', 'The mining keys were sealed by the operating system keychain, which this host cannot open. Unlock the wallet with your password to mine.');
    let plain: Uint8Array;
    try {
      plain = box.decrypt(Buffer.from(parsed.sealed, 'base64'));
    } catch {
      throw new AppError('DECRYPT_FAILED', 'The operating system keychain could not open the mining keys (another user or computer sealed them). Unlock the wallet with your password to mine.');
    }
    try {
      inner = innerSchema.parse(JSON.parse(Buffer.from(plain).toString('utf8')));
    } finally {
      plain.fill(0);
    }
  } else {
    inner = { keys: parsed.keys, identities: parsed.identities };
  }
  const pairs = new Map<WorkRole, KeyPair>();
  for (const k of inner.keys) pairs.set(k.role, { scheme: k.scheme, publicKey: bytes(k.publicKey), secretKey: bytes(k.secretKey) });
  return { pairs, identities: inner.identities, protection: parsed.protection };
}

/** Writes the file atomically with mode 0600 (vault-file.ts's one helper: temp file, fsync, rename). */
export function writeMiningKeysFile(path: string, text: string): void {
  writePrivateFileAtomic(path, text);
}

export function readMiningKeysFile(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Which protection the file on disk has, without opening it; undefined when there is none. */
export function miningKeysProtectionOf(path: string): MiningKeysProtection | undefined {
  const text = readMiningKeysFile(path);
  if (text === undefined) return undefined;
  try {
    return (JSON.parse(text) as { protection?: string }).protection === 'os-keychain' ? 'os-keychain' : 'none';
  } catch {
    return 'none';
  }
}

export function removeMiningKeysFile(path: string): void {
  rmSync(path, { force: true });
}
