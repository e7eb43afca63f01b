import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { AppError, isAppError } from '@shared/contract/errors';
import type { VaultIdentity, VaultLockReason, VaultState, VaultStatus } from '@shared/contract/vault';
import { AttemptsStore } from './attempts';
import {
  addressFor,
  bip39Seed,
  deriveSubstrate,
  eoaFromSeed,
  runnerWalletFromSeed,
  substrateMiniSecret,
  substratePath,
  wipe,
  type KeyPair,
  type Role,
  type Scheme,
} from './derive';
import { exportPolkadotJson, parseImport, type ImportedKey, type ImportResult, type ImportSource } from './imports';
import { DEFAULT_KDF, type KdfChoice } from './kdf';
import { decodePayload, encodePayload, wipePayload, type IndexEntry, type Payload, type PayloadMeta } from './payload';
import { personalSign, signBytes } from './sign';
import { computeWarnings, findPlaintextBtcliHotkeys, isWeakPassword, MIN_PASSWORD_LENGTH, readableByOthers, type KeySafetyWarning, type WarningFacts } from './warnings';
import { decodeMiningKeys, encodeMiningKeys, isWorkRole, MINING_KEYS_FILE, miningKeysProtectionOf, readMiningKeysFile, removeMiningKeysFile, WORK_ROLES, writeMiningKeysFile, type SecretBox, type WorkRole } from './mining-keys';
import { keyFor, newVaultKey, openSealed, parseVault, removeStaleTemps, sealVault, writeVaultAtomic, type VaultKey, type WriteHooks } from './vault-file';

/**
 * The vault: the only place in Minerva that holds private keys. Everything it hands out is public
 * (addresses, public keys, signatures, warnings) except `revealMnemonic`, which needs the password
 * again. Locking drops every keypair and zero-fills the secret buffers.
 */
export interface VaultLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface VaultTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface VaultServiceOptions {
  dataDir: string;
  /** Home folder scanned for btcli plaintext hotkeys (`<home>/.bittensor`). */
  homeDir: string;
  clock?: { now(): Date };
  log?: VaultLogger;
  /** KDF for new vaults and password changes (default: DEFAULT_KDF). */
  kdf?: KdfChoice;
  /** Idle minutes before auto-lock; 0 = never (raises a warning). Default 15. */
  autoLockMinutes?: number;
  /** Tests and demos (MINERVA_AUTO_LOCK_SECONDS): idle milliseconds before the auto-lock, instead of the minutes. */
  idleLockMs?: number;
  exposedBeyondLoopback?: boolean;
  /**
   * Mining mode (issue 16): the idle lock and the screen lock keep the work keys (hotkey,
   * checkpoint signer, runner wallet, SMP hotkey, EOA) in memory so jobs go on; the coldkey and
   * the phrase are wiped. Default true. `lock('user')` and every other lock drop everything.
   */
  keepMiningOnLock?: boolean;
  /** The host's OS keychain for "resume mining after a restart" (Electron safeStorage). */
  secretBox?: SecretBox;
  /** Tests only: stop inside an atomic write. */
  writeHooks?: WriteHooks;
  timers?: VaultTimers;
}

export type IdentitySource = VaultIdentity['source'];
export type SigningRole = Exclude<Role, 'eoa'>;
export type RotatableRole = 'hotkey' | 'smp-hotkey';
export type LockReason = VaultLockReason;
export type PublicIdentity = VaultIdentity;
export type { VaultState, VaultStatus };

export type VaultEvent =
  | { type: 'unlocked' }
  | { type: 'locked'; reason: LockReason; mining: boolean }
  | { type: 'identitiesChanged'; identities: PublicIdentity[] }
  | { type: 'hotkeyRotated'; role: RotatableRole; retired: PublicIdentity; current: PublicIdentity }
  | { type: 'warningsChanged'; warnings: KeySafetyWarning[] };

export interface Signature {
  signature: Uint8Array;
  scheme: Scheme;
  address: string;
  publicKey: string;
}

interface Unlocked {
  key: VaultKey;
  payload: Payload;
  pairs: Map<Role, KeyPair>;
}

const DATA_MAGIC = [0x4d, 0x56, 0x44, 0x31]; // "MVD1"
const textDecoder = new TextDecoder();

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * A new wallet password: at least MIN_PASSWORD_LENGTH characters, and not one zxcvbn-ts rates weak
 * (score < 3) unless the miner explicitly accepted the risk (`acceptWeak`; the UI's "I understand…"
 * box, the CLI's --accept-weak-password). A weak one that was accepted still raises the critical
 * weak-password warning.
 */
export async function validateNewPassword(password: string, acceptWeak = false): Promise<void> {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('VALIDATION', `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong one that is easy to remember.`);
  }
  if (!acceptWeak && (await isWeakPassword(password))) {
    throw new AppError(
      'WEAK_PASSWORD',
      'This password is easy to guess: anyone who copies your wallet file could find it by trying common passwords. Choose four or more unrelated words, or confirm that you accept the risk (in the app: tick "I understand"; on the command line: --accept-weak-password).',
    );
  }
}

function locked(mining = false): AppError {
  if (mining) return new AppError('VAULT_LOCKED', 'The wallet is locked (mining goes on with the work keys only). This needs your password: unlock the wallet to continue.');
  return new AppError('VAULT_LOCKED', 'The wallet is locked. Unlock it with your password to continue.');
}

function missing(): AppError {
  return new AppError('VAULT_MISSING', 'There is no wallet on this computer yet. Create one or import your recovery phrase first.');
}

