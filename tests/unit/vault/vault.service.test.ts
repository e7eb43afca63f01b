import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { signatureVerify } from '@polkadot/util-crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recoverPersonalSigner } from '@core/vault/sign';
import type { VaultEvent } from '@core/vault/vault.service';
import { allFiles, errorCode, makeVault, ManualClock, ManualTimers, secretForms, tempDir, TEST_JUNK } from './helpers';

let data: ReturnType<typeof tempDir>;
let home: ReturnType<typeof tempDir>;
beforeEach(() => {
  data = tempDir('vault-data');
  home = tempDir('vault-home');
});
afterEach(() => {
  data.cleanup();
  home.cleanup();
});

const PW = 'orbit-lantern-walnut-cascade';
const msg = new TextEncoder().encode('signed miner action');

describe('create, lock, unlock', () => {
  it('creates every §1 identity, signs while unlocked and refuses with VAULT_LOCKED when locked', async () => {
    const vault = makeVault(data.path, home.path);
    expect(vault.status().state).toBe('missing');
    expect(await errorCode(vault.unlock(PW))).toBe('VAULT_MISSING');
    const ids = await vault.create({ password: PW, words: 24 });
    expect(ids.filter((i) => i.active).map((i) => [i.role, i.scheme])).toEqual([
      ['coldkey', 'sr25519'],
      ['hotkey', 'sr25519'],
      ['checkpoint-signer', 'ed25519'],
      ['runner-wallet', 'ed25519'],
      ['smp-hotkey', 'ed25519'],
      ['eoa', 'secp256k1'],
    ]);
    const phrase = await vault.revealMnemonic(PW);
    expect(phrase.split(' ')).toHaveLength(24);
    const hotkey = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(`${phrase}//hotkey//0`);
    expect(ids.find((i) => i.role === 'hotkey')?.address).toBe(hotkey.address);
    expect((readdirSync(data.path))).toContain('vault.json');
    expect(readFileSync(join(data.path, 'vault.json'), 'utf8')).not.toContain(phrase.split(' ')[0]! + ' ' + phrase.split(' ')[1]!);

    const sig = vault.signWithHotkey(msg);
    expect(signatureVerify(msg, sig.signature, hotkey.publicKey).isValid).toBe(true);
    for (const s of [vault.signCheckpoint(msg), vault.signWithRunnerWallet(msg), vault.signWithSmpHotkey(msg)]) {
      expect(signatureVerify(msg, s.signature, Buffer.from(s.publicKey, 'hex')).isValid).toBe(true);
    }

    const events: VaultEvent[] = [];
    vault.on((e) => events.push(e));
    vault.lock();
    expect(events.map((e) => e.type)).toContain('locked');
    expect(vault.status().state).toBe('locked');
    expect(await errorCode(() => vault.signWithHotkey(msg))).toBe('VAULT_LOCKED');
    expect(await errorCode(() => vault.personalSign('x'))).toBe('VAULT_LOCKED');
    expect(await errorCode(() => vault.rotate('hotkey'))).toBe('VAULT_LOCKED');
    // public addresses stay visible while locked
    expect(vault.identities().find((i) => i.role === 'hotkey')?.address).toBe(hotkey.address);

    expect(await errorCode(vault.unlock('not the password'))).toBe('AUTH_FAILED');
    await vault.unlock(PW);
    expect(vault.signWithHotkey(msg).address).toBe(hotkey.address);
    expect(await errorCode(vault.create({ password: PW }))).toBe('VAULT_EXISTS');
    vault.close();
  });

  it('lock zero-fills the secret buffers it held', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.create({ password: PW });
    const internal = vault as unknown as { unlockedState: { pairs: Map<string, { secretKey: Uint8Array }>; payload: { secrets: Map<string, Uint8Array> }; key: { master: Uint8Array } } };
    const buffers = [...internal.unlockedState.pairs.values()].map((p) => p.secretKey);
    const root = internal.unlockedState.payload.secrets.get('root')!;
    const master = internal.unlockedState.key.master;
    expect(buffers.length).toBe(6);
    expect(buffers.every((b) => b.some((x) => x !== 0))).toBe(true);
    vault.lock();
    for (const b of [...buffers, root, master]) expect(b.every((x) => x === 0)).toBe(true);
    expect(internal.unlockedState).toBeUndefined();
  });

  it('imports a phrase: the §1 vectors come out, EIP-191 recovers to the EOA', async () => {
    const vault = makeVault(data.path, home.path);
    const ids = await vault.importNew({ password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    expect(ids.find((i) => i.role === 'eoa')?.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    const signed = vault.personalSign('hello');
    expect(recoverPersonalSigner(new TextEncoder().encode('hello'), Buffer.from(signed.signature.slice(2), 'hex'))).toBe(signed.address);
    expect(vault.warnings().map((w) => w.id)).not.toContain('mnemonic-unconfirmed');
  });
});

describe('wrong passwords are throttled, across restarts', () => {
  it('grows the delay and keeps it after a new service starts', async () => {
    const clock = new ManualClock();
    const vault = makeVault(data.path, home.path, { clock });
    await vault.create({ password: PW });
    vault.lock();
    expect(await errorCode(vault.unlock('wrong-1'))).toBe('AUTH_FAILED');
    expect(await errorCode(vault.unlock('wrong-2'))).toBe('AUTH_FAILED');
    expect(await errorCode(vault.unlock('wrong-3'))).toBe('AUTH_FAILED');
    expect(await errorCode(vault.unlock(PW))).toBe('RATE_LIMITED');

    const restarted = makeVault(data.path, home.path, { clock });
    expect(await errorCode(restarted.unlock(PW))).toBe('RATE_LIMITED');
    expect(restarted.status().retryAfterMs).toBe(1000);
    clock.advance(1000);
    expect(await errorCode(restarted.unlock('wrong-4'))).toBe('AUTH_FAILED');
    clock.advance(1999);
    expect(await errorCode(restarted.unlock(PW))).toBe('RATE_LIMITED');
    clock.advance(1);
    await restarted.unlock(PW);
    expect(restarted.status().retryAfterMs).toBe(0);
    const attempts = readFileSync(join(data.path, 'vault-attempts.json'), 'utf8');
    expect(JSON.parse(attempts)).toEqual({ failures: 0, lastFailureAt: 0 });
  });
});

describe('auto-lock', () => {
  it('locks after the idle minutes, touch() restarts the timer, 0 = never with a warning', async () => {
    const timers = new ManualTimers();
    const vault = makeVault(data.path, home.path, { timers, autoLockMinutes: 15 });
    await vault.create({ password: PW });
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([15 * 60_000]);
    vault.touch();
    expect(timers.pending.size).toBe(1);
    const events: VaultEvent[] = [];
    vault.on((e) => events.push(e));
    timers.fireAll();
    expect(vault.isUnlocked()).toBe(false);
    expect(events).toContainEqual({ type: 'locked', reason: 'idle', mining: true });

    await vault.unlock(PW);
    vault.setAutoLockMinutes(0);
    expect(timers.pending.size).toBe(0);
    expect(vault.warnings().map((w) => w.id)).toContain('auto-lock-off');
    expect(events.some((e) => e.type === 'warningsChanged' && e.warnings.some((w) => w.id === 'auto-lock-off'))).toBe(true);
  });
});

describe('rotation, quiz, password change', () => {
  it('rotates the hotkey to the next index, retires the old one and emits an event', async () => {
    const clock = new ManualClock();
    const vault = makeVault(data.path, home.path, { clock });
    await vault.importNew({ password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    const events: VaultEvent[] = [];
    vault.on((e) => events.push(e));
    clock.advance(91 * 86_400_000);
    expect(vault.warnings().map((w) => w.id)).toContain('hotkey-old');
    const { retired, current } = await vault.rotate('hotkey');
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    expect(retired.address).toBe(keyring.addFromUri(`${TEST_JUNK}//hotkey//0`).address);
    expect(current.address).toBe(keyring.addFromUri(`${TEST_JUNK}//hotkey//1`).address);
    expect(retired.retiredAt).toBe(clock.now().toISOString());
    expect(events.find((e) => e.type === 'hotkeyRotated')).toMatchObject({ role: 'hotkey', current: { index: 1 } });
    expect(vault.warnings().map((w) => w.id)).not.toContain('hotkey-old');
    expect(vault.signWithHotkey(msg).address).toBe(current.address);

    const smp = await vault.rotate('smp-hotkey');
    expect(smp.current.index).toBe(1);
    // persisted: a fresh service sees index 1 active and index 0 retired
    vault.lock();
    const again = makeVault(data.path, home.path, { clock });
    const ids = await again.unlock(PW);
    expect(ids.filter((i) => i.role === 'hotkey').map((i) => [i.index, i.active, Boolean(i.retiredAt)])).toEqual([
      [0, false, true],
      [1, true, false],
    ]);
  });

  it('backup quiz: three positions, wrong words refused, right words confirm the backup', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.create({ password: PW });
    expect(vault.warnings().map((w) => w.id)).toContain('mnemonic-unconfirmed');
    const words = (await vault.revealMnemonic(PW)).split(' ');
    const { positions } = vault.startBackupQuiz();
    expect(positions).toHaveLength(3);
    expect(new Set(positions).size).toBe(3);
    expect(positions.every((p) => p >= 1 && p <= 12)).toBe(true);
    const right = positions.map((p) => words[p - 1]!);
    const wrong = [...right];
    wrong[1] = right[1] === 'zoo' ? 'abandon' : 'zoo';
    expect(await vault.answerBackupQuiz(wrong)).toEqual({ confirmed: false, wrongPositions: [positions[1]] });
    expect(await vault.answerBackupQuiz(right.map((w) => ` ${w.toUpperCase()} `))).toEqual({ confirmed: true, wrongPositions: [] });
    expect(vault.warnings().map((w) => w.id)).not.toContain('mnemonic-unconfirmed');
    expect(vault.status().mnemonicConfirmed).toBe(true);
  });

  it('refuses a weak new password with WEAK_PASSWORD unless the miner accepts the risk, everywhere a password is chosen', async () => {
    const vault = makeVault(data.path, home.path);
    expect(await errorCode(vault.create({ password: 'password123' }))).toBe('WEAK_PASSWORD');
    expect(existsSync(join(data.path, 'vault.json'))).toBe(false);
    const phrase = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
    expect(await errorCode(vault.importNew({ password: 'qwertyuiop', source: { kind: 'mnemonic', phrase } }))).toBe('WEAK_PASSWORD');
    // Too short is refused even when the risk is accepted.
    expect(await errorCode(vault.create({ password: 'short', acceptWeak: true }))).toBe('VALIDATION');
    await vault.create({ password: PW });
    expect(await errorCode(vault.changePassword({ oldPassword: PW, newPassword: 'password123' }))).toBe('WEAK_PASSWORD');
    vault.lock();
    await vault.unlock(PW);
    await vault.changePassword({ oldPassword: PW, newPassword: 'password123', acceptWeak: true });
    expect(vault.warnings().map((w) => w.id)).toContain('weak-password');
  });

  it('changes the password atomically: old fails, new works, weak verdict updated, previous generation kept', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.create({ password: 'password123', acceptWeak: true });
    expect(vault.warnings().map((w) => w.id)).toContain('weak-password');
    expect(await errorCode(vault.changePassword({ oldPassword: 'nope-nope', newPassword: PW }))).toBe('AUTH_FAILED');
    expect(await errorCode(vault.changePassword({ oldPassword: 'password123', newPassword: 'short' }))).toBe('VALIDATION');
    await vault.changePassword({ oldPassword: 'password123', newPassword: PW });
    expect(vault.warnings().map((w) => w.id)).not.toContain('weak-password');
    expect(existsSync(join(data.path, 'vault.json.bak'))).toBe(true);
    vault.lock();
    expect(await errorCode(vault.unlock('password123'))).toBe('AUTH_FAILED');
    await vault.unlock(PW);
    expect(vault.isUnlocked()).toBe(true);
  });
});

describe('damaged files', () => {
  async function created() {
    const vault = makeVault(data.path, home.path);
    await vault.importNew({ password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    await vault.rotate('hotkey'); // a second write: vault.json.bak now holds the first generation
    vault.lock();
    return vault;
  }
  const file = () => join(data.path, 'vault.json');

  it('truncated file → VAULT_CORRUPT with the backup offered, and the backup restores', async () => {
    const vault = await created();
    const text = readFileSync(file(), 'utf8');
    writeFileSync(file(), text.slice(0, text.length / 2));
    expect(await errorCode(vault.unlock(PW))).toBe('VAULT_CORRUPT');
    expect(vault.status()).toMatchObject({ state: 'corrupt', backupAvailable: true });
    const ids = await vault.restoreBackup({ password: PW });
    expect(ids.find((i) => i.role === 'eoa')?.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(vault.status().state).toBe('unlocked');
    expect(readdirSync(data.path).some((n) => n.startsWith('vault.json.damaged-'))).toBe(true);
  });

  it('a flipped ciphertext byte → VAULT_CORRUPT, not a wrong-password message', async () => {
    const vault = await created();
    const json = JSON.parse(readFileSync(file(), 'utf8')) as { ciphertext: string };
    const bytes = Buffer.from(json.ciphertext, 'base64');
    bytes[10] = bytes[10]! ^ 0x01;
    json.ciphertext = bytes.toString('base64');
    writeFileSync(file(), JSON.stringify(json));
    expect(await errorCode(vault.unlock(PW))).toBe('VAULT_CORRUPT');
  });

  it('a header swapped in from another vault → VAULT_CORRUPT', async () => {
    const vault = await created();
    const other = tempDir('vault-other');
    try {
      const second = makeVault(other.path, home.path);
      await second.create({ password: PW });
      const mine = JSON.parse(readFileSync(file(), 'utf8')) as { header: unknown };
      const theirs = JSON.parse(readFileSync(join(other.path, 'vault.json'), 'utf8')) as { header: unknown };
      mine.header = theirs.header;
      writeFileSync(file(), JSON.stringify(mine));
      expect(await errorCode(vault.unlock(PW))).toBe('VAULT_CORRUPT');
    } finally {
      other.cleanup();
    }
  });

  it('tampering that also fixes the checksum is caught by the AEAD tag', async () => {
    const vault = await created();
    const { createHash } = await import('node:crypto');
    const { canonicalJson } = await import('@core/vault/vault-file');
    const json = JSON.parse(readFileSync(file(), 'utf8')) as { header: Record<string, unknown>; ciphertext: string; checksum: string };
    const bytes = Buffer.from(json.ciphertext, 'base64');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x80;
    json.ciphertext = bytes.toString('base64');
    json.checksum = createHash('sha256').update(Buffer.concat([Buffer.from(canonicalJson(json.header)), bytes])).digest('hex');
    writeFileSync(file(), JSON.stringify(json));
    expect(await errorCode(vault.unlock(PW))).toBe('VAULT_CORRUPT');
    expect(await errorCode(vault.unlock('a wrong password'))).toBe('AUTH_FAILED');
  });

  it('an exported encrypted backup restores into a fresh data folder', async () => {
    const vault = await created();
    const dest = join(home.path, 'minerva-backup.json');
    expect(await errorCode(vault.exportBackup({ password: 'nope-nope', destPath: dest }))).toBe('AUTH_FAILED');
    await vault.exportBackup({ password: PW, destPath: dest });
    expect(statMode(dest)).toBe(0o600);
    expect(await errorCode(vault.exportBackup({ password: PW, destPath: dest }))).toBe('CONFLICT');
    const fresh = tempDir('vault-fresh');
    try {
      const restored = makeVault(fresh.path, home.path);
      const ids = await restored.restoreBackup({ password: PW, fromPath: dest });
      expect(ids.find((i) => i.role === 'hotkey' && i.active)?.index).toBe(1);
    } finally {
      fresh.cleanup();
    }
  });
});

function statMode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('key-safety warnings', () => {
  it('each warning has id, severity, reason and one fix; they follow the facts', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.create({ password: 'password123', acceptWeak: true });
    const ids = () => vault.warnings().map((w) => w.id).sort();
    expect(ids()).toEqual(['coldkey-on-machine', 'mnemonic-unconfirmed', 'weak-password']);
    for (const w of vault.warnings()) {
      expect(w.reason.length).toBeGreaterThan(20);
      expect(w.fix.action).toMatch(/^[a-z-]+$/);
      expect(['critical', 'warning', 'info']).toContain(w.severity);
    }
    chmodSync(join(data.path, 'vault.json'), 0o644);
    expect(ids()).toContain('vault-readable-by-others');
    vault.fixPermissions();
    expect(ids()).not.toContain('vault-readable-by-others');
    expect(statMode(join(data.path, 'vault.json'))).toBe(0o600);

    const hotkeys = join(home.path, '.bittensor', 'wallets', 'default', 'hotkeys');
    mkdirSync(hotkeys, { recursive: true });
    writeFileSync(join(hotkeys, 'encrypted'), 'not json at all');
    expect(ids()).not.toContain('btcli-plaintext-hotkeys');
    writeFileSync(join(hotkeys, 'default'), JSON.stringify({ secretSeed: `0x${'22'.repeat(32)}` }));
    expect(ids()).toContain('btcli-plaintext-hotkeys');
    expect(vault.btcliPlaintextHotkeys()).toEqual([join(hotkeys, 'default')]);
  });

  it('a watch-only coldkey clears the coldkey warning; signing with it is refused', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.importNew({ password: PW, source: { kind: 'watch-only-coldkey', address: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' } });
    expect(vault.warnings().map((w) => w.id)).not.toContain('coldkey-on-machine');
    expect(vault.identities()).toMatchObject([{ role: 'coldkey', watchOnly: true, address: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' }]);
    expect(await errorCode(() => vault.sign('coldkey', msg))).toBe('FORBIDDEN');
    expect(await errorCode(() => vault.signWithHotkey(msg))).toBe('NOT_FOUND');
    await vault.addImport({ kind: 'ethereum-key', hex: 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' });
    expect(vault.personalSign('x').address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  });
});

describe('no secret on disk in the clear', () => {
  it('the phrase, seeds and private keys appear in no file of the data folder', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.create({ password: PW });
    const phrase = await vault.revealMnemonic(PW);
    await vault.rotate('hotkey');
    await vault.addImport({ kind: 'ethereum-key', hex: '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' });
    expect(await errorCode(vault.unlock('wrong password!'))).toBe('no error'); // already unlocked: no-op
    vault.lock();
    expect(await errorCode(vault.unlock('wrong password!'))).toBe('AUTH_FAILED');
    const internalSecrets: Uint8Array[] = [];
    await vault.unlock(PW);
    const internal = vault as unknown as { unlockedState: { pairs: Map<string, { secretKey: Uint8Array }> } };
    for (const p of internal.unlockedState.pairs.values()) internalSecrets.push(Uint8Array.from(p.secretKey.subarray(0, 32)));
    const needles = [phrase, ...phrase.split(' ').slice(0, 4).map((w, i, a) => (i < 3 ? `${w} ${a[i + 1]!}` : w)), PW, '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', ...internalSecrets].flatMap((s) => secretForms(s));
    const files = allFiles(data.path);
    expect(files.map((f) => f.path.split('/').pop())).toEqual(expect.arrayContaining(['vault.json', 'vault.json.bak', 'vault-attempts.json']));
    for (const f of files) {
      const text = f.bytes.toString('latin1');
      for (const needle of needles) expect(text.includes(needle), `${needle.slice(0, 6)}… in ${f.path}`).toBe(false);
    }
  });
});

describe('make the coldkey watch-only', () => {
  it('keeps the mining keys, drops the phrase (also from the backup) and clears the coldkey warning', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.create({ password: PW });
    const before = vault.identities().filter((i) => i.active);
    expect(await errorCode(vault.makeWatchOnly(PW))).toBe('CONFLICT'); // backup not confirmed yet
    const words = (await vault.revealMnemonic(PW)).split(' ');
    const { positions } = vault.startBackupQuiz();
    await vault.answerBackupQuiz(positions.map((p) => words[p - 1]!));
    expect(await errorCode(vault.makeWatchOnly('wrong password!'))).toBe('AUTH_FAILED');
    const after = await vault.makeWatchOnly(PW);
    const active = after.filter((i) => i.active);
    expect(active.map((i) => [i.role, i.address])).toEqual(expect.arrayContaining(before.map((i) => [i.role, i.address])));
    expect(active.find((i) => i.role === 'coldkey')).toMatchObject({ watchOnly: true });
    expect(vault.warnings().map((w) => w.id)).not.toContain('coldkey-on-machine');
    expect(await errorCode(() => vault.sign('coldkey', msg))).toBe('FORBIDDEN');
    expect(vault.signWithHotkey(msg).address).toBe(before.find((i) => i.role === 'hotkey')!.address);
    expect(await errorCode(vault.revealMnemonic(PW))).toBe('NOT_FOUND');
    expect(await errorCode(vault.rotate('hotkey'))).toBe('UNSUPPORTED');
    // neither the live file nor the automatic backup still holds the phrase
    const bakDir = tempDir('watch-bak');
    try {
      const fromBackup = makeVault(bakDir.path, home.path);
      await fromBackup.restoreBackup({ password: PW, fromPath: join(data.path, 'vault.json.bak') });
      expect(await errorCode(fromBackup.revealMnemonic(PW))).toBe('NOT_FOUND');
    } finally {
      bakDir.cleanup();
    }
    vault.lock();
    const again = makeVault(data.path, home.path);
    const reopened = await again.unlock(PW);
    expect(reopened.filter((i) => i.active).map((i) => i.address).sort()).toEqual(active.map((i) => i.address).sort());
  });
});

describe('locking in the middle of an operation', () => {
  it('an import that finishes after the wallet locked is refused and the file stays readable', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.create({ password: PW });
    const pending = vault.addImport({ kind: 'ethereum-key', hex: '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' });
    await Promise.resolve(); // the import has started and waits on its parser
    expect(vault.isUnlocked()).toBe(true);
    vault.lock('idle');
    expect(await errorCode(pending)).toBe('VAULT_LOCKED');
    const ids = await vault.unlock(PW);
    expect(ids.filter((i) => i.role === 'eoa')).toHaveLength(1);
  });
});
