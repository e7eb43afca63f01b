import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFiles, secretForms, TEST_JUNK } from '../../unit/vault/helpers';

const root = resolve(__dirname, '..', '..', '..');
const PW = 'orbit-lantern-walnut-cascade';
const NEW_PW = 'second-meadow-granite-harbor';
let work: string;
let home: string;

function minerva(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const res = spawnSync(process.execPath, [join(root, 'bin', 'minerva.cjs'), 'wallet', ...args], {
    cwd: work,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: home, ...opts.env },
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

beforeAll(() => {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--node'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  work = mkdtempSync(join(tmpdir(), 'minerva-cli-vault-'));
  home = mkdtempSync(join(tmpdir(), 'minerva-cli-home-'));
  writeFileSync(join(work, 'pw'), `${PW}\n`, { mode: 0o600 });
  writeFileSync(join(work, 'newpw'), `${NEW_PW}\n`, { mode: 0o600 });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe('minerva wallet, end to end', () => {
  it('create → show → rotate-hotkey → change-password → export-backup → lock-status, secrets only where asked', () => {
    const dataDir = join(work, 'data-a');
    const created = minerva(['create', '--data-dir', dataDir, '--password-file', 'pw', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const mnemonic = json(created.stdout).mnemonic as string;
    expect(mnemonic.split(' ')).toHaveLength(12);

    const show = minerva(['show', '--json', '--password-file', 'pw'], { env: { MINERVA_DATA_DIR: dataDir } });
    expect(show.code, show.stderr).toBe(0);
    const shown = json(show.stdout) as { identities: { role: string; scheme: string; address: string }[]; warnings: { id: string }[] };
    expect(shown.identities.map((i) => `${i.role}:${i.scheme}`)).toEqual([
      'coldkey:sr25519',
      'hotkey:sr25519',
      'checkpoint-signer:ed25519',
      'runner-wallet:ed25519',
      'smp-hotkey:ed25519',
      'eoa:secp256k1',
    ]);
    expect(shown.warnings.map((w) => w.id)).toContain('mnemonic-unconfirmed');
    const oldHotkey = shown.identities.find((i) => i.role === 'hotkey')?.address;

    const rotated = minerva(['rotate-hotkey', '--data-dir', dataDir, '--password-file', 'pw', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(json(rotated.stdout)).toMatchObject({ role: 'hotkey', retired: { address: oldHotkey, index: 0 }, current: { index: 1 } });

    const wrong = minerva(['show', '--data-dir', dataDir, '--json'], { env: { MINERVA_PASSWORD: 'not-the-password' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(json(wrong.stderr.trim().split('\n').at(-1) ?? '')).toMatchObject({ error: { code: 'AUTH_FAILED' } });
    expect(wrong.stderr).toMatch(/MINERVA_PASSWORD.*unsafe/);

    const changed = minerva(['change-password', '--data-dir', dataDir, '--password-file', 'pw', '--new-password-file', 'newpw', '--json']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(minerva(['show', '--data-dir', dataDir, '--password-file', 'pw', '--json']).code).toBe(1);

    const backup = join(work, 'backup.json');
    const exported = minerva(['export-backup', '--data-dir', dataDir, '--password-file', 'newpw', '--out', backup, '--json']);
    expect(exported.code, exported.stderr).toBe(0);

    const pjPath = join(work, 'hotkey.json');
    const pj = minerva(['export-polkadot-json', '--data-dir', dataDir, '--password-file', 'newpw', '--export-password-file', 'pw', '--out', pjPath, '--json']);
    expect(pj.code, pj.stderr).toBe(0);
    const exportedPair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromJson(JSON.parse(readFileSync(pjPath, 'utf8')) as never);
    exportedPair.decodePkcs8(PW);
    expect(exportedPair.address).toBe((json(rotated.stdout) as { current: { address: string } }).current.address);

    const status = minerva(['lock-status', '--data-dir', dataDir, '--json']);
    expect(json(status.stdout)).toMatchObject({ state: 'locked', backupAvailable: true });

    // the phrase appears only in the create output the user asked for: never in other output or any file of the data folder
    const needles = [mnemonic, PW, NEW_PW].flatMap((s) => secretForms(s));
    for (const out of [show.stdout, show.stderr, rotated.stdout, changed.stdout, exported.stdout, pj.stdout, status.stdout]) {
      for (const needle of needles) expect(out.includes(needle)).toBe(false);
    }
    const files = allFiles(dataDir);
    expect(files.some((f) => f.path.endsWith('minerva.log'))).toBe(true);
    for (const f of files) for (const needle of needles) expect(f.bytes.toString('latin1').includes(needle), f.path).toBe(false);
    // the first two words together would also betray the phrase in a log line
    const pair = mnemonic.split(' ').slice(0, 2).join(' ');
    for (const f of files) expect(f.bytes.toString('latin1').includes(pair)).toBe(false);
  });

  it('import --mnemonic-file - reads stdin and gives the §1 EOA; key files add to an existing wallet', () => {
    const dataDir = join(work, 'data-b');
    const imported = minerva(['import', '--data-dir', dataDir, '--mnemonic-file', '-', '--json'], { input: `${TEST_JUNK}\n`, env: { MINERVA_PASSWORD: PW } });
    expect(imported.code, imported.stderr).toBe(0);
    const ids = (json(imported.stdout) as { identities: { role: string; address: string }[] }).identities;
    expect(ids.find((i) => i.role === 'eoa')?.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(imported.stdout.includes('test test test')).toBe(false);

    const solana = join(work, 'solana.json');
    writeFileSync(solana, JSON.stringify(Array.from({ length: 64 }, () => 1)));
    const badSolana = minerva(['import', '--data-dir', dataDir, '--password-file', 'pw', '--solana-keypair', solana, '--json']);
    expect(badSolana.code).toBe(1);
    expect(json(badSolana.stderr)).toMatchObject({ error: { code: 'IMPORT_FAILED' } });

    const added = minerva(['import', '--data-dir', dataDir, '--password-file', 'pw', '--watch-only', '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const after = (json(added.stdout) as { identities: { role: string; address: string; active: boolean; watchOnly: boolean }[] }).identities;
    expect(after.find((i) => i.role === 'coldkey' && i.active)).toMatchObject({ watchOnly: true, address: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' });

    const none = minerva(['import', '--data-dir', join(work, 'data-c'), '--json'], { env: { MINERVA_PASSWORD: PW } });
    // No source is a usage error (exit 2).
    expect(none.code).toBe(2);
    expect(json(none.stderr)).toMatchObject({ error: { code: 'VALIDATION' } });
  });

  it('a weak new password is refused (WEAK_PASSWORD, exit 1) unless --accept-weak-password, and then the critical warning stands', () => {
    const dataDir = join(work, 'data-weak');
    const refused = minerva(['create', '--data-dir', dataDir, '--json'], { env: { MINERVA_PASSWORD: 'password123' } });
    expect(refused.code).toBe(1);
    // The last line of stderr is the JSON error (a line before it warns about MINERVA_PASSWORD).
    const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';
    const error = json(lastLine(refused.stderr)).error as { code: string; message: string };
    expect(error.code).toBe('WEAK_PASSWORD');
    expect(error.message).toContain('--accept-weak-password');
    expect(error.message).not.toContain('password123');
    expect(existsSync(join(dataDir, 'vault.json'))).toBe(false);

    const accepted = minerva(['create', '--data-dir', dataDir, '--accept-weak-password', '--json'], { env: { MINERVA_PASSWORD: 'password123' } });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect((json(accepted.stdout).warnings as { id: string }[]).map((w) => w.id)).toContain('weak-password');

    const weakChange = minerva(['change-password', '--data-dir', dataDir, '--json'], { env: { MINERVA_PASSWORD: 'password123', MINERVA_NEW_PASSWORD: 'qwertyuiop' } });
    expect(json(lastLine(weakChange.stderr))).toMatchObject({ error: { code: 'WEAK_PASSWORD' } });
    const strong = minerva(['change-password', '--data-dir', dataDir, '--new-password-file', 'newpw', '--json'], { env: { MINERVA_PASSWORD: 'password123' } });
    expect(strong.code, strong.stderr).toBe(0);
    expect(json(strong.stdout)).toMatchObject({ changed: true, weakPassword: false });
  });

  it('refuses while a Minerva without a control endpoint holds the data folder (it would overwrite the change)', () => {
    const dataDir = join(work, 'data-locked');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'minerva.lock'), JSON.stringify({ pid: process.pid, host: 'electron', startedAt: new Date().toISOString() }));
    const res = minerva(['create', '--data-dir', dataDir, '--password-file', 'pw', '--json']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(json(res.stderr)).toMatchObject({ error: { code: 'CONFLICT' } });
    expect(existsSync(join(dataDir, 'vault.json'))).toBe(false);
  });

  it('without a terminal and without a password source, it says how to give one', () => {
    const res = minerva(['show', '--data-dir', join(work, 'data-b')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--password-file/);
  });
});