export class VaultService {
  readonly vaultPath: string;
  readonly backupPath: string;
  private readonly attempts: AttemptsStore;
  private readonly now: () => Date;
  private readonly kdf: KdfChoice;
  private readonly timers: VaultTimers;
  private readonly listeners = new Set<(event: VaultEvent) => void>();
  private unlockedState: Unlocked | undefined;
  /** Mining mode while locked: the work keys only (never the coldkey or the phrase). */
  private workKeys: Map<WorkRole, KeyPair> | undefined;
  private keepMining: boolean;
  readonly miningKeysPath: string;
  /** While unlocked: the wallet file is checked for, so a deletion is noticed at once (issue 19). */
  private fileWatch: NodeJS.Timeout | undefined;
  /** The wallet file vanished while unlocked: the keys are only in memory until it is written back. */
  private fileMissing = false;
  /** Public facts kept after lock, so the UI can show addresses and warnings while locked. */
  private publicIdentities: PublicIdentity[] | undefined;
  private vaultFacts: WarningFacts['vault'];
  private autoLockMinutes: number;
  private idleTimer: unknown;
  private queue: Promise<unknown> = Promise.resolve();
  private quiz: number[] | undefined;
  private lastWarnings = '';

  constructor(private readonly options: VaultServiceOptions) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    this.vaultPath = join(options.dataDir, 'vault.json');
    this.backupPath = `${this.vaultPath}.bak`;
    this.attempts = new AttemptsStore(join(options.dataDir, 'vault-attempts.json'));
    this.now = options.clock ? () => options.clock!.now() : () => new Date();
    this.kdf = options.kdf ?? DEFAULT_KDF;
    this.autoLockMinutes = options.autoLockMinutes ?? 15;
    this.keepMining = options.keepMiningOnLock ?? true;
    this.miningKeysPath = join(options.dataDir, MINING_KEYS_FILE);
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => {
        const handle = setTimeout(fn, ms);
        handle.unref();
        return handle;
      },
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    const names = readdirSync(options.dataDir);
    removeStaleTemps(this.vaultPath, names);
    // The throttle's own interrupted writes too (they piled up after kills).
    removeStaleTemps(join(options.dataDir, 'vault-attempts.json'), names);
    removeStaleTemps(this.miningKeysPath, names);
  }

  // ---------------------------------------------------------------- events

  on(listener: (event: VaultEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: VaultEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.log?.warn('vault event listener failed', { event: event.type, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private emitWarningsIfChanged(): void {
    const warnings = this.warnings();
    const key = JSON.stringify(warnings.map((w) => [w.id, w.title]));
    if (key === this.lastWarnings) return;
    this.lastWarnings = key;
    this.emit({ type: 'warningsChanged', warnings });
  }

  // ---------------------------------------------------------------- state

  isUnlocked(): boolean {
    return this.unlockedState !== undefined;
  }

  /** The work keys are usable: the wallet is unlocked, or locked with mining on. */
  canWork(): boolean {
    return this.unlockedState !== undefined || this.workKeys !== undefined;
  }

  /** Locked with the work keys still in memory (mining goes on). */
  isMining(): boolean {
    return this.unlockedState === undefined && this.workKeys !== undefined;
  }

  status(): VaultStatus {
    let state: VaultState;
    if (this.unlockedState) state = 'unlocked';
    else if (!existsSync(this.vaultPath)) state = 'missing';
    else {
      try {
        parseVault(readFileSync(this.vaultPath, 'utf8'));
        state = 'locked';
      } catch {
        state = 'corrupt';
      }
    }
    return {
      state,
      backupAvailable: existsSync(this.backupPath),
      autoLockMinutes: this.autoLockMinutes,
      retryAfterMs: this.attempts.waitMs(this.now().getTime()),
      hasMnemonic: this.vaultFacts ? this.vaultFacts.hasMnemonic : null,
      mnemonicConfirmed: this.vaultFacts ? this.vaultFacts.mnemonicConfirmed : null,
      mining: this.isMining(),
      keepMiningOnLock: this.keepMining,
      resumeOnRestart: this.resumeOnRestart(),
      osKeychain: this.options.secretBox?.available() ? this.options.secretBox.name : null,
    };
  }

  private resumeOnRestart(): 'off' | 'key-file' | 'os-keychain' {
    const protection = miningKeysProtectionOf(this.miningKeysPath);
    return protection === undefined ? 'off' : protection === 'os-keychain' ? 'os-keychain' : 'key-file';
  }

  /** Addresses of every identity (kept after lock once known); VAULT_LOCKED before the first unlock. */
  identities(): PublicIdentity[] {
    if (this.publicIdentities) return this.publicIdentities.map((i) => ({ ...i }));
    if (!existsSync(this.vaultPath)) throw missing();
    throw locked();
  }

  warnings(): KeySafetyWarning[] {
    return computeWarnings({
      ...(this.vaultFacts ? { vault: this.vaultFacts } : {}),
      autoLockMinutes: this.autoLockMinutes,
      btcliPlaintextHotkeys: findPlaintextBtcliHotkeys(this.options.homeDir),
      vaultReadableByOthers: readableByOthers(this.vaultPath),
      vaultFileMissing: this.fileMissing,
      miningKeysOnDisk: this.resumeOnRestart(),
      exposedBeyondLoopback: this.options.exposedBeyondLoopback ?? false,
      now: this.now(),
    });
  }

  /** The btcli plaintext hotkey files the warning is about (paths only). */
  btcliPlaintextHotkeys(): string[] {
    return findPlaintextBtcliHotkeys(this.options.homeDir);
  }

  // ---------------------------------------------------------------- create / import

  /** New wallet from a fresh BIP-39 phrase. Leaves the vault unlocked; the phrase is shown via `revealMnemonic`. */
  create(input: { password: string; words?: 12 | 24; checkpointScheme?: 'ed25519' | 'sr25519'; acceptWeak?: boolean }): Promise<PublicIdentity[]> {
    return this.exclusive(async () => {
      this.assertNoVault();
      await validateNewPassword(input.password, input.acceptWeak);
      const phrase = generateMnemonic(wordlist, input.words === 24 ? 256 : 128);
      const result: ImportResult = { root: { kind: 'mnemonic', phrase: new TextEncoder().encode(phrase), words: input.words ?? 12 }, keys: [] };
      const ids = await this.createFrom(result, input.password, false, input.checkpointScheme);
      this.options.log?.info('wallet created', { words: input.words ?? 12 });
      return ids;
    });
  }

  /** New wallet from an imported phrase, seed or key file(s). An imported phrase counts as backed up. */
  importNew(input: { password: string; source: ImportSource; checkpointScheme?: 'ed25519' | 'sr25519'; acceptWeak?: boolean }): Promise<PublicIdentity[]> {
    return this.exclusive(async () => {
      this.assertNoVault();
      await validateNewPassword(input.password, input.acceptWeak);
      const result = await parseImport(input.source);
      const ids = await this.createFrom(result, input.password, true, input.checkpointScheme);
      this.options.log?.info('wallet imported', { format: input.source.kind });
      return ids;
    });
  }

  /** Adds keys from a key file to the unlocked wallet (they override the derived key of their role). */
  addImport(source: ImportSource): Promise<PublicIdentity[]> {
    return this.exclusive(async () => {
      const state = this.requireUnlocked();
      if (source.kind === 'mnemonic' || source.kind === 'seed') {
        throw new AppError('CONFLICT', 'This wallet already has its keys. To use another recovery phrase, export a backup, remove this wallet and import the phrase as a new wallet.');
      }
      const result = await parseImport(source);
      this.assertStillUnlocked(state);
      const at = this.now().toISOString();
      for (const key of result.keys) this.appendImported(state.payload, key, at);
      await this.persist(state);
      this.assertStillUnlocked(state);
      this.rematerialise(state);
      this.options.log?.info('keys imported', { format: source.kind, count: result.keys.length });
      return this.identities();
    });
  }

  private assertNoVault(): void {
    if (existsSync(this.vaultPath)) {
      throw new AppError('VAULT_EXISTS', 'A wallet already exists on this computer. Unlock it, or export a backup and remove it before making a new one.');
    }
  }

  private async createFrom(result: ImportResult, password: string, phraseConfirmed: boolean, checkpointScheme: 'ed25519' | 'sr25519' = 'ed25519'): Promise<PublicIdentity[]> {
    const at = this.now().toISOString();
    const meta: PayloadMeta = {
      v: 1,
      createdAt: at,
      root: result.root ? (result.root.kind === 'mnemonic' ? { kind: 'mnemonic', words: result.root.words } : { kind: 'seed' }) : null,
      mnemonicConfirmed: phraseConfirmed,
      passwordWeak: await isWeakPassword(password),
      passwordChangedAt: at,
      hotkeys: result.root ? [{ index: 0, createdAt: at }] : [],
      smpHotkeys: result.root ? [{ index: 0, createdAt: at }] : [],
      checkpointSigner: { index: 0, scheme: checkpointScheme },
      imported: [],
    };
    const payload: Payload = { meta, secrets: new Map() };
    if (result.root) payload.secrets.set('root', result.root.kind === 'mnemonic' ? result.root.phrase : result.root.seed);
    for (const key of result.keys) this.appendImported(payload, key, at);
    const key = await newVaultKey(password, this.kdf);
    const state: Unlocked = { key, payload, pairs: new Map() };
    await this.persist(state);
    this.attempts.reset();
    this.setUnlocked(state);
    return this.identities();
  }

  private appendImported(payload: Payload, key: ImportedKey, at: string): void {
    const id = randomUUID();
    const previous = payload.meta.imported.filter((k) => k.role === key.role && !k.retiredAt);
    for (const old of previous) old.retiredAt = at;
    payload.meta.imported.push({ id, role: key.role, scheme: key.pair.scheme, publicKey: hex(key.pair.publicKey), source: key.source, addedAt: at, hasSecret: key.hasSecret });
    if (key.hasSecret) payload.secrets.set(`key:${id}`, key.pair.secretKey);
  }

  // ---------------------------------------------------------------- unlock / lock

  unlock(password: string): Promise<PublicIdentity[]> {
    return this.exclusive(async () => {
      if (this.unlockedState) return this.identities();
      const { parsed, key } = await this.openWithPassword(password);
      let payload: Payload;
      const plain = openSealed(parsed, key);
      try {
        payload = decodePayload(plain);
      } finally {
        plain.fill(0);
      }
      this.setUnlocked({ key, payload, pairs: new Map() });
      if (readableByOthers(this.vaultPath)) this.options.log?.warn('vault file is readable by other users');
      this.options.log?.info('wallet unlocked');
      return this.identities();
    });
  }

  /** Verifies a password against the file, with the persisted wrong-password throttle. */
  private async openWithPassword(password: string): Promise<{ parsed: ReturnType<typeof parseVault>; key: VaultKey }> {
    if (!existsSync(this.vaultPath)) throw missing();
    const parsed = parseVault(readFileSync(this.vaultPath, 'utf8'));
    this.attempts.check(this.now().getTime());
    try {
      const key = await keyFor(parsed, password);
      this.attempts.reset();
      return { parsed, key };
    } catch (error) {
      if (isAppError(error) && error.code === 'AUTH_FAILED') {
        const state = this.attempts.recordFailure(this.now().getTime());
        this.options.log?.warn('wrong wallet password', { failures: state.failures });
      }
      throw error;
    }
  }

  /**
   * Locks the wallet. With mining kept (default: the idle and screen locks when mining mode is on),
   * the work keys stay in memory and everything else is wiped; otherwise everything is wiped. An
   * explicit `keepMining: false` by the user also deletes the restart key file (stopped means stopped).
   */
  lock(reason: LockReason = 'user', options: { keepMining?: boolean } = {}): void {
    const state = this.unlockedState;
    const keep = reason !== 'closed' && (options.keepMining ?? (this.keepMining && (reason === 'idle' || reason === 'screen-locked')));
    if (state && reason !== 'closed' && this.checkFile()) {
      // Locking now would lose every key that is not backed up: keep them until the file is back.
      this.options.log?.error('wallet not locked: its file is missing and the keys exist only in memory', { reason });
      if (reason === 'user') throw new AppError('CONFLICT', 'Your wallet file was deleted. Locking now would lose your keys: press "Write the wallet file back" on Wallet & Security first.');
      this.armIdleTimer();
      return;
    }
    this.clearIdleTimer();
    this.stopFileWatch();
    this.quiz = undefined;
    // an explicit "lock everything" stops mining, also after a restart
    if (reason === 'user' && options.keepMining === false) this.removeRestartKeys();
    if (!state) {
      if (keep || !this.workKeys) return;
      this.wipeWorkKeys();
      this.options.log?.info('mining stopped: work keys dropped', { reason });
      this.emit({ type: 'locked', reason, mining: false });
      return;
    }
    this.unlockedState = undefined;
    this.wipeWorkKeys();
    if (keep) {
      const work = new Map<WorkRole, KeyPair>();
      for (const role of WORK_ROLES) {
        const pair = state.pairs.get(role);
        if (pair) work.set(role, pair);
        state.pairs.delete(role);
      }
      this.workKeys = work;
    }
    for (const pair of state.pairs.values()) wipe(pair);
    state.pairs.clear();
    wipePayload(state.payload);
    state.key.master.fill(0);
    this.options.log?.info(keep ? 'wallet locked; mining goes on with the work keys' : 'wallet locked', { reason });
    this.emit({ type: 'locked', reason, mining: keep });
  }

  private wipeWorkKeys(): void {
    if (!this.workKeys) return;
    for (const pair of this.workKeys.values()) wipe(pair);
    this.workKeys.clear();
    this.workKeys = undefined;
  }

  private removeRestartKeys(): void {
    if (!existsSync(this.miningKeysPath)) return;
    removeMiningKeysFile(this.miningKeysPath);
    this.options.log?.info('restart key file deleted');
    this.emitWarningsIfChanged();
  }

  /** Mining mode on or off: whether the idle and screen locks keep the work keys. */
  setKeepMiningOnLock(keep: boolean): void {
    this.keepMining = keep;
  }

  /**
   * "Resume mining after a restart": on writes the work keys (never the coldkey or the phrase) to
   * `mining-keys.json` (0600; sealed by the OS keychain when the host has one), off deletes it.
   * Turning it on needs the wallet unlocked with the password, not only mining.
   */
  setResumeOnRestart(enabled: boolean): void {
    if (!enabled) {
      this.removeRestartKeys();
      return;
    }
    const state = this.requireUnlocked();
    this.writeRestartKeys(state);
    this.emitWarningsIfChanged();
  }

  private writeRestartKeys(state: Unlocked): void {
    const pairs = new Map<WorkRole, KeyPair>();
    for (const role of WORK_ROLES) {
      const pair = state.pairs.get(role);
      if (pair) pairs.set(role, pair);
    }
    const box = this.options.secretBox?.available() ? this.options.secretBox : undefined;
    writeMiningKeysFile(this.miningKeysPath, encodeMiningKeys({ pairs, identities: this.publicIdentities ?? [] }, this.now(), box));
    this.options.log?.info('restart key file written', { protection: box ? 'os-keychain' : 'none', keys: pairs.size });
  }

  /**
   * At start: with the restart key file present (the user's opt-in), mining resumes without the
   * password — the work keys only. Returns whether it did; an unreadable file is logged and left.
   */
  resumeMining(): boolean {
    if (this.unlockedState || this.workKeys) return false;
    const text = readMiningKeysFile(this.miningKeysPath);
    if (text === undefined) return false;
    try {
      const keys = decodeMiningKeys(text, this.options.secretBox);
      this.workKeys = keys.pairs;
      if (!this.publicIdentities) this.publicIdentities = keys.identities;
      this.options.log?.info('mining resumed from the restart key file', { protection: keys.protection, keys: keys.pairs.size });
      this.emit({ type: 'locked', reason: 'user', mining: true });
      return true;
    } catch (error) {
      this.options.log?.warn('restart key file not used: mining waits for the password', { error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  setAutoLockMinutes(minutes: number): void {
    if (!Number.isInteger(minutes) || minutes < 0) throw new AppError('VALIDATION', 'Auto-lock minutes must be a whole number, 0 for never.');
    this.autoLockMinutes = minutes;
    if (this.unlockedState) this.armIdleTimer();
    this.emitWarningsIfChanged();
  }

  /** User activity: restarts the idle timer. */
  touch(): void {
    if (this.unlockedState) this.armIdleTimer();
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    const ms = this.options.idleLockMs ?? this.autoLockMinutes * 60_000;
    if (ms <= 0) return;
    this.idleTimer = this.timers.setTimeout(() => {
      this.idleTimer = undefined;
      this.lock('idle');
    }, ms);
  }

  /** Checks for the wallet file every 2 s while unlocked (cheap: one stat). */
  private watchFile(): void {
    this.stopFileWatch();
    this.fileWatch = setInterval(() => this.checkFile(), 2000);
    this.fileWatch.unref();
  }

  private stopFileWatch(): void {
    if (this.fileWatch) clearInterval(this.fileWatch);
    this.fileWatch = undefined;
  }

  /** True when the wallet file is missing while unlocked; raises the critical warning once. */
  private checkFile(): boolean {
    if (!this.unlockedState) return false;
    const missingNow = !existsSync(this.vaultPath);
    if (missingNow !== this.fileMissing) {
      this.fileMissing = missingNow;
      if (missingNow) this.options.log?.error('the wallet file was deleted while the wallet is unlocked; the keys are kept in memory');
      this.emitWarningsIfChanged();
    }
    return missingNow;
  }

  /** Writes the wallet file and its backup again from the unlocked wallet (after it was deleted). */
  rewriteFile(): Promise<void> {
    return this.exclusive(async () => {
      const state = this.requireUnlocked();
      await this.persist(state);
      if (!existsSync(this.backupPath)) copyFileSync(this.vaultPath, this.backupPath);
      chmodSync(this.backupPath, 0o600);
      this.fileMissing = false;
      this.options.log?.info('wallet file written back from the unlocked wallet');
      this.emitWarningsIfChanged();
    });
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private setUnlocked(state: Unlocked): void {
    this.wipeWorkKeys();
    this.unlockedState = state;
    this.rematerialise(state);
    this.armIdleTimer();
    this.watchFile();
    this.emit({ type: 'unlocked' });
    this.emitWarningsIfChanged();
  }

  private requireUnlocked(): Unlocked {
    if (this.unlockedState) return this.unlockedState;
    if (!existsSync(this.vaultPath)) throw missing();
    throw locked(this.workKeys !== undefined);
  }

  /** After an await: the vault may have been locked meanwhile (idle timer, suspend). */
  private assertStillUnlocked(state: Unlocked): void {
    if (this.unlockedState !== state) throw locked();
  }

  /** Derives every keypair and public identity from the payload; wipes the previous keypairs. */
  private rematerialise(state: Unlocked): void {
    for (const pair of state.pairs.values()) wipe(pair);
    state.pairs.clear();
    const { meta, secrets } = state.payload;
    const ids: PublicIdentity[] = [];
    const root = secrets.get('root');
    let mini: Uint8Array | undefined;
    let seed: Uint8Array | undefined;
    if (root && meta.root?.kind === 'mnemonic') {
      const phrase = textDecoder.decode(root);
      mini = substrateMiniSecret(phrase);
      seed = bip39Seed(phrase);
    } else if (root && meta.root?.kind === 'seed') {
      mini = Uint8Array.from(root);
      seed = Uint8Array.from(root);
    }
    const source: IdentitySource = meta.root?.kind === 'seed' ? 'seed' : 'mnemonic';
    const add = (role: Role, pair: KeyPair, extra: Partial<PublicIdentity>, keep: boolean) => {
      ids.push({ role, scheme: pair.scheme, address: addressFor(role, pair.publicKey, pair.scheme), publicKey: hex(pair.publicKey), source, active: keep, watchOnly: false, ...extra });
      if (keep) state.pairs.set(role, pair);
      else wipe(pair);
    };
    if (mini && seed) {
      add('coldkey', deriveSubstrate(mini, 'sr25519', ''), { derivation: '' }, true);
      const indexed = (role: 'hotkey' | 'smp-hotkey', entries: IndexEntry[]) => {
        for (const entry of entries) {
          const path = substratePath(role, entry.index);
          const pair = deriveSubstrate(mini, role === 'hotkey' ? 'sr25519' : 'ed25519', path);
          add(role, pair, { index: entry.index, derivation: path, createdAt: entry.createdAt, ...(entry.retiredAt ? { retiredAt: entry.retiredAt } : {}) }, !entry.retiredAt);
        }
      };
      indexed('hotkey', meta.hotkeys);
      const signerPath = substratePath('checkpoint-signer', meta.checkpointSigner.index);
      add('checkpoint-signer', deriveSubstrate(mini, meta.checkpointSigner.scheme, signerPath), { index: meta.checkpointSigner.index, derivation: signerPath }, true);
      add('runner-wallet', runnerWalletFromSeed(seed), { derivation: "m/44'/501'/0'/0'" }, true);
      indexed('smp-hotkey', meta.smpHotkeys);
      add('eoa', eoaFromSeed(seed), { derivation: "m/44'/60'/0'/0/0" }, true);
      mini.fill(0);
      seed.fill(0);
    }
    for (const key of meta.imported) {
      const publicKey = Uint8Array.from(Buffer.from(key.publicKey, 'hex'));
      const active = !key.retiredAt;
      const identity: PublicIdentity = {
        role: key.role,
        scheme: key.scheme,
        address: addressFor(key.role, publicKey, key.scheme),
        publicKey: key.publicKey,
        source: key.source,
        active,
        watchOnly: !key.hasSecret,
        createdAt: key.addedAt,
        ...(key.retiredAt ? { retiredAt: key.retiredAt } : {}),
      };
      if (active) {
        for (const other of ids) if (other.role === key.role) other.active = false;
        wipe(state.pairs.get(key.role));
        state.pairs.delete(key.role);
        const secret = secrets.get(`key:${key.id}`);
        if (key.hasSecret && secret) state.pairs.set(key.role, { scheme: key.scheme, publicKey, secretKey: Uint8Array.from(secret) });
      }
      ids.push(identity);
    }
    this.publicIdentities = ids;
    const activeHotkey = ids.find((i) => i.role === 'hotkey' && i.active);
    this.vaultFacts = {
      passwordWeak: meta.passwordWeak,
      hasMnemonic: meta.root?.kind === 'mnemonic',
      mnemonicConfirmed: meta.mnemonicConfirmed,
      coldkeySecretPresent: meta.root !== null || meta.imported.some((k) => k.role === 'coldkey' && k.hasSecret && !k.retiredAt),
      ...(activeHotkey?.createdAt ? { activeHotkeyCreatedAt: activeHotkey.createdAt } : {}),
    };
    // the restart key file follows rotations, imports and restores
    if (existsSync(this.miningKeysPath)) this.writeRestartKeys(state);
  }

  private async persist(state: Unlocked): Promise<void> {
    // a wiped key (locked meanwhile) must never seal the file: it would be unreadable
    if (state.key.master.every((b) => b === 0)) throw locked();
    const plain = encodePayload(state.payload);
    const text = sealVault(plain, state.key);
    plain.fill(0);
    await writeVaultAtomic(this.vaultPath, text, this.options.writeHooks);
    chmodSync(this.vaultPath, 0o600);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- password, backup, reveal

  /** Re-encrypts with a new password and fresh KDF salt (atomic; the old file becomes the .bak). */
  changePassword(input: { oldPassword: string; newPassword: string; acceptWeak?: boolean }): Promise<void> {
    return this.exclusive(async () => {
      await validateNewPassword(input.newPassword, input.acceptWeak);
      const { parsed, key: oldKey } = await this.openWithPassword(input.oldPassword);
      const plain = openSealed(parsed, oldKey);
      oldKey.master.fill(0);
      let payload: Payload;
      try {
        payload = decodePayload(plain);
      } finally {
        plain.fill(0);
      }
      const at = this.now().toISOString();
      payload.meta.passwordWeak = await isWeakPassword(input.newPassword);
      payload.meta.passwordChangedAt = at;
      const key = await newVaultKey(input.newPassword, this.kdf);
      await this.persist({ key, payload, pairs: new Map() });
      const current = this.unlockedState;
      if (current) {
        current.key.master.fill(0);
        current.key = key;
        current.payload.meta.passwordWeak = payload.meta.passwordWeak;
        current.payload.meta.passwordChangedAt = at;
        this.rematerialise(current);
        wipePayload(payload);
      } else {
        key.master.fill(0);
        if (this.vaultFacts) this.vaultFacts.passwordWeak = payload.meta.passwordWeak;
        wipePayload(payload);
      }
      this.options.log?.info('wallet password changed');
      this.emitWarningsIfChanged();
    });
  }

  /** The recovery phrase, after the password is entered again (throttled like unlock). */
  revealMnemonic(password: string): Promise<string> {
    return this.exclusive(async () => {
      const { parsed, key } = await this.openWithPassword(password);
      const plain = openSealed(parsed, key);
      key.master.fill(0);
      let payload: Payload | undefined;
      try {
        payload = decodePayload(plain);
        const root = payload.secrets.get('root');
        if (payload.meta.root?.kind !== 'mnemonic' || !root) {
          throw new AppError('NOT_FOUND', 'This wallet was imported from keys, not from a recovery phrase, so there is no phrase to show.');
        }
        this.options.log?.info('recovery phrase revealed');
        return textDecoder.decode(root);
      } finally {
        plain.fill(0);
        wipePayload(payload);
      }
    });
  }

  /** The encrypted wallet file (same password) after the password is checked, for a download. */
  backupText(password: string): Promise<string> {
    return this.exclusive(async () => {
      const { key } = await this.openWithPassword(password);
      key.master.fill(0);
      this.options.log?.info('encrypted backup exported');
      return readFileSync(this.vaultPath, 'utf8');
    });
  }

  /** Writes an encrypted copy of the wallet (same password) to `destPath`, mode 0600, never overwriting. */
  exportBackup(input: { password: string; destPath: string }): Promise<{ path: string }> {
    return this.exclusive(async () => {
      const { key } = await this.openWithPassword(input.password);
      key.master.fill(0);
      const text = readFileSync(this.vaultPath, 'utf8');
      try {
        writeFileSync(input.destPath, text, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new AppError('CONFLICT', `${input.destPath} already exists. Choose a new file name for the backup.`);
        throw error;
      }
      this.options.log?.info('encrypted backup exported');
      return { path: input.destPath };
    });
  }

  /**
   * Replaces the wallet with a backup (the automatic `vault.json.bak` when `fromPath` is omitted,
   * or an exported backup). The backup must open with `password`; a damaged current file is kept
   * aside as `vault.json.damaged-<time>`, never deleted.
   */
  restoreBackup(input: { password: string; fromPath?: string; text?: string }): Promise<PublicIdentity[]> {
    return this.exclusive(async () => {
      const from = input.fromPath ?? this.backupPath;
      if (input.text === undefined && !existsSync(from)) throw new AppError('NOT_FOUND', 'There is no backup file to restore. Import your recovery phrase instead.');
      const text = input.text ?? readFileSync(from, 'utf8');
      const parsed = parseVault(text);
      this.attempts.check(this.now().getTime());
      let key: VaultKey;
      try {
        key = await keyFor(parsed, input.password);
      } catch (error) {
        if (isAppError(error) && error.code === 'AUTH_FAILED') this.attempts.recordFailure(this.now().getTime());
        throw error;
      }
      this.attempts.reset();
      const plain = openSealed(parsed, key);
      let payload: Payload;
      try {
        payload = decodePayload(plain);
      } finally {
        plain.fill(0);
      }
      this.lock('user');
      if (existsSync(this.vaultPath)) {
        let damaged = false;
        try {
          parseVault(readFileSync(this.vaultPath, 'utf8'));
        } catch {
          damaged = true;
        }
        if (damaged) renameSync(this.vaultPath, `${this.vaultPath}.damaged-${this.now().getTime()}`);
      }
      const state: Unlocked = { key, payload, pairs: new Map() };
      await writeVaultAtomic(this.vaultPath, text, this.options.writeHooks);
      chmodSync(this.vaultPath, 0o600);
      this.setUnlocked(state);
      this.options.log?.info('wallet restored from backup', { automatic: input.fromPath === undefined && input.text === undefined });
      return this.identities();
    });
  }

  /**
   * Removes the coldkey's secret from this machine: the recovery phrase is deleted from the vault,
   * the keys mining needs (active hotkey, checkpoint signer, runner wallet, SMP hotkey, EOA) stay
   * as stored keys, and the coldkey stays as a public key only. Needs the password again and a
   * confirmed backup, because afterwards the phrase exists only on the user's paper.
   */
  makeWatchOnly(password: string): Promise<PublicIdentity[]> {
    return this.exclusive(async () => {
      const state = this.requireUnlocked();
      const { key } = await this.openWithPassword(password);
      key.master.fill(0);
      this.assertStillUnlocked(state);
      const { meta, secrets } = state.payload;
      if (meta.root?.kind === 'mnemonic' && !meta.mnemonicConfirmed) {
        throw new AppError('CONFLICT', 'Confirm your recovery phrase backup first: after this step the phrase is no longer on this computer, and it is the only way to move your stake.');
      }
      const at = this.now().toISOString();
      const current = this.identities().filter((i) => i.active);
      const coldkey = current.find((i) => i.role === 'coldkey');
      if (!coldkey || coldkey.watchOnly) throw new AppError('CONFLICT', 'This computer already holds only a watch-only coldkey.');
      if (meta.root) {
        for (const identity of current) {
          if (identity.role === 'coldkey' || identity.source !== meta.root.kind) continue;
          const pair = state.pairs.get(identity.role);
          if (!pair) continue;
          const id = randomUUID();
          meta.imported.push({ id, role: identity.role, scheme: pair.scheme, publicKey: hex(pair.publicKey), source: 'seed-derived', addedAt: identity.createdAt ?? at, hasSecret: true });
          secrets.set(`key:${id}`, Uint8Array.from(pair.secretKey));
        }
        secrets.get('root')?.fill(0);
        secrets.delete('root');
        meta.root = null;
        meta.hotkeys = [];
        meta.smpHotkeys = [];
      }
      for (const k of meta.imported) {
        if (k.role === 'coldkey' && k.hasSecret && !k.retiredAt) {
          k.retiredAt = at;
          secrets.get(`key:${k.id}`)?.fill(0);
          secrets.delete(`key:${k.id}`);
          k.hasSecret = false;
        }
      }
      meta.imported.push({ id: randomUUID(), role: 'coldkey', scheme: 'sr25519', publicKey: coldkey.publicKey, source: 'watch-only', addedAt: at, hasSecret: false });
      await this.persist(state);
      // twice: the first write moved the version with the phrase to vault.json.bak
      this.assertStillUnlocked(state);
      await this.persist(state);
      this.assertStillUnlocked(state);
      this.rematerialise(state);
      this.options.log?.info('coldkey secret removed from this machine (watch-only)');
      this.emit({ type: 'identitiesChanged', identities: this.identities() });
      this.emitWarningsIfChanged();
      return this.identities();
    });
  }

  fixPermissions(): void {
    if (existsSync(this.vaultPath)) chmodSync(this.vaultPath, 0o600);
    if (existsSync(this.backupPath)) chmodSync(this.backupPath, 0o600);
    this.emitWarningsIfChanged();
  }

  // ---------------------------------------------------------------- backup quiz

  /** Three random word positions (1-based) of the recovery phrase to ask for. */
  startBackupQuiz(): { positions: number[] } {
    const state = this.requireUnlocked();
    const words = state.payload.meta.root?.kind === 'mnemonic' ? state.payload.meta.root.words : 0;
    if (words === 0) throw new AppError('NOT_FOUND', 'This wallet has no recovery phrase to confirm.');
    const picked = new Set<number>();
    while (picked.size < 3) picked.add(randomInt(1, words + 1));
    this.quiz = [...picked].sort((a, b) => a - b);
    return { positions: [...this.quiz] };
  }

  /** Checks the answers (in the order of `positions`); on success the phrase counts as backed up. */
  answerBackupQuiz(answers: string[]): Promise<{ confirmed: boolean; wrongPositions: number[] }> {
    return this.exclusive(async () => {
      const state = this.requireUnlocked();
      const quiz = this.quiz;
      if (!quiz) throw new AppError('CONFLICT', 'Start the backup check first: it asks for three words of your recovery phrase.');
      const root = state.payload.secrets.get('root');
      if (!root) throw new AppError('NOT_FOUND', 'This wallet has no recovery phrase to confirm.');
      const words = textDecoder.decode(root).split(' ');
      const wrongPositions = quiz.filter((pos, i) => (answers[i] ?? '').trim().toLowerCase() !== words[pos - 1]);
      words.fill('');
      if (wrongPositions.length > 0) return { confirmed: false, wrongPositions };
      this.quiz = undefined;
      state.payload.meta.mnemonicConfirmed = true;
      await this.persist(state);
      this.assertStillUnlocked(state);
      this.rematerialise(state);
      this.options.log?.info('recovery phrase backup confirmed');
      this.emitWarningsIfChanged();
      return { confirmed: true, wrongPositions: [] };
    });
  }

  // ---------------------------------------------------------------- rotation

  /** Next derivation index for the hotkey or SMP hotkey; the old one is retired with a timestamp. */
  rotate(role: RotatableRole): Promise<{ retired: PublicIdentity; current: PublicIdentity }> {
    return this.exclusive(async () => {
      const state = this.requireUnlocked();
      const { meta } = state.payload;
      if (!meta.root) throw new AppError('UNSUPPORTED', 'Rotation derives the next key from your recovery phrase, and this wallet holds imported keys only. Import the new key instead.');
      const before = this.identities().find((i) => i.role === role && i.active);
      if (!before) throw new AppError('NOT_FOUND', `There is no active ${role} to rotate.`);
      const entries = role === 'hotkey' ? meta.hotkeys : meta.smpHotkeys;
      const at = this.now().toISOString();
      for (const entry of entries) if (!entry.retiredAt) entry.retiredAt = at;
      for (const key of meta.imported) if (key.role === role && !key.retiredAt) key.retiredAt = at;
      const next = entries.reduce((max, e) => Math.max(max, e.index), -1) + 1;
      entries.push({ index: next, createdAt: at });
      await this.persist(state);
      this.assertStillUnlocked(state);
      this.rematerialise(state);
      const current = this.identities().find((i) => i.role === role && i.active);
      if (!current) throw new AppError('INTERNAL', 'Rotation produced no active key.');
      const retired = { ...before, active: false, retiredAt: at };
      this.options.log?.info('key rotated', { role, index: next });
      this.emit({ type: 'hotkeyRotated', role, retired, current });
      this.emit({ type: 'identitiesChanged', identities: this.identities() });
      this.emitWarningsIfChanged();
      return { retired, current };
    });
  }

  // ---------------------------------------------------------------- signing

  private pair(role: Role): KeyPair {
    if (!this.unlockedState && this.workKeys && isWorkRole(role)) {
      const work = this.workKeys.get(role);
      if (work) return work;
    }
    const state = this.requireUnlocked();
    const pair = state.pairs.get(role);
    if (!pair) {
      const known = this.publicIdentities?.some((i) => i.role === role && i.active && i.watchOnly);
      if (known) throw new AppError('FORBIDDEN', `This computer holds only the public ${role}; signing with it must happen where its secret lives.`);
      throw new AppError('NOT_FOUND', `This wallet has no ${role}. Import one or restore the wallet from its recovery phrase.`);
    }
    return pair;
  }

  sign(role: SigningRole, message: Uint8Array): Signature {
    const pair = this.pair(role);
    const signature = signBytes(pair, message);
    return { signature, scheme: pair.scheme, address: addressFor(role, pair.publicKey, pair.scheme), publicKey: hex(pair.publicKey) };
  }

  signWithHotkey(message: Uint8Array): Signature {
    return this.sign('hotkey', message);
  }

  signCheckpoint(message: Uint8Array): Signature {
    return this.sign('checkpoint-signer', message);
  }

  signWithRunnerWallet(message: Uint8Array): Signature {
    return this.sign('runner-wallet', message);
  }

  signWithSmpHotkey(message: Uint8Array): Signature {
    return this.sign('smp-hotkey', message);
  }

  // ---------------------------------------------------------------- data sealed with a key

  /**
   * Encrypts app data that must never lie in plaintext on disk (the model runner's TLS private
   * key) under a key derived from the runner wallet's secret: XChaCha20-Poly1305 with key =
   * HKDF-SHA256(secret, salt "minerva-vault-data-v1", info `label`), AAD = `label`. Output:
   * `MVD1` ‖ nonce(24) ‖ ciphertext. Needs the wallet unlocked; a restored phrase opens it again.
   */
  sealWithRunnerWallet(label: string, plaintext: Uint8Array): Uint8Array {
    const key = this.dataKey(label);
    try {
      const nonce = randomBytes(24);
      const sealed = xchacha20poly1305(key, nonce, new TextEncoder().encode(label)).encrypt(plaintext);
      const out = new Uint8Array(4 + 24 + sealed.length);
      out.set(DATA_MAGIC, 0);
      out.set(nonce, 4);
      out.set(sealed, 28);
      return out;
    } finally {
      key.fill(0);
    }
  }

  /** Opens `sealWithRunnerWallet` output; another wallet, label or a changed byte → DECRYPT_FAILED. */
  openWithRunnerWallet(label: string, sealed: Uint8Array): Uint8Array {
    if (sealed.length < 28 + 16 || !DATA_MAGIC.every((b, i) => sealed[i] === b)) throw new AppError('DECRYPT_FAILED', 'The sealed data is not in the form this wallet writes.');
    const key = this.dataKey(label);
    try {
      return xchacha20poly1305(key, sealed.subarray(4, 28), new TextEncoder().encode(label)).decrypt(sealed.subarray(28));
    } catch {
      throw new AppError('DECRYPT_FAILED', 'The sealed data does not open with this wallet (another wallet sealed it, or it was changed).');
    } finally {
      key.fill(0);
    }
  }

  private dataKey(label: string): Uint8Array {
    if (label.length === 0 || label.length > 200) throw new AppError('VALIDATION', 'A data label is 1–200 characters.');
    const pair = this.pair('runner-wallet');
    return hkdf(sha256, pair.secretKey, new TextEncoder().encode('minerva-vault-data-v1'), new TextEncoder().encode(label), 32);
  }

  /** EIP-191 personal_sign with the EOA: `0x` + r ‖ s ‖ v (65 bytes). */
  personalSign(message: Uint8Array | string): { signature: string; address: string } {
    const pair = this.pair('eoa');
    const bytes = typeof message === 'string' ? new TextEncoder().encode(message) : message;
    return { signature: `0x${hex(personalSign(pair, bytes))}`, address: addressFor('eoa', pair.publicKey, 'secp256k1') };
  }

  /**
   * polkadot-js JSON v3 of an sr25519/ed25519 identity, encrypted with `exportPassword`. Key
   * material leaves the app, so the wallet password is asked again (with the wrong-password
   * throttle), as for the recovery phrase and the backup: an unlocked wallet alone is not enough.
   */
  exportPolkadotJson(input: { role: 'coldkey' | 'hotkey' | 'checkpoint-signer' | 'smp-hotkey'; password: string; exportPassword: string }): Promise<string> {
    return this.exclusive(async () => {
      await validateNewPassword(input.exportPassword);
      const { key } = await this.openWithPassword(input.password);
      key.master.fill(0);
      const pair = this.pair(input.role);
      this.options.log?.info('key exported as polkadot-js JSON', { role: input.role });
      return exportPolkadotJson(pair, input.exportPassword, `minerva ${input.role}`);
    });
  }

  close(): void {
    this.lock('closed');
    this.listeners.clear();
  }
}

export function createVaultService(options: VaultServiceOptions): VaultService {
  return new VaultService(options);
}

