import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VaultEvent } from '@core/vault/vault.service';
import { errorCode, makeVault, tempDir } from './helpers';

/** Issue 19, part 3: deleting vault.json while the wallet is unlocked must not lose the keys. */
let data: ReturnType<typeof tempDir>;
let home: ReturnType<typeof tempDir>;
beforeEach(() => {
  data = tempDir('vault-missing-data');
  home = tempDir('vault-missing-home');
});
afterEach(() => {
  data.cleanup();
  home.cleanup();
});

const PW = 'orbit-lantern-walnut-cascade';

async function until(check: () => boolean, ms = 6000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the wallet file deleted while unlocked', () => {
  it('is noticed, keeps the keys, refuses to lock, and is written back with its backup', async () => {
    const vault = makeVault(data.path, home.path);
    const ids = await vault.create({ password: PW, words: 12 });
    const events: VaultEvent[] = [];
    vault.on((e) => events.push(e));
    rmSync(join(data.path, 'vault.json'));
    rmSync(join(data.path, 'vault.json.bak'), { force: true });

    await until(() => vault.warnings().some((w) => w.id === 'vault-file-missing'));
    const warning = vault.warnings().find((w) => w.id === 'vault-file-missing');
    expect(warning).toMatchObject({ severity: 'critical', fix: { action: 'rewrite-vault-file' } });
    expect(events.some((e) => e.type === 'warningsChanged')).toBe(true);
    expect(vault.isUnlocked()).toBe(true);
    expect(() => vault.signWithHotkey(new Uint8Array([1]))).not.toThrow();

    // Locking would lose the keys: a user lock is refused in words, an idle lock is postponed.
    expect(() => vault.lock('user')).toThrow(/deleted/);
    vault.lock('idle');
    expect(vault.isUnlocked()).toBe(true);

    await vault.rewriteFile();
    expect(existsSync(join(data.path, 'vault.json'))).toBe(true);
    expect(existsSync(join(data.path, 'vault.json.bak'))).toBe(true);
    expect(vault.warnings().some((w) => w.id === 'vault-file-missing')).toBe(false);

    // The file written back opens with the same password and holds the same keys.
    vault.lock('user');
    const again = await vault.unlock(PW);
    expect(again.map((i) => i.address)).toEqual(ids.map((i) => i.address));
    vault.close();
  });

  it('writing back needs an unlocked wallet', async () => {
    const vault = makeVault(data.path, home.path);
    await vault.create({ password: PW, words: 12 });
    vault.lock('user');
    expect(await errorCode(vault.rewriteFile())).toBe('VAULT_LOCKED');
    vault.close();
  });
});
