/**
 * Router operator tooling (PROTOCOLS §2.8), working on an env file (default: the practice
 * router's `<dataDir>/devnet/router/router.env`) and the router's database and blob store:
 *
 * - `secretGen`: a strong random seed into the env file (0600; group/world-readable targets
 *   refused); returns the fingerprint, and the seed itself only when asked and not in production.
 * - `rotate`: adds vN+1 as the active version (older ones kept decrypt-only), then re-encrypts every
 *   encrypted payload of a private session under it with a fresh nonce, written back under the same
 *   URN, one audit line per URN. Resumable: an unfinished rotation (`rotation.json`) is continued,
 *   not restarted, and URNs already at the active version are skipped. `dryRun` decrypts and
 *   re-encrypts in memory only and writes nothing.
 * - `verify`: test-decrypts a sample of URNs with the active version.
 * - `retire`: drops a decrypt-only version, refused while any payload still uses it.
 *
 * A router that is running keeps the keyring it started with: restart it (or call its
 * `reloadKeyring()`) after `rotate` or `retire`. Nothing here prints or logs a seed or a key.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '@shared/contract/errors';
import { decryptEnvelope, encryptEnvelope, envelopeScope, parseEnvelopeJson, type EncryptedEnvelope } from '@shared/protocol/envelope';
import { fromHex } from '@shared/protocol/encoding';
import { deriveScopedKey, isKeyVersion, parseKeyringConfig, scopeFor, seedFingerprint, type Keyring } from '@shared/protocol/hkdf-keys';
import { PayloadStore } from './payload-store';
import { checkPrivateFile, formatEnvText, generateSeedHex, parseEnvText, routerDir, routerEnvFile, writePrivateFile, type RouterEnv } from './router-config';
import { openRouterDb, RouterRepo, type PayloadRow } from './router-db';

export interface OperatorTarget {
  dataDir: string;
  /** The env file holding the keyring (default: the practice router's). */
  envFile?: string;
}

function envFileOf(t: OperatorTarget): string {
  return t.envFile ?? routerEnvFile(t.dataDir);
}

function readEnv(file: string): RouterEnv {
  checkPrivateFile(file);
  return parseEnvText(readFileSync(file, 'utf8'), file);
}

function keyringOf(env: RouterEnv): Keyring {
  return parseKeyringConfig({ ENCRYPTION_SEED: env.ENCRYPTION_SEED, ENCRYPTION_KEY_VERSION: env.ENCRYPTION_KEY_VERSION, ENCRYPTION_LEGACY_SEEDS: env.ENCRYPTION_LEGACY_SEEDS });
}

function legacyText(keyring: Keyring, without: readonly string[]): string | undefined {
  const entries = [...keyring.seeds].filter(([v]) => v !== keyring.active && !without.includes(v)).map(([v, seed]) => `${v}:${Buffer.from(seed).toString('hex')}`);
  return entries.length > 0 ? entries.join(',') : undefined;
}

function withStore<T>(dataDir: string, fn: (repo: RouterRepo, store: PayloadStore) => Promise<T>): Promise<T> {
  const db = openRouterDb(dataDir);
  const repo = new RouterRepo(db);
  return fn(repo, new PayloadStore(dataDir, repo)).finally(() => db.close());
}

// ---- secret-gen ------------------------------------------------------------------------------

export interface SecretGenResult {
  file: string;
  fingerprint: string;
  /** Only with `reveal` outside production. */
  seed?: string;
}

export function secretGen(t: OperatorTarget & { reveal?: boolean; production?: boolean; force?: boolean }): SecretGenResult {
  if (t.reveal && t.production) throw new AppError('FORBIDDEN', 'The seed is never printed in production mode.');
  const file = envFileOf(t);
  let env: RouterEnv = {};
  if (existsSync(file)) {
    env = readEnv(file);
    if (env.ENCRYPTION_SEED !== undefined && !t.force) throw new AppError('CONFLICT', `${file} already holds ENCRYPTION_SEED; rotate instead (or force a new keyring).`);
  }
  const seed = generateSeedHex();
  const next: RouterEnv = { ...env, ENCRYPTION_SEED: seed, ENCRYPTION_KEY_VERSION: 'v1' };
  delete next.ENCRYPTION_LEGACY_SEEDS;
  if (existsSync(file)) writePrivateFile(file, formatEnvText(next), { replace: true });
  else {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writePrivateFile(file, formatEnvText(next));
  }
  const fingerprint = seedFingerprint(fromHex(seed, 'seed'));
  return { file, fingerprint, ...(t.reveal ? { seed } : {}) };
}

