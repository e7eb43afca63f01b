import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import { methods, type RpcReply } from '@shared/contract';
import { allFiles, secretForms, tempDir, TEST_JUNK } from '../../unit/vault/helpers';

/**
 * No secret crosses the contract: every vault method is called through the real router, every
 * other method with an empty input, and no output contains the phrase, seeds or private keys made
 * in this test — except `vault.revealMnemonic`, the one method allowed to return the phrase. The
 * log and database files hold none of them either.
 */
const PW = 'orbit-lantern-walnut-cascade';
const NEW_PW = 'second-meadow-granite-harbor';
const ETH_KEY = '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const SOLANA_SECRET = new Uint8Array(32).fill(0x5a);
const KDF = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 } as const;

let data: ReturnType<typeof tempDir>;
let home: ReturnType<typeof tempDir>;
let core: Core;
const replies: { method: string; reply: RpcReply }[] = [];

async function call(method: string, input: unknown): Promise<RpcReply> {
  const reply = await core.router.call(method, input, { transport: 'test', clientId: 'contract-test' });
  replies.push({ method, reply });
  return reply;
}

async function ok<T>(method: string, input: unknown): Promise<T> {
  const reply = await call(method, input);
  if (!reply.ok) throw new Error(`${method} failed: ${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
}

beforeAll(() => {
  data = tempDir('contract-data');
  home = tempDir('contract-home');
  core = createCore({ dataDir: data.path, host: 'headless', version: 'test', logConsole: false, homeDir: home.path });
  // tests use the smallest allowed KDF to stay fast; the default is measured by the benchmark
  (core.vault.service as unknown as { kdf: unknown }).kdf = KDF;
});
afterAll(async () => {
  await core.close();
  data.cleanup();
  home.cleanup();
});

describe('vault over the contract', () => {
  it('covers every vault method and leaks no secret in any output, log or database file', async () => {
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    const solanaJson = JSON.stringify([...SOLANA_SECRET, ...ed25519.getPublicKey(SOLANA_SECRET)]);
    const pushed: { event: string; payload: unknown }[] = [];
    const unsubscribe = core.events.onAny((m) => pushed.push(m));

    expect((await ok<{ status: { state: string } }>('vault.status', {})).status.state).toBe('missing');
    const unlockMissing = await call('vault.unlock', { password: PW });
    expect(unlockMissing).toMatchObject({ ok: false, error: { code: 'VAULT_MISSING' } });
    await ok('vault.import', { password: PW, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    const created = await ok<{ identities: { role: string; address: string }[] }>('vault.status', {});
    expect(created.identities.find((i) => i.role === 'eoa')?.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(await call('vault.create', { password: PW })).toMatchObject({ ok: false, error: { code: 'VAULT_EXISTS' } });

    await ok('vault.addKey', { source: { kind: 'ethereum-key', hex: ETH_KEY } });
    await ok('vault.addKey', { source: { kind: 'solana-keypair', json: solanaJson } });
    await ok('vault.touch', {});
    const quiz = await ok<{ positions: number[] }>('vault.startBackupQuiz', {});
    expect(quiz.positions).toHaveLength(3);
    await ok('vault.answerBackupQuiz', { answers: quiz.positions.map(() => 'test') });
    await ok('vault.rotateHotkey', { role: 'hotkey' });
    await ok('vault.rotateHotkey', { role: 'smp-hotkey' });
    // key material leaves the app: an unlocked wallet is not enough, the password is asked again
    const refused = await call('vault.exportPolkadotJson', { role: 'hotkey', password: 'not-the-password-0', exportPassword: 'export-pass-123' });
    expect(refused.ok ? null : refused.error.code).toBe('AUTH_FAILED');
    const missing = await call('vault.exportPolkadotJson', { role: 'hotkey', exportPassword: 'export-pass-123' });
    expect(missing.ok ? null : missing.error.code).toBe('VALIDATION');
    const pj = await ok<{ json: string }>('vault.exportPolkadotJson', { role: 'hotkey', password: PW, exportPassword: 'export-pass-123' });
    expect(JSON.parse(pj.json)).toMatchObject({ encoding: { content: ['pkcs8', 'sr25519'] } });
    const backup = await ok<{ content: string }>('vault.exportBackup', { password: PW });
    await ok('vault.changePassword', { oldPassword: PW, newPassword: NEW_PW });
    await ok('vault.fixPermissions', {});
    await ok('vault.rewriteFile', {}); // from the unlocked wallet; the file is there, so it is rewritten in place
    await ok('vault.btcliHotkeyFiles', {});
    const revealed = await ok<{ mnemonic: string }>('vault.revealMnemonic', { password: NEW_PW });
    expect(revealed.mnemonic).toBe(TEST_JUNK);
    await ok('vault.lock', {});
    expect(await call('vault.rotateHotkey', { role: 'hotkey' })).toMatchObject({ ok: false, error: { code: 'VAULT_LOCKED' } });
    expect(await call('vault.unlock', { password: PW })).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
    await ok('vault.unlock', { password: NEW_PW });
    await ok('vault.restoreBackup', { password: PW, content: backup.content });
    await ok('vault.lock', {});
    await ok('vault.unlock', { password: PW });

    // a wrong quiz answer and a btcli folder exercise the remaining paths
    const hotkeys = join(home.path, '.bittensor', 'wallets', 'w', 'hotkeys');
    mkdirSync(hotkeys, { recursive: true });
    writeFileSync(join(hotkeys, 'default'), JSON.stringify({ secretSeed: `0x${'33'.repeat(32)}`, publicKey: `0x${'00'.repeat(32)}` }));
    const btcli = await ok<{ paths: string[] }>('vault.btcliHotkeyFiles', {});
    expect(btcli.paths).toHaveLength(1);

    // auto-lock follows the settings: "never" raises the standing warning
    await ok('settings.update', { autoLockMinutes: 0 });
    const never = await ok<{ status: { autoLockMinutes: number }; warnings: { id: string }[] }>('vault.status', {});
    expect(never.status.autoLockMinutes).toBe(0);
    expect(never.warnings.map((w) => w.id)).toContain('auto-lock-off');
    await ok('settings.update', { autoLockMinutes: 15 });
    expect((await ok<{ warnings: { id: string }[] }>('vault.status', {})).warnings.map((w) => w.id)).not.toContain('auto-lock-off');

    // every method of the contract that takes an empty input, for good measure
    for (const name of Object.keys(methods)) {
      if (name.startsWith('vault.')) continue;
      await call(name, {});
    }
    unsubscribe();
    expect(pushed.map((m) => m.event)).toEqual(expect.arrayContaining(['vault.unlocked', 'vault.locked', 'vault.hotkeyRotated', 'vault.warningsChanged', 'vault.identitiesChanged']));


    // the secrets made in this test, in text, hex and base64 forms
    const internal = core.vault.service as unknown as { unlockedState: { pairs: Map<string, { secretKey: Uint8Array }> } };
    const keyBytes = [...internal.unlockedState.pairs.values()].map((p) => Uint8Array.from(p.secretKey.subarray(0, 32)));
    const { mnemonicToMiniSecret } = await import('@polkadot/util-crypto');
    const { mnemonicToSeedSync } = await import('@scure/bip39');
    const needles = [
      TEST_JUNK,
      PW,
      NEW_PW,
      ETH_KEY,
      SOLANA_SECRET,
      mnemonicToMiniSecret(TEST_JUNK),
      mnemonicToSeedSync(TEST_JUNK),
      ...keyBytes,
    ].flatMap((s) => secretForms(s));
    expect(keyBytes.length).toBeGreaterThanOrEqual(6);

    // last: drop the phrase from this machine (an imported phrase counts as backed up)
    const watch = await ok<{ identities: { role: string; active: boolean; watchOnly: boolean }[]; warnings: { id: string }[] }>('vault.makeWatchOnly', { password: PW });
    expect(watch.identities.find((i) => i.role === 'coldkey' && i.active)?.watchOnly).toBe(true);
    expect(watch.warnings.map((w) => w.id)).not.toContain('coldkey-on-machine');
    // the opt-in restart key file holds work keys by design (an imported EOA included), never the root
    await ok('vault.setResumeOnRestart', { enabled: true });
    const { mnemonicToMiniSecret: mini } = await import('@polkadot/util-crypto');
    const { mnemonicToSeedSync: seedOf } = await import('@scure/bip39');
    const keyFile = readFileSync(join(data.path, 'mining-keys.json')).toString('latin1');
    for (const root of [TEST_JUNK, PW, NEW_PW, Buffer.from(mini(TEST_JUNK)).toString('hex'), Buffer.from(seedOf(TEST_JUNK)).toString('hex')]) expect(keyFile.includes(root)).toBe(false);
    await ok('vault.setResumeOnRestart', { enabled: false });
    // the strength meter: a verdict on the typed password, never the password (scanned below like every reply)
    const strength = await ok<{ score: number; weak: boolean }>('vault.checkPassword', { password: NEW_PW });
    expect(strength.weak).toBe(false);
    expect((await ok<{ weak: boolean }>('vault.checkPassword', { password: 'password' })).weak).toBe(true);
    const calledVault = new Set(replies.map((r) => r.method).filter((m) => m.startsWith('vault.')));
    expect([...calledVault].sort()).toEqual(Object.keys(methods).filter((m) => m.startsWith('vault.')).sort());

    for (const { method, reply } of replies) {
      if (method === 'vault.revealMnemonic') continue;
      const text = JSON.stringify(reply);
      for (const needle of needles) expect(text.includes(needle), `${method} output holds a secret`).toBe(false);
    }
    for (const message of pushed) {
      const text = JSON.stringify(message);
      for (const needle of needles) expect(text.includes(needle), `event ${message.event} holds a secret`).toBe(false);
    }

    for (const file of allFiles(data.path)) {
      if (/vault\.json/.test(file.path)) continue; // encrypted
      const text = file.bytes.toString('latin1');
      for (const needle of needles) expect(text.includes(needle), `${file.path} holds a secret`).toBe(false);
    }
    expect(allFiles(data.path).some((f) => f.path.endsWith('minerva.db'))).toBe(true);
    expect(allFiles(data.path).some((f) => f.path.endsWith('minerva.log'))).toBe(true);
  });
});
