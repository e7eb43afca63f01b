/**
 * `minerva devnet router secret-gen|rotate|verify|retire`: the built CLI spawned on a temp data
 * dir (the operator functions themselves are tested in rotation.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..', '..');
let dataDir: string;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; json: Record<string, unknown>; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/minerva.cjs', 'devnet', 'router', ...args, '--data-dir', dataDir, '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    // Results are on stdout; errors ({"error":…}) on stderr.
    const document = (code: number | null) => (code === 0 ? (stdout.trim().split('\n')[0] ?? '{}') : (stderr.trim().split('\n').at(-1) ?? '{}'));
    child.on('close', (code) => resolve({ code, stdout, stderr, json: JSON.parse(document(code)) as Record<string, unknown> }));
  });
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-router-cli-'));
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('minerva devnet router', () => {
  it('secret-gen, rotate --dry-run, rotate, verify, retire', async () => {
    const envFile = join(dataDir, 'devnet', 'router', 'router.env');
    const gen = await run(['secret-gen']);
    expect(gen.code).toBe(0);
    expect(gen.json).toEqual({ file: envFile, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) as string });
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const seed = /ENCRYPTION_SEED=([0-9a-f]{64})/.exec(readFileSync(envFile, 'utf8'))![1]!;
    expect(gen.stdout + gen.stderr).not.toContain(seed);

    const prod = await run(['secret-gen', '--force', '--show-seed'], { NODE_ENV: 'production' });
    expect(prod.code).toBe(1);
    expect(prod.json).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(readFileSync(envFile, 'utf8')).toContain(seed);

    const before = readFileSync(envFile, 'utf8');
    const dry = await run(['rotate', '--dry-run']);
    expect(dry.json).toMatchObject({ dryRun: true, fromVersion: 'v1', toVersion: 'v2', rotated: 0 });
    expect(readFileSync(envFile, 'utf8')).toBe(before);

    expect((await run(['rotate'])).json).toMatchObject({ dryRun: false, toVersion: 'v2', resumed: false });
    expect(readFileSync(envFile, 'utf8')).toContain(`ENCRYPTION_LEGACY_SEEDS=v1:${seed}`);
    expect((await run(['verify', '--sample', '5'])).json).toMatchObject({ activeVersion: 'v2', checked: 0 });
    const wrong = await run(['retire', 'v2']);
    expect([wrong.code, (wrong.json.error as { code: string }).code]).toEqual([1, 'CONFLICT']);
    expect((await run(['retire', 'v1'])).json).toEqual({ retired: 'v1' });
    expect(readFileSync(envFile, 'utf8')).not.toContain(seed);
  });
});
