import { z } from 'zod';
import { event, method } from './define';

/**
 * The wallet vault (src-main/core/vault). Outputs carry lock state, addresses, public keys,
 * warnings and signatures — never a key, seed or phrase — with one exception:
 * `vault.revealMnemonic`, which asks for the password again. Every method that takes a password
 * or key material is `sensitive` (logged by name and duration only).
 */
export type VaultRole = 'coldkey' | 'hotkey' | 'checkpoint-signer' | 'runner-wallet' | 'smp-hotkey' | 'eoa';
export type VaultScheme = 'sr25519' | 'ed25519' | 'secp256k1';
export type VaultState = 'missing' | 'corrupt' | 'locked' | 'unlocked';
export type VaultLockReason = 'user' | 'idle' | 'suspend' | 'screen-locked' | 'closed';

export interface VaultIdentity {
  role: VaultRole;
  scheme: VaultScheme;
  address: string;
  /** hex, no 0x */
  publicKey: string;
  source: 'mnemonic' | 'seed' | 'polkadot-json' | 'btcli' | 'solana-keypair' | 'ethereum-key' | 'watch-only' | 'seed-derived';
  /** In use for its role; false for retired or overridden identities. */
  active: boolean;
  watchOnly: boolean;
  index?: number;
  derivation?: string;
  createdAt?: string;
  retiredAt?: string;
}

export type KeySafetyWarningId =
  | 'weak-password'
  | 'mnemonic-unconfirmed'
  | 'auto-lock-off'
  | 'coldkey-on-machine'
  | 'btcli-plaintext-hotkeys'
  | 'vault-readable-by-others'
  | 'hotkey-old'
  | 'host-exposed'
  | 'vault-file-missing'
  | 'mining-keys-on-disk';

export type KeySafetyFixAction =
  | 'change-password'
  | 'confirm-backup'
  | 'enable-auto-lock'
  | 'make-watch-only'
  | 'review-btcli-hotkeys'
  | 'fix-vault-permissions'
  | 'rotate-hotkey'
  | 'restrict-to-loopback'
  | 'rewrite-vault-file'
  | 'stop-mining-resume';

export interface KeySafetyWarning {
  id: KeySafetyWarningId;
  severity: 'critical' | 'warning' | 'info';
  title: string;
  /** Plain-language reason. */
  reason: string;
  /** The one action that fixes it. */
  fix: { action: KeySafetyFixAction; label: string };
}

export interface VaultStatus {
  state: VaultState;
  /** `vault.json.bak` (the previous version) exists. */
  backupAvailable: boolean;
  autoLockMinutes: number;
  /** While wrong passwords are throttled: ms until the next try. */
  retryAfterMs: number;
  /** Known once the vault was unlocked in this session; null before. */
  hasMnemonic: boolean | null;
  mnemonicConfirmed: boolean | null;
  /**
   * Mining mode (issue 16): the wallet is locked but the work keys (hotkey, checkpoint signer,
   * runner wallet, SMP hotkey, EVM address) are still in memory, so jobs and submissions go on.
   * The coldkey, the phrase and anything that moves funds need the password.
   */
  mining: boolean;
  /** The idle lock (and the screen lock) keep mining (the `keepMiningWhenLocked` setting). */
  keepMiningOnLock: boolean;
  /** "Resume mining after a restart": off, a key file (0600, work keys only) or sealed by the OS keychain. */
  resumeOnRestart: 'off' | 'key-file' | 'os-keychain';
  /** The host's OS keychain when it has one ("the OS keychain (Electron safeStorage)"); null headless. */
  osKeychain: string | null;
}

export interface VaultOverview {
  status: VaultStatus;
  /** Empty before the first unlock of this session (addresses are not stored in the clear). */
  identities: VaultIdentity[];
  warnings: KeySafetyWarning[];
}

