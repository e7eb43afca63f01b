import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type { KeySafetyFixAction, KeySafetyWarning, KeySafetyWarningId, PasswordStrength } from '@shared/contract/vault';

/**
 * Key-safety warnings, computed in core from facts the vault knows (never from secrets). Each has
 * a stable id, a severity, a plain-language reason and exactly one fix action the UI can offer.
 */
export type { KeySafetyWarning } from '@shared/contract/vault';
export type WarningId = KeySafetyWarningId;
export type FixAction = KeySafetyFixAction;

export const HOTKEY_MAX_AGE_DAYS = 90;

let zxcvbn: Promise<ZxcvbnFactory> | undefined;

/**
 * zxcvbn-ts and its dictionaries (1.7 MB, ~100 ms to load) load on the first password check, not
 * with the app: only the wallet pages and commands need them (README "Performance": startup).
 */
function loadZxcvbn(): Promise<ZxcvbnFactory> {
  zxcvbn ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]).then(
    ([core, common, en]) =>
      new core.ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...en.dictionary },
        graphs: common.adjacencyGraphs,
        translations: en.translations,
      }),
  );
  return zxcvbn;
}

async function check(password: string, userInputs: string[]) {
  return (await loadZxcvbn()).check(password.slice(0, 256), [...userInputs, 'minerva', 'wallet', 'bittensor']);
}

/** zxcvbn-ts score 0–4; only the verdict (< 3 = weak) is stored, never the password. */
export async function passwordScore(password: string, userInputs: string[] = []): Promise<number> {
  return (await check(password, userInputs)).score;
}

export async function isWeakPassword(password: string): Promise<boolean> {
  return (await passwordScore(password)) < 3;
}

export const MIN_PASSWORD_LENGTH = 8;
const STRENGTH_WORDS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;

/**
 * What the strength meter shows while a miner types a new password, from the same zxcvbn-ts check
 * that refuses a weak one (so the meter and the refusal always agree). The time is for an attacker
 * who copied the wallet file and guesses offline against a slow password hash.
 */
export async function passwordStrength(password: string): Promise<PasswordStrength> {
  const result = await check(password, []);
  const tooShort = password.length < MIN_PASSWORD_LENGTH;
  return {
    score: result.score,
    label: tooShort ? 'Too short' : STRENGTH_WORDS[result.score],
    weak: tooShort || result.score < 3,
    tooShort,
    warning: result.feedback.warning ?? null,
    suggestions: result.feedback.suggestions,
    crackTime: result.crackTimes.offlineSlowHashingXPerSecond.display,
  };
}

/** btcli hotkey files under `<home>/.bittensor/wallets/<w>/hotkeys/` that hold a secret in plaintext. */
export function findPlaintextBtcliHotkeys(homeDir: string): string[] {
  const wallets = join(homeDir, '.bittensor', 'wallets');
  const found: string[] = [];
  if (!existsSync(wallets)) return found;
  let names: string[];
  try {
    names = readdirSync(wallets);
  } catch {
    return found;
  }
  for (const wallet of names) {
    const hotkeys = join(wallets, wallet, 'hotkeys');
    let files: string[];
    try {
      files = readdirSync(hotkeys);
    } catch {
      continue;
    }
    for (const file of files) {
      const path = join(hotkeys, file);
      try {
        const stat = statSync(path);
        if (!stat.isFile() || stat.size > 64 * 1024) continue;
        const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
        if (['secretPhrase', 'secretSeed', 'privateKey'].some((k) => typeof data[k] === 'string' && data[k] !== '')) found.push(path);
      } catch {
        // not JSON: an encrypted or unrelated file, not a plaintext hotkey
      }
    }
  }
  return found.sort();
}

/** True when group or others may read or write the file (POSIX permission bits; false on Windows). */
export function readableByOthers(path: string, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'win32' || !existsSync(path)) return false;
  return (statSync(path).mode & 0o077) !== 0;
}

export interface WarningFacts {
  /** Facts from the decrypted vault; undefined while it has never been unlocked this session. */
  vault?: {
    passwordWeak: boolean;
    hasMnemonic: boolean;
    mnemonicConfirmed: boolean;
    coldkeySecretPresent: boolean;
    activeHotkeyCreatedAt?: string;
  };
  autoLockMinutes: number;
  btcliPlaintextHotkeys: string[];
  vaultReadableByOthers: boolean;
  /** The wallet file was deleted while unlocked (the keys are only in memory). */
  vaultFileMissing?: boolean;
  /** "Resume mining after a restart" wrote the work keys to disk. */
  miningKeysOnDisk?: 'off' | 'key-file' | 'os-keychain';
  exposedBeyondLoopback: boolean;
  now: Date;
}