// ---- rotate ----------------------------------------------------------------------------------

export interface AuditLine {
  urn: string;
  old_version: string;
  new_version: string;
  status: 'rotated' | 'failed';
  at: string;
}

export interface RotateResult {
  dryRun: boolean;
  fromVersion: string;
  toVersion: string;
  /** True when an unfinished rotation was continued. */
  resumed: boolean;
  rotated: number;
  skipped: number;
  failed: { urn: string; reason: string }[];
  auditFile: string;
}

interface RotationMarker {
  from: string;
  to: string;
  started_at: string;
}

export function auditFileOf(dataDir: string): string {
  return join(routerDir(dataDir), 'rotation-audit.jsonl');
}

function markerFile(dataDir: string): string {
  return join(routerDir(dataDir), 'rotation.json');
}

function nextVersion(keyring: Keyring): string {
  const max = Math.max(...[...keyring.seeds.keys()].map((v) => Number(v.slice(1))));
  return `v${max + 1}`;
}

async function reencrypt(envelope: EncryptedEnvelope, keyring: Keyring, to: string): Promise<EncryptedEnvelope> {
  const scope = envelopeScope(envelope);
  const scopeText = scopeFor(scope.scopeType, scope.sessionId, scope.taskId);
  const oldSeed = keyring.seeds.get(scope.keyVersion);
  if (!oldSeed) throw new AppError('KEY_INVALID', `version ${scope.keyVersion} is not held`);
  const data = await decryptEnvelope(deriveScopedKey(oldSeed, scopeText), envelope);
  const created = new Date(envelope.data.created_at);
  return encryptEnvelope(deriveScopedKey(keyring.seeds.get(to)!, scopeText), { ...scope, keyVersion: to }, data, created);
}

/**
 * `options.interruptAfter` (tests): stop after that many URNs, as a crash would, leaving the
 * rotation unfinished.
 */
export async function rotate(t: OperatorTarget & { dryRun?: boolean; interruptAfter?: number }): Promise<RotateResult> {
  const file = envFileOf(t);
  const env = readEnv(file);
  let keyring = keyringOf(env);
  const marker = existsSync(markerFile(t.dataDir)) ? (JSON.parse(readFileSync(markerFile(t.dataDir), 'utf8')) as RotationMarker) : null;
  const resumed = marker !== null && marker.to === keyring.active;
  const dryRun = t.dryRun === true;
  let from = keyring.active;
  let to = keyring.active;
  if (resumed) {
    from = marker.from;
  } else {
    to = nextVersion(keyring);
    const seeds = new Map(keyring.seeds);
    seeds.set(to, fromHex(generateSeedHex(), 'seed'));
    const rotatedKeyring: Keyring = { active: to, seeds };
    if (!dryRun) {
      // The marker first: a crash between the two writes resumes instead of adding yet another version.
      writeFileSync(markerFile(t.dataDir), JSON.stringify({ from, to, started_at: new Date().toISOString() } satisfies RotationMarker), { mode: 0o600 });
      const next: RouterEnv = { ...env, ENCRYPTION_SEED: Buffer.from(seeds.get(to)!).toString('hex'), ENCRYPTION_KEY_VERSION: to };
      const legacy = legacyText(rotatedKeyring, []);
      if (legacy === undefined) delete next.ENCRYPTION_LEGACY_SEEDS;
      else next.ENCRYPTION_LEGACY_SEEDS = legacy;
      writePrivateFile(file, formatEnvText(next), { replace: true });
    }
    keyring = rotatedKeyring;
  }
  const auditFile = auditFileOf(t.dataDir);
  const result: RotateResult = { dryRun, fromVersion: from, toVersion: to, resumed, rotated: 0, skipped: 0, failed: [], auditFile };
  await withStore(t.dataDir, async (repo, store) => {
    let done = 0;
    for (const row of repo.privatePayloads()) {
      if (t.interruptAfter !== undefined && done >= t.interruptAfter) return;
      if (row.key_version === to) {
        result.skipped += 1;
        continue;
      }
      const old = row.key_version ?? '?';
      let status: AuditLine['status'] = 'rotated';
      try {
        const text = store.getText(row.urn);
        const envelope = text === undefined ? undefined : parseEnvelopeJson(text);
        if (envelope?.payload_type !== 'encrypted') throw new AppError('ENVELOPE_MALFORMED', 'not an encrypted envelope');
        const fresh = await reencrypt(envelope, keyring, to);
        if (!dryRun) store.replace(row.urn, fresh);
        result.rotated += 1;
      } catch (error) {
        status = 'failed';
        result.failed.push({ urn: row.urn, reason: error instanceof AppError ? error.code : 'INTERNAL' });
      }
      if (!dryRun) appendFileSync(auditFile, `${JSON.stringify({ urn: row.urn, old_version: old, new_version: to, status, at: new Date().toISOString() } satisfies AuditLine)}\n`, { mode: 0o600 });
      done += 1;
    }
    if (!dryRun && result.failed.length === 0) rmSync(markerFile(t.dataDir), { force: true });
  });
  return result;
}

