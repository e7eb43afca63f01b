import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCapabilities } from '@core/vault/capabilities';
import { bip39Seed, deriveSubstrate, substrateMiniSecret } from '@core/vault/derive';
import { decodeMiningKeys, encodeMiningKeys, type SecretBox } from '@core/vault/mining-keys';
import type { VaultEvent, VaultLogger } from '@core/vault/vault.service';
import { allFiles, errorCode, makeVault, ManualTimers, secretForms, tempDir, TEST_JUNK } from './helpers';

/**
 * Mining mode (issue 16): the idle lock keeps the work keys so jobs go on, the coldkey and the
 * phrase need the password, and "resume after a restart" writes the work keys only.
 */
let data: ReturnType<typeof tempDir>;
let home: ReturnType<typeof tempDir>;
beforeEach(() => {
  data = tempDir('mining-data');
  home = tempDir('mining-home');
});
afterEach(() => {
  data.cleanup();
  home.cleanup();
});

const PW = 'orbit-lantern-walnut-cascade';
const msg = new TextEncoder().encode('signed miner action');
const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
const hotkey0 = keyring.addFromUri(`${TEST_JUNK}//hotkey//0`).address;
const hotkey1 = keyring.addFromUri(`${TEST_JUNK}//hotkey//1`).address;

/** Every form of the root secrets that must never leave the vault file. */
function rootNeedles(): string[] {
  const mini = substrateMiniSecret(TEST_JUNK);
  const coldkey = deriveSubstrate(mini, 'sr25519', '');
  return [...secretForms(TEST_JUNK), ...secretForms(bip39Seed(TEST_JUNK)), ...secretForms(mini), ...secretForms(coldkey.secretKey.subarray(0, 32)), 'junk test'];
}

function recordingLog(): VaultLogger & { lines: string[] } {
  const lines: string[] = [];
  const put = (msg: string, fields?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: put, warn: put, error: put };
}

/** A stand-in for Electron safeStorage: AES-256-GCM under a key only this "user" has. */
function testBox(key = randomBytes(32)): SecretBox {
  return {
    name: 'the test keychain',
    available: () => true,
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(sealed) {
      const b = Buffer.from(sealed);
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]);
    },
  };
}