/** The strength meter's verdict on a new password (vault.checkPassword); the password itself never comes back. */
export interface PasswordStrength {
  /** zxcvbn-ts score 0 (guessed at once) … 4 (very hard); below 3 is weak. */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  /** Refused unless the miner accepts the risk (acceptWeak) — too short is refused always. */
  weak: boolean;
  tooShort: boolean;
  warning: string | null;
  suggestions: string[];
  /** How long an attacker with the wallet file would need, in words ("3 hours", "centuries"). */
  crackTime: string;
}

const password = z.string().min(1).max(1024);
/** "I understand the risk": a new password zxcvbn rates weak is refused (WEAK_PASSWORD) without it. */
const acceptWeak = z.boolean().default(false);
const newPassword = z.string().min(8, 'use at least 8 characters').max(1024);

export const vaultImportSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mnemonic'), phrase: z.string().min(1).max(1024) }).strict(),
  z.object({ kind: z.literal('seed'), hex: z.string().min(1).max(130) }).strict(),
  z.object({ kind: z.literal('polkadot-json'), json: z.string().min(1).max(64 * 1024), password, role: z.enum(['coldkey', 'hotkey']).default('coldkey') }).strict(),
  z.object({ kind: z.literal('btcli'), dir: z.string().min(1).max(4096), password: password.optional(), hotkey: z.string().min(1).max(256).optional() }).strict(),
  z.object({ kind: z.literal('solana-keypair'), json: z.string().min(1).max(4096) }).strict(),
  z.object({ kind: z.literal('ethereum-key'), hex: z.string().min(1).max(130) }).strict(),
  z.object({ kind: z.literal('watch-only-coldkey'), address: z.string().min(1).max(128) }).strict(),
]);

export type VaultImportSource = z.infer<typeof vaultImportSourceSchema>;

const empty = z.object({}).strict();
const rotatable = z.enum(['hotkey', 'smp-hotkey']);