/** Long because it is a list: one short rule per key-safety warning, in the order they are shown. */
export function computeWarnings(facts: WarningFacts): KeySafetyWarning[] {
  const out: KeySafetyWarning[] = [];
  const v = facts.vault;
  if (facts.vaultFileMissing) {
    out.push({
      id: 'vault-file-missing',
      severity: 'critical',
      title: 'Your wallet file was deleted',
      reason: 'Minerva still holds your keys because the wallet is unlocked, but they are not on disk any more: if the app stops or the wallet locks, keys you have not backed up are gone. Write the file back now (with its backup copy).',
      fix: { action: 'rewrite-vault-file', label: 'Write the wallet file back' },
    });
  }
  if (v?.passwordWeak) {
    out.push({
      id: 'weak-password',
      severity: 'critical',
      title: 'Your wallet password is easy to guess',
      reason: 'Anyone who copies your wallet file could try common passwords against it offline. A long passphrase of four or more unrelated words is much harder to guess.',
      fix: { action: 'change-password', label: 'Choose a stronger password' },
    });
  }
  if (v?.hasMnemonic && !v.mnemonicConfirmed) {
    out.push({
      id: 'mnemonic-unconfirmed',
      severity: 'critical',
      title: 'Your recovery phrase is not backed up yet',
      reason: 'If this computer fails, the recovery phrase is the only way to get your keys and rewards back. Write it down on paper and confirm three of its words.',
      fix: { action: 'confirm-backup', label: 'Back up the recovery phrase' },
    });
  }
  if (facts.vaultReadableByOthers) {
    out.push({
      id: 'vault-readable-by-others',
      severity: 'critical',
      title: 'Other users of this computer can read your wallet file',
      reason: 'The encrypted wallet file should be readable by you alone, so nobody else on this machine can copy it and guess the password.',
      fix: { action: 'fix-vault-permissions', label: 'Make the wallet file private' },
    });
  }
  if (facts.btcliPlaintextHotkeys.length > 0) {
    const n = facts.btcliPlaintextHotkeys.length;
    out.push({
      id: 'btcli-plaintext-hotkeys',
      severity: 'warning',
      title: `${n} btcli hotkey file${n === 1 ? '' : 's'} lie unencrypted on this computer`,
      reason: 'btcli stores hotkeys without a password under ~/.bittensor. Any program you run can read them. Import the hotkey into Minerva (encrypted), then delete the btcli copy or move it off this machine.',
      fix: { action: 'review-btcli-hotkeys', label: 'Show the files' },
    });
  }
  if (facts.autoLockMinutes === 0) {
    out.push({
      id: 'auto-lock-off',
      severity: 'warning',
      title: 'The wallet never locks by itself',
      reason: 'While the wallet is unlocked, anyone at this computer can use your keys. Auto-lock closes it after some idle minutes.',
      fix: { action: 'enable-auto-lock', label: 'Turn auto-lock on (15 minutes)' },
    });
  }
  if (v?.coldkeySecretPresent) {
    out.push({
      id: 'coldkey-on-machine',
      severity: 'warning',
      title: 'Your coldkey is stored on this mining machine',
      reason: 'The coldkey owns your stake and rewards, and mining never needs it. Keep the recovery phrase offline and leave only the hotkeys here (watch-only coldkey).',
      fix: { action: 'make-watch-only', label: 'Keep only a watch-only coldkey here' },
    });
  }
  if (v?.activeHotkeyCreatedAt) {
    const ageDays = (facts.now.getTime() - Date.parse(v.activeHotkeyCreatedAt)) / 86_400_000;
    if (ageDays > HOTKEY_MAX_AGE_DAYS) {
      out.push({
        id: 'hotkey-old',
        severity: 'info',
        title: `Your hotkey is more than ${HOTKEY_MAX_AGE_DAYS} days old`,
        reason: 'Rotating the hotkey now and then limits the damage if it ever leaked. Minerva derives the next one from your recovery phrase and re-registers it.',
        fix: { action: 'rotate-hotkey', label: 'Rotate the hotkey' },
      });
    }
  }
  if (facts.miningKeysOnDisk === 'key-file') {
    out.push({
      id: 'mining-keys-on-disk',
      severity: 'warning',
      title: 'Your mining keys lie unencrypted in a file, so mining resumes after a restart',
      reason:
        'You chose to resume mining after a restart. The work keys (hotkey, checkpoint signer, runner wallet, EVM address) are in mining-keys.json in the data folder, readable only by you. Anyone who copies it can mine as you until you rotate the hotkey, but cannot move funds: the coldkey and the recovery phrase are never in it.',
      fix: { action: 'stop-mining-resume', label: 'Delete the file (ask for the password after a restart)' },
    });
  } else if (facts.miningKeysOnDisk === 'os-keychain') {
    out.push({
      id: 'mining-keys-on-disk',
      severity: 'info',
      title: 'Mining resumes after a restart: the work keys are sealed by the OS keychain',
      reason:
        'You chose to resume mining after a restart. The work keys are kept in a file sealed by your operating system keychain, which only your user on this computer can open. The coldkey and the recovery phrase are never in it.',
      fix: { action: 'stop-mining-resume', label: 'Delete the file (ask for the password after a restart)' },
    });
  }
  if (facts.exposedBeyondLoopback) {
    out.push({
      id: 'host-exposed',
      severity: 'critical',
      title: 'Minerva is reachable from other machines',
      reason: 'The headless server listens beyond this computer. Anyone who gets the access token can control your miner and unlock prompts.',
      fix: { action: 'restrict-to-loopback', label: 'Serve on 127.0.0.1 only' },
    });
  }
  return out;
}
