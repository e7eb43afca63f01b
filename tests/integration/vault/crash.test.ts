import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVaultService } from '@core/vault/vault.service';
import { keyFor, parseVault } from '@core/vault/vault-file';

const KDF = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 } as const;
const OLD = 'first-password-granite';
const NEW = 'second-password-meadow';
const root = resolve(__dirname, '..', '..', '..');

let dataDir: string;
let homeDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-crash-data-'));
  homeDir = mkdtempSync(join(tmpdir(), 'minerva-crash-home-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(homeDir, { recursive: true, force: true });
});

/** Runs the child until it reports it is between write and rename, then SIGKILLs it. */
function killBetweenWriteAndRename(): Promise<{ tempPath: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'change-password-child.ts'), dataDir, homeDir, OLD, NEW], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.tests.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let tempPath = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (.+)\n/u.exec(out);
      if (match && !tempPath) {
        tempPath = match[1] as string;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (!tempPath) reject(new Error(`child ended before the hook: ${out} ${err}`));
      else resolveRun({ tempPath, signal });
    });
  });
}

describe('a crash during a password change loses nothing', () => {
  it('SIGKILL between the write and the rename leaves the old vault whole and openable', async () => {
    const vault = createVaultService({ dataDir, homeDir, kdf: KDF });
    const before = await vault.importNew({ password: OLD, source: { kind: 'mnemonic', phrase: 'test test test test test test test test test test test junk' } });
    await vault.rotate('hotkey');
    const identitiesBefore = vault.identities();
    vault.close();
    const liveBefore = readFileSync(join(dataDir, 'vault.json'), 'utf8');

    const { tempPath, signal } = await killBetweenWriteAndRename();
    expect(signal).toBe('SIGKILL');
    // the new generation was fully written (it opens with the new password) but never renamed
    expect(existsSync(tempPath)).toBe(true);
    const orphan = parseVault(readFileSync(tempPath, 'utf8'));
    expect((await keyFor(orphan, NEW)).master.length).toBe(32);
    expect(readFileSync(join(dataDir, 'vault.json'), 'utf8')).toBe(liveBefore);

    // restart: the leftover is cleaned up, the old password opens everything as it was
    const restarted = createVaultService({ dataDir, homeDir, kdf: KDF });
    expect(readdirSync(dataDir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(restarted.status().state).toBe('locked');
    await expect(restarted.unlock(NEW)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    const after = await restarted.unlock(OLD);
    expect(after).toEqual(identitiesBefore);
    expect(after.find((i) => i.role === 'eoa')?.address).toBe(before.find((i) => i.role === 'eoa')?.address);
    // and the change can simply be done again
    await restarted.changePassword({ oldPassword: OLD, newPassword: NEW });
    restarted.lock();
    await restarted.unlock(NEW);
    expect(restarted.identities()).toEqual(identitiesBefore);
    restarted.close();
  });
});
