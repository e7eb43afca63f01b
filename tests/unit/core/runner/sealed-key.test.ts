/**
 * The runner's TLS key is sealed by the vault with a key derived from the runner wallet: it opens
 * again after a lock/unlock and on a wallet restored from the same phrase, never with another
 * wallet, another label or one changed byte, and never while the wallet is locked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { errorCode, makeVault, tempDir, TEST_JUNK } from '../../vault/helpers';

const PASSWORD = 'correct horse battery staple 42';
const dirs: { cleanup: () => void }[] = [];
const temp = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d.path;
};
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

describe('vault-sealed runner data', () => {
  it('round-trips, survives lock/unlock and a restore from the phrase, refuses what is not its own', async () => {
    const home = temp('home');
    const a = makeVault(temp('a'), home);
    await a.importNew({ password: PASSWORD, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    const secret = new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n');
    const sealed = a.sealWithRunnerWallet('runner-tls-key:practice:c', secret);
    expect(Buffer.from(sealed.subarray(0, 4)).toString()).toBe('MVD1');
    expect(Buffer.from(sealed).toString('latin1')).not.toContain('PRIVATE KEY');
    expect(new TextDecoder().decode(a.openWithRunnerWallet('runner-tls-key:practice:c', sealed))).toContain('not really');
    expect(await errorCode(() => a.openWithRunnerWallet('runner-tls-key:practice:other', sealed))).toBe('DECRYPT_FAILED');
    const changed = Uint8Array.from(sealed);
    changed[40] = changed[40]! ^ 1;
    expect(await errorCode(() => a.openWithRunnerWallet('runner-tls-key:practice:c', changed))).toBe('DECRYPT_FAILED');
    a.lock();
    expect(await errorCode(() => a.openWithRunnerWallet('runner-tls-key:practice:c', sealed))).toBe('VAULT_LOCKED');
    await a.unlock(PASSWORD);
    expect(a.openWithRunnerWallet('runner-tls-key:practice:c', sealed)).toEqual(secret);

    const restored = makeVault(temp('b'), home);
    await restored.importNew({ password: PASSWORD, source: { kind: 'mnemonic', phrase: TEST_JUNK } });
    expect(restored.openWithRunnerWallet('runner-tls-key:practice:c', sealed)).toEqual(secret);
    const other = makeVault(temp('c'), home);
    await other.create({ password: PASSWORD });
    expect(await errorCode(() => other.openWithRunnerWallet('runner-tls-key:practice:c', sealed))).toBe('DECRYPT_FAILED');
    for (const v of [a, restored, other]) v.close();
  });
});