export const vaultMethods = {
  'vault.status': method<VaultOverview>()({ input: empty, summary: 'Lock state, identities known this session and key-safety warnings.' }),
  'vault.create': method<VaultOverview>()({
    input: z.object({ password: newPassword, words: z.union([z.literal(12), z.literal(24)]).default(12), checkpointScheme: z.enum(['ed25519', 'sr25519']).default('ed25519'), acceptWeak }).strict(),
    summary: 'Make a new wallet from a fresh recovery phrase; it is left unlocked. Show the phrase with vault.revealMnemonic.',
    sensitive: true,
  }),
  'vault.import': method<VaultOverview>()({
    input: z.object({ password: newPassword, source: vaultImportSourceSchema, acceptWeak }).strict(),
    summary: 'Make a new wallet from a recovery phrase, seed or key file.',
    sensitive: true,
  }),
  'vault.addKey': method<VaultOverview>()({
    input: z.object({ source: vaultImportSourceSchema }).strict(),
    summary: 'Add a key file to the unlocked wallet (it overrides the derived key of its role).',
    sensitive: true,
  }),
  'vault.checkPassword': method<PasswordStrength>()({
    input: z.object({ password: z.string().max(1024) }).strict(),
    summary: 'How strong a new password is (zxcvbn-ts, the same check that refuses a weak one); for the meter while typing.',
    sensitive: true,
  }),
  'vault.unlock': method<VaultOverview>()({ input: z.object({ password }).strict(), summary: 'Unlock with the password (wrong passwords are throttled).', sensitive: true }),
  'vault.lock': method<VaultOverview>()({
    input: z.object({ keepMining: z.boolean().default(false) }).strict(),
    summary: 'Lock now. keepMining: false (default) drops every key and stops mining, also after a restart; true keeps the work keys in memory so mining goes on.',
  }),
  'vault.setResumeOnRestart': method<VaultOverview>()({
    input: z.object({ enabled: z.boolean() }).strict(),
    summary: 'Resume mining after a restart without the password: on writes the work keys (never the coldkey or phrase) to mining-keys.json (0600, or sealed by the OS keychain); off deletes it. On needs the wallet unlocked.',
  }),
  'vault.touch': method<{ ok: true }>()({ input: empty, summary: 'User activity: restarts the auto-lock timer.' }),
  'vault.changePassword': method<VaultOverview>()({
    input: z.object({ oldPassword: password, newPassword, acceptWeak }).strict(),
    summary: 'Re-encrypt with a new password (atomic). A weak new password is refused (WEAK_PASSWORD) unless acceptWeak.',
    sensitive: true,
  }),
  'vault.rotateHotkey': method<{ retired: VaultIdentity; current: VaultIdentity }>()({
    input: z.object({ role: rotatable.default('hotkey') }).strict(),
    summary: 'Switch to the next hotkey (or SMP hotkey) index; the old one is retired.',
  }),
  'vault.revealMnemonic': method<{ mnemonic: string }>()({
    input: z.object({ password }).strict(),
    summary: 'The recovery phrase, after the password is entered again. The only method whose output is a secret.',
    sensitive: true,
  }),
  'vault.startBackupQuiz': method<{ positions: number[] }>()({ input: empty, summary: 'Three random word positions (1-based) to ask for.' }),
  'vault.answerBackupQuiz': method<{ confirmed: boolean; wrongPositions: number[] }>()({
    input: z.object({ answers: z.array(z.string().max(32)).length(3) }).strict(),
    summary: 'Check the three words; when right the phrase counts as backed up.',
    sensitive: true,
  }),
  'vault.exportBackup': method<{ fileName: string; content: string }>()({
    input: z.object({ password }).strict(),
    summary: 'The encrypted wallet file (same password) to save elsewhere.',
    sensitive: true,
  }),
  'vault.restoreBackup': method<VaultOverview>()({
    input: z.object({ password, content: z.string().min(1).max(1024 * 1024).optional() }).strict(),
    summary: 'Replace the wallet with vault.json.bak, or with an exported backup given as content.',
    sensitive: true,
  }),
  'vault.exportPolkadotJson': method<{ json: string }>()({
    input: z.object({ role: z.enum(['coldkey', 'hotkey', 'checkpoint-signer', 'smp-hotkey']), password, exportPassword: newPassword }).strict(),
    summary: 'A polkadot-js account file (JSON v3, encrypted with exportPassword) of an sr25519/ed25519 identity; the wallet password is asked again.',
    sensitive: true,
  }),
  'vault.rewriteFile': method<VaultOverview>()({
    input: z.object({}).strict(),
    summary: 'Write vault.json (and its backup) again from the unlocked wallet, after the file was deleted.',
  }),
  'vault.makeWatchOnly': method<VaultOverview>()({
    input: z.object({ password }).strict(),
    summary: 'Remove the recovery phrase and coldkey secret from this machine; keep the mining keys and a watch-only coldkey.',
    sensitive: true,
  }),
  'vault.fixPermissions': method<VaultOverview>()({ input: empty, summary: 'Make the wallet file readable by this user only.' }),
  'vault.btcliHotkeyFiles': method<{ paths: string[] }>()({ input: empty, summary: 'btcli hotkey files found unencrypted under ~/.bittensor.' }),
};

export const vaultEvents = {
  'vault.locked': event<{ reason: VaultLockReason; mining: boolean }>('The wallet locked (by the user, idle timer, suspend or screen lock); mining: the work keys stayed in memory.'),
  'vault.unlocked': event<Record<string, never>>('The wallet was unlocked.'),
  'vault.hotkeyRotated': event<{ role: 'hotkey' | 'smp-hotkey'; retired: VaultIdentity; current: VaultIdentity }>('A hotkey was rotated; features re-register the new one.'),
  'vault.identitiesChanged': event<{ identities: VaultIdentity[] }>('Identities were added, rotated or restored.'),
  'vault.warningsChanged': event<{ warnings: KeySafetyWarning[] }>('The set of key-safety warnings changed.'),
};
