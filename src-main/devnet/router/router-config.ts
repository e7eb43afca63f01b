/**
 * The practice router's configuration (PROTOCOLS §2.1, §2.2, §2.7), given as the variables a real
 * router reads: `ENCRYPTION_SEED`, `ENCRYPTION_KEY_VERSION`, `ENCRYPTION_LEGACY_SEEDS`,
 * `ENCRYPTION_ALLOWED_LIST`, `ROUTER_API_TOKENS`.
 *
 * When the seed or the tokens are not given, the practice network keeps its own in
 * `<dataDir>/devnet/router/router.env` (mode 0600, generated on first start). Every error names
 * the variable (or the file), never a value.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDir, writePrivateFileAtomic, writePrivateTemp } from '@common/private-file';
import { AppError } from '@shared/contract/errors';
import { parseAllowedList, type AllowedList } from '@shared/protocol/allowed-list';
import { parseKeyringConfig, seedFingerprint, type Keyring } from '@shared/protocol/hkdf-keys';

export const ROUTER_ENV_VARS = ['ENCRYPTION_SEED', 'ENCRYPTION_KEY_VERSION', 'ENCRYPTION_LEGACY_SEEDS', 'ENCRYPTION_ALLOWED_LIST', 'ROUTER_API_TOKENS'] as const;
export type RouterEnvVar = (typeof ROUTER_ENV_VARS)[number];
export type RouterEnv = Partial<Record<RouterEnvVar, string>>;

export interface RouterConfig {
  keyring: Keyring;
  allowed: AllowedList;
  /** SHA-256 of each API token (compared in constant time). */
  tokenHashes: readonly Buffer[];
  /** The first token, kept only for the router's own demo traffic (never logged). */
  demoToken: string;
  /** Where the generated configuration lives (null when everything was given). */
  envFile: string | null;
}

const TOKEN = /^[A-Za-z0-9._~+/=-]{16,256}$/;

export function routerDir(dataDir: string): string {
  return join(dataDir, 'devnet', 'router');
}

export function routerEnvFile(dataDir: string): string {
  return join(routerDir(dataDir), 'router.env');
}

/** Parses `NAME=value` lines (blank lines and `#` comments skipped); only the router's variables. */
export function parseEnvText(text: string, file: string): RouterEnv {
  const out: RouterEnv = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const eq = trimmed.indexOf('=');
    const name = eq < 0 ? '' : trimmed.slice(0, eq);
    if (!(ROUTER_ENV_VARS as readonly string[]).includes(name)) throw new AppError('VALIDATION', `${file} line ${i + 1} is not one of ${ROUTER_ENV_VARS.join(', ')}=….`);
    out[name as RouterEnvVar] = trimmed.slice(eq + 1);
  });
  return out;
}

export function formatEnvText(env: RouterEnv): string {
  return `${ROUTER_ENV_VARS.flatMap((k) => (env[k] === undefined ? [] : [`${k}=${env[k]}`])).join('\n')}\n`;
}

/** Refuses a secrets file that group or others may read (or write). */
export function checkPrivateFile(file: string): void {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new AppError('FORBIDDEN', `${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it.`);
}

/**
 * Writes a 0600 file atomically and durably (src-main/common/private-file.ts: temp file, fsync,
 * rename or link, fsync of the folder), so a power cut leaves the old keyring or the new one whole,
 * never an empty file; refuses (EEXIST) to replace an existing one unless `replace`.
 */