describe('the idle lock with mining on', () => {
  it('keeps every work key usable and asks for the password for the coldkey, phrase and rotation', async () => {
    const timers = new ManualTimers();
    const vault = makeVault(data.path, home.path, { timers, autoLockMinutes: 15 });
    await vault.importNew({ password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    const caps = createCapabilities(vault);
    const gateChanges: boolean[] = [];
    caps.gate.onChange((open) => gateChanges.push(open));
    const events: VaultEvent[] = [];
    vault.on((e) => events.push(e));
    const sealed = caps.runner.seal('runner-tls-key', new TextEncoder().encode('tls key'));

    timers.fireAll(); // 15 idle minutes
    expect(events).toContainEqual({ type: 'locked', reason: 'idle', mining: true });
    expect(vault.isUnlocked()).toBe(false);
    expect(vault.status()).toMatchObject({ state: 'locked', mining: true, keepMiningOnLock: true });
    expect(caps.gate.isUnlocked()).toBe(true);
    expect(gateChanges).toEqual([true]);
    await caps.gate.whenUnlocked(); // resolves at once: workers do not pause

    // work keys: hotkey, checkpoint signer, EOA, runner wallet, SMP hotkey, sealed data
    expect(caps.hotkeys.hotkey('sr25519').address).toBe(hotkey0);
    expect(caps.hotkeys.hotkey('sr25519').sign(msg)).toHaveLength(64);
    expect(caps.hotkeys.hotkey('ed25519').sign(msg)).toHaveLength(64);
    expect(caps.eoa.personalSign('job').signature).toMatch(/^0x[0-9a-f]{130}$/u);
    expect(caps.runner.signWithWallet(msg).signature).toHaveLength(64);
    expect(caps.runner.signWithSmpHotkey(msg).signature).toHaveLength(64);
    expect(new TextDecoder().decode(caps.runner.open('runner-tls-key', sealed))).toBe('tls key');

    // funds and the root: the password again
    expect(await errorCode(() => vault.sign('coldkey', msg))).toBe('VAULT_LOCKED');
    expect(await errorCode(vault.rotate('hotkey'))).toBe('VAULT_LOCKED');
    expect(await errorCode(() => vault.startBackupQuiz())).toBe('VAULT_LOCKED');
    expect(await errorCode(vault.makeWatchOnly(PW))).toBe('VAULT_LOCKED');
    expect(await errorCode(vault.revealMnemonic('not the password'))).toBe('AUTH_FAILED');
    expect(await errorCode(vault.exportPolkadotJson({ role: 'coldkey', password: PW, exportPassword: 'another-long-password' }))).toBe('VAULT_LOCKED');
    expect(await errorCode(() => vault.setResumeOnRestart(true))).toBe('VAULT_LOCKED');

    // unlocking again replaces the work keys by the full wallet; nothing paused in between
    await vault.unlock(PW);
    expect(vault.status().mining).toBe(false);
    expect(vault.sign('coldkey', msg).signature).toHaveLength(64);
    caps.dispose();
  });

  it('"lock everything" and stop-mining drop the work keys; the gate closes', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.importNew({ password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    const caps = createCapabilities(vault);
    const events: VaultEvent[] = [];
    vault.on((e) => events.push(e));

    vault.lock('user', { keepMining: true });
    expect(vault.status().mining).toBe(true);
    expect(caps.gate.isUnlocked()).toBe(true);

    vault.lock('user', { keepMining: false }); // "Stop mining"
    expect(events.at(-1)).toEqual({ type: 'locked', reason: 'user', mining: false });
    expect(vault.status().mining).toBe(false);
    expect(caps.gate.isUnlocked()).toBe(false);
    expect(await errorCode(() => caps.hotkeys.hotkey('sr25519').sign(msg))).toBe('VAULT_LOCKED');
    expect(await errorCode(() => caps.eoa.personalSign('job'))).toBe('VAULT_LOCKED');

    await vault.unlock(PW);
    vault.lock('user'); // the plain lock (CLI, restore) locks everything too
    expect(caps.gate.isUnlocked()).toBe(false);
    await vault.unlock(PW);
    vault.lock('suspend'); // sleep stops mining: the machine does not work anyway
    expect(caps.gate.isUnlocked()).toBe(false);
    await vault.unlock(PW);
    vault.lock('screen-locked'); // the screen lock is the idle lock of the desktop
    expect(caps.gate.isUnlocked()).toBe(true);
    vault.close();
    expect(caps.gate.isUnlocked()).toBe(false);
    caps.dispose();
  });

  it('with mining mode off the idle lock drops everything, as before', async () => {
    const timers = new ManualTimers();
    const vault = makeVault(data.path, home.path, { timers, keepMiningOnLock: false });
    await vault.create({ password: PW });
    timers.fireAll();
    expect(vault.canWork()).toBe(false);
    expect(vault.status()).toMatchObject({ mining: false, keepMiningOnLock: false });
    await vault.unlock(PW);
    vault.setKeepMiningOnLock(true);
    timers.fireAll();
    expect(vault.canWork()).toBe(true);
  });

  it('a short idle-lock override (MINERVA_AUTO_LOCK_SECONDS) replaces the minutes', async () => {
    const timers = new ManualTimers();
    const vault = makeVault(data.path, home.path, { timers, autoLockMinutes: 15, idleLockMs: 3000 });
    await vault.create({ password: PW });
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([3000]);
  });
});

describe('resume mining after a restart (opt-in)', () => {
  it('writes the work keys only (0600), resumes without the password and follows rotation', async () => {
    const log = recordingLog();
    const vault = makeVault(data.path, home.path, { log });
    await vault.importNew({ password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    expect(vault.status().resumeOnRestart).toBe('off');
    expect(vault.warnings().map((w) => w.id)).not.toContain('mining-keys-on-disk');
    vault.setResumeOnRestart(true);
    expect(vault.status().resumeOnRestart).toBe('key-file');
    expect(statSync(vault.miningKeysPath).mode & 0o777).toBe(0o600);
    expect(vault.warnings().find((w) => w.id === 'mining-keys-on-disk')).toMatchObject({ severity: 'warning', fix: { action: 'stop-mining-resume' } });
    const file = JSON.parse(readFileSync(vault.miningKeysPath, 'utf8')) as { protection: string; keys: { role: string }[]; note: string };
    expect(file.protection).toBe('none');
    expect(file.keys.map((k) => k.role).sort()).toEqual(['checkpoint-signer', 'eoa', 'hotkey', 'runner-wallet', 'smp-hotkey']);
    expect(file.note).toMatch(/cannot move funds/u);
    vault.close();

    // a restart: no password, mining goes on with the same keys
    const restarted = makeVault(data.path, home.path, { log });
    expect(restarted.canWork()).toBe(false);
    expect(restarted.resumeMining()).toBe(true);
    const caps = createCapabilities(restarted);
    expect(restarted.status()).toMatchObject({ state: 'locked', mining: true, resumeOnRestart: 'key-file' });
    expect(caps.gate.isUnlocked()).toBe(true);
    expect(caps.hotkeys.hotkey('sr25519').address).toBe(hotkey0);
    expect(caps.eoa.personalSign('job').address).toBe(caps.eoa.address());
    expect(caps.hotkeys.coldkeyAddress()).toBe(keyring.addFromUri(TEST_JUNK).address);
    expect(await errorCode(() => restarted.sign('coldkey', msg))).toBe('VAULT_LOCKED');

    // a rotation (with the password) rewrites the file with the new hotkey
    await restarted.unlock(PW);
    await restarted.rotate('hotkey');
    expect(readFileSync(restarted.miningKeysPath, 'utf8')).toContain(keyring.addFromUri(`${TEST_JUNK}//hotkey//1`).address);
    restarted.close();
    const again = makeVault(data.path, home.path, { log });
    again.resumeMining();
    expect(createCapabilities(again).hotkeys.hotkey('sr25519').address).toBe(hotkey1);

    // "Stop mining" deletes the file: stopped means stopped, also after a restart
    again.lock('user', { keepMining: false });
    expect(existsSync(again.miningKeysPath)).toBe(false);
    expect(again.warnings().map((w) => w.id)).not.toContain('mining-keys-on-disk');
    const third = makeVault(data.path, home.path, { log });
    expect(third.resumeMining()).toBe(false);
    expect(third.canWork()).toBe(false);

    // no root secret in the data folder outside the encrypted vault, nor in the log
    const needles = rootNeedles();
    for (const f of allFiles(data.path)) {
      if (f.path.includes('vault.json')) continue;
      const text = f.bytes.toString('utf8');
      for (const needle of needles) expect(text.includes(needle), `${f.path} holds a root secret`).toBe(false);
    }
    const logText = log.lines.join('\n');
    for (const needle of needles) expect(logText.includes(needle)).toBe(false);
    expect(logText).toContain('restart key file written');
  });

  it('the key file written while it existed is never the root: checked on the file itself', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.importNew({ password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    vault.setResumeOnRestart(true);
    const text = readFileSync(vault.miningKeysPath, 'utf8');
    for (const needle of rootNeedles()) expect(text.includes(needle)).toBe(false);
    vault.setResumeOnRestart(false);
    expect(existsSync(vault.miningKeysPath)).toBe(false);
  });

  it('with the OS keychain the file is sealed; another keychain or a damaged file leaves mining waiting', async () => {
    const box = testBox();
    const log = recordingLog();
    const vault = makeVault(data.path, home.path, { secretBox: box, log });
    await vault.importNew({ password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    expect(vault.status().osKeychain).toBe('the test keychain');
    vault.setResumeOnRestart(true);
    expect(vault.status().resumeOnRestart).toBe('os-keychain');
    expect(vault.warnings().find((w) => w.id === 'mining-keys-on-disk')?.severity).toBe('info');
    const text = readFileSync(vault.miningKeysPath, 'utf8');
    expect(text).not.toContain(hotkey0); // even the addresses are inside the sealed part
    vault.close();

    const same = makeVault(data.path, home.path, { secretBox: box });
    expect(same.resumeMining()).toBe(true);
    expect(createCapabilities(same).hotkeys.hotkey('sr25519').address).toBe(hotkey0);

    const otherUser = makeVault(data.path, home.path, { secretBox: testBox(), log });
    expect(otherUser.resumeMining()).toBe(false);
    expect(otherUser.canWork()).toBe(false);
    const headless = makeVault(data.path, home.path, { log });
    expect(headless.resumeMining()).toBe(false);
    expect(log.lines.join('\n')).toContain('restart key file not used');

    writeFileSync(vault.miningKeysPath, '{"format":"something else"}');
    const damaged = makeVault(data.path, home.path, { log });
    expect(damaged.resumeMining()).toBe(false);
    expect(damaged.status().state).toBe('locked');
    await damaged.unlock(PW); // the password still works; nothing was lost
    expect(damaged.canWork()).toBe(true);
  });

  it('encode/decode round-trips the keys and refuses files it did not write', () => {
    const pair = { scheme: 'sr25519' as const, publicKey: new Uint8Array(32).fill(1), secretKey: new Uint8Array(64).fill(2) };
    const text = encodeMiningKeys({ pairs: new Map([['hotkey', pair]]), identities: [] }, new Date(0));
    const back = decodeMiningKeys(text);
    expect(back.protection).toBe('none');
    expect(back.pairs.get('hotkey')?.secretKey).toEqual(pair.secretKey);
    const withColdkey = JSON.parse(text) as { keys: { role: string }[] };
    withColdkey.keys[0]!.role = 'coldkey';
    expect(() => decodeMiningKeys(JSON.stringify(withColdkey))).toThrow(/not a mining-keys file/u);
  });
});