// ---- verify ------------------------------------------------------------------------------------

export interface VerifyResult {
  activeVersion: string;
  checked: number;
  ok: number;
  failed: { urn: string; reason: string }[];
}

export async function verify(t: OperatorTarget & { sample: number }): Promise<VerifyResult> {
  if (!Number.isInteger(t.sample) || t.sample < 1) throw new AppError('VALIDATION', '--sample must be a whole number ≥ 1.');
  const keyring = keyringOf(readEnv(envFileOf(t)));
  const seed = keyring.seeds.get(keyring.active)!;
  return withStore(t.dataDir, async (repo, store) => {
    const rows: PayloadRow[] = repo.privatePayloads();
    // A random sample without replacement (Fisher–Yates prefix).
    for (let i = 0; i < Math.min(t.sample, rows.length); i += 1) {
      const j = i + Math.floor(Math.random() * (rows.length - i));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const sample = rows.slice(0, t.sample);
    const out: VerifyResult = { activeVersion: keyring.active, checked: sample.length, ok: 0, failed: [] };
    for (const row of sample) {
      try {
        if (row.key_version !== keyring.active) throw new AppError('KEY_INVALID', 'not at the active version');
        const envelope = parseEnvelopeJson(store.getText(row.urn) ?? '');
        if (envelope.payload_type !== 'encrypted') throw new AppError('ENVELOPE_MALFORMED', 'not encrypted');
        const s = envelopeScope(envelope);
        await decryptEnvelope(deriveScopedKey(seed, scopeFor(s.scopeType, s.sessionId, s.taskId)), envelope);
        out.ok += 1;
      } catch (error) {
        out.failed.push({ urn: row.urn, reason: error instanceof AppError ? error.code : 'INTERNAL' });
      }
    }
    return out;
  });
}

// ---- retire ------------------------------------------------------------------------------------

export async function retire(t: OperatorTarget & { version: string }): Promise<{ retired: string }> {
  if (!isKeyVersion(t.version)) throw new AppError('VALIDATION', 'The version must look like v1, v2, …');
  const file = envFileOf(t);
  const env = readEnv(file);
  const keyring = keyringOf(env);
  if (t.version === keyring.active) throw new AppError('CONFLICT', `${t.version} is the active version; rotate first.`);
  if (!keyring.seeds.has(t.version)) throw new AppError('NOT_FOUND', `${t.version} is not held.`);
  const inUse = await withStore(t.dataDir, (repo) => Promise.resolve(repo.countByVersion(t.version)));
  if (inUse > 0) throw new AppError('CONFLICT', `${inUse} payload(s) still use ${t.version}; finish the rotation first.`);
  const next: RouterEnv = { ...env };
  const legacy = legacyText(keyring, [t.version]);
  if (legacy === undefined) delete next.ENCRYPTION_LEGACY_SEEDS;
  else next.ENCRYPTION_LEGACY_SEEDS = legacy;
  writePrivateFile(file, formatEnvText(next), { replace: true });
  return { retired: t.version };
}