export function writePrivateFile(file: string, text: string, options: { replace?: boolean } = {}): void {
  if (options.replace) {
    writePrivateFileAtomic(file, text);
    return;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  writePrivateTemp(tmp, text);
  try {
    linkSync(tmp, file);
  } finally {
    unlinkSync(tmp);
  }
  fsyncDir(dirname(file));
}

export function generateSeedHex(): string {
  return randomBytes(32).toString('hex');
}

export function generateApiToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The practice network's own configuration file: read it, or create it with a fresh seed and token. */
export function loadOrCreateEnvFile(dataDir: string): RouterEnv {
  const file = routerEnvFile(dataDir);
  try {
    const text = readFileSync(file, 'utf8');
    checkPrivateFile(file);
    return parseEnvText(text, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(routerDir(dataDir), { recursive: true, mode: 0o700 });
  const env: RouterEnv = { ENCRYPTION_SEED: generateSeedHex(), ENCRYPTION_KEY_VERSION: 'v1', ROUTER_API_TOKENS: generateApiToken() };
  try {
    writePrivateFile(file, formatEnvText(env));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return loadOrCreateEnvFile(dataDir); // another process created it meanwhile
  }
  return env;
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function parseApiTokens(text: string | undefined): Buffer[] {
  if (text === undefined || text === '') throw new AppError('VALIDATION', 'ROUTER_API_TOKENS is not set.');
  return text.split(',').map((t, i) => {
    if (!TOKEN.test(t)) throw new AppError('VALIDATION', `ROUTER_API_TOKENS entry ${i + 1} must be 16–256 characters of A–Z a–z 0–9 . _ ~ + / = -.`);
    return hashToken(t);
  });
}

/** Constant-time: compares the SHA-256 of `token` with every configured token's hash. */
export function tokenMatches(hashes: readonly Buffer[], token: string): boolean {
  const h = hashToken(token);
  let ok = false;
  for (const known of hashes) ok = timingSafeEqual(h, known) || ok;
  return ok;
}

/**
 * Builds the configuration: variables given in `env` win; the seed, version, legacy seeds and tokens
 * come from the data dir's file when `env` has no seed (tokens likewise). Throws `AppError` naming
 * the variable at fault.
 */
export function loadRouterConfig(dataDir: string, env: RouterEnv = {}): RouterConfig {
  let fileEnv: RouterEnv = {};
  let envFile: string | null = null;
  if (env.ENCRYPTION_SEED === undefined || env.ROUTER_API_TOKENS === undefined) {
    fileEnv = loadOrCreateEnvFile(dataDir);
    envFile = routerEnvFile(dataDir);
  }
  const keyEnv = env.ENCRYPTION_SEED !== undefined ? env : fileEnv;
  const keyring = parseKeyringConfig({
    ENCRYPTION_SEED: keyEnv.ENCRYPTION_SEED,
    ENCRYPTION_KEY_VERSION: keyEnv.ENCRYPTION_KEY_VERSION,
    ENCRYPTION_LEGACY_SEEDS: keyEnv.ENCRYPTION_LEGACY_SEEDS,
  });
  let allowed: AllowedList;
  try {
    allowed = parseAllowedList(env.ENCRYPTION_ALLOWED_LIST ?? fileEnv.ENCRYPTION_ALLOWED_LIST ?? '');
  } catch (error) {
    // The parser's message quotes the entry; addresses are public, but keep the message to the position.
    const position = error instanceof AppError ? (error.details?.position as number | undefined) : undefined;
    throw new AppError('ALLOWED_LIST_INVALID', `ENCRYPTION_ALLOWED_LIST entry ${position ?? '?'} is malformed.`, { details: { position } });
  }
  const tokenText = env.ROUTER_API_TOKENS ?? fileEnv.ROUTER_API_TOKENS;
  const tokenHashes = parseApiTokens(tokenText);
  return { keyring, allowed, tokenHashes, demoToken: (tokenText ?? '').split(',')[0]!, envFile };
}

/** Fingerprints of every version held, for the start-up log (the only thing printed about seeds). */
export function keyringSummary(keyring: Keyring): { active: string; versions: Record<string, string> } {
  return { active: keyring.active, versions: Object.fromEntries([...keyring.seeds].map(([v, s]) => [v, seedFingerprint(s)])) };
}

/** The first API token of the practice network's own file (for the demo traffic and the app's playground). */
export function practiceApiToken(dataDir: string): string {
  const tokens = loadOrCreateEnvFile(dataDir).ROUTER_API_TOKENS ?? '';
  return tokens.split(',')[0] ?? '';
}
