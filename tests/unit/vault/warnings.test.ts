import { describe, expect, it } from 'vitest';
import { computeWarnings, isWeakPassword, passwordStrength, type WarningFacts } from '@core/vault/warnings';

const base: WarningFacts = { autoLockMinutes: 15, btcliPlaintextHotkeys: [], vaultReadableByOthers: false, exposedBeyondLoopback: false, now: new Date('2026-06-01T00:00:00Z') };
const vault = { passwordWeak: false, hasMnemonic: true, mnemonicConfirmed: true, coldkeySecretPresent: false, activeHotkeyCreatedAt: '2026-05-01T00:00:00Z' };

describe('computeWarnings', () => {
  it('is empty when every fact is good', () => {
    expect(computeWarnings({ ...base, vault })).toEqual([]);
  });

  it('names each problem once, with one fix', () => {
    const all = computeWarnings({
      ...base,
      autoLockMinutes: 0,
      btcliPlaintextHotkeys: ['/h/.bittensor/wallets/a/hotkeys/default'],
      vaultReadableByOthers: true,
      exposedBeyondLoopback: true,
      vault: { ...vault, passwordWeak: true, mnemonicConfirmed: false, coldkeySecretPresent: true, activeHotkeyCreatedAt: '2026-02-01T00:00:00Z' },
    });
    expect(all.map((w) => [w.id, w.fix.action])).toEqual([
      ['weak-password', 'change-password'],
      ['mnemonic-unconfirmed', 'confirm-backup'],
      ['vault-readable-by-others', 'fix-vault-permissions'],
      ['btcli-plaintext-hotkeys', 'review-btcli-hotkeys'],
      ['auto-lock-off', 'enable-auto-lock'],
      ['coldkey-on-machine', 'make-watch-only'],
      ['hotkey-old', 'rotate-hotkey'],
      ['host-exposed', 'restrict-to-loopback'],
    ]);
  });

  it('hotkey age: 90 days is fine, 91 is old', () => {
    const at = (days: number) => computeWarnings({ ...base, vault: { ...vault, activeHotkeyCreatedAt: new Date(base.now.getTime() - days * 86_400_000).toISOString() } });
    expect(at(90).map((w) => w.id)).toEqual([]);
    expect(at(91).map((w) => w.id)).toEqual(['hotkey-old']);
  });

  it('before the first unlock only the facts known without the vault count', () => {
    expect(computeWarnings({ ...base, autoLockMinutes: 0 }).map((w) => w.id)).toEqual(['auto-lock-off']);
  });
});

describe('password strength (zxcvbn-ts, score < 3 is weak)', () => {
  it.each([
    ['password123', true],
    ['minerva2024', true],
    ['qwertyuiop', true],
    ['orbit lantern walnut cascade', false],
    ['Tr0ub4dor&3-horse-staple', false],
  ])('%s weak=%s', async (pw, weak) => {
    expect(await isWeakPassword(pw)).toBe(weak);
  });
});

describe('the strength meter (passwordStrength) agrees with the refusal', () => {
  it.each(['password', 'password123', 'minerva2024', 'qwertyuiop', 'orbit lantern walnut cascade', 'Tr0ub4dor&3-horse-staple', 'short'])('%s', async (pw) => {
    const s = await passwordStrength(pw);
    expect(s.weak).toBe(pw.length < 8 || (await isWeakPassword(pw)));
    expect(s.tooShort).toBe(pw.length < 8);
    expect(s.label.length).toBeGreaterThan(0);
    expect(s.crackTime.length).toBeGreaterThan(0);
    // Nothing of the password comes back.
    expect(Object.values(s)).not.toContain(pw);
    expect(s.suggestions).not.toContain(pw);
  });

  it('explains a common password in words and rates a passphrase strong', async () => {
    const bad = await passwordStrength('password');
    expect(bad).toMatchObject({ score: 0, weak: true, label: 'Very weak', warning: 'This is a heavily used password.' });
    expect(bad.crackTime).toBe('less than a second');
    const good = await passwordStrength('orbit lantern walnut cascade');
    expect(good.weak).toBe(false);
    expect(good.score).toBeGreaterThanOrEqual(3);
  });
});
