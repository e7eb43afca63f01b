import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnetProcess, type DevnetProcess } from '../../helpers/devnet-process';
import { CLI, tempDataDir } from '../../helpers/serve-process';
import { trainedCheckpoint } from '../../helpers/trained-checkpoint';

/**
 * `minerva checkpoint submit` and `verify-receipt`, spawned for real, against a practice network
 * started with `minerva devnet start` in another process.
 */
const PASSWORD = 'correct horse battery staple 42';
let dataDir: string;
let devnet: DevnetProcess | undefined;

function run(args: string[], timeout = 180_000) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout, env: { ...process.env, MINERVA_PASSWORD: PASSWORD } });
}

beforeAll(async () => {
  dataDir = tempDataDir('minerva-ckpt-cli-');
  // Every party (the coordinator starts last): the CLI attaches only to a whole, healthy practice
  // network and starts whatever is missing itself — a second coordinator on the same data folder.
  devnet = await startDevnetProcess(['--data-dir', dataDir, '--block-ms', '200']);
});

afterAll(async () => {
  await devnet?.stop();
});

describe('minerva checkpoint', () => {
  it('submits a checkpoint from the terminal, writes a receipt that verifies, and a tampered receipt does not', () => {
    const created = run(['wallet', 'create', '--data-dir', dataDir]);
    expect(created.status, created.stderr).toBe(0);
    // Outside the data folder: Minerva never publishes files from inside it (publishable.ts).
    const file = join(tempDataDir('minerva-ckpt-files-'), 'model.ckpt');
    writeFileSync(file, trainedCheckpoint());
    const receiptFile = join(dataDir, 'receipt.json');

    // The first publish to a network needs a yes: without a terminal to ask on, nothing is
    // published, and the command shows what would be and how to agree.
    const asked = run(['checkpoint', 'submit', file, '--competition', 'practice-checkpoint', '--data-dir', dataDir]);
    expect(asked.status, asked.stderr).toBe(1);
    expect(asked.stderr).toContain(`sha256  ${createHash('sha256').update(readFileSync(file)).digest('hex')}`);
    expect(asked.stderr).toMatch(/file +model\.ckpt\n +size +\d+ bytes/);
    expect(asked.stderr).toMatch(/Nothing was published\. Run this in a terminal to be asked, or pass --yes/);

    const submitted = run(['checkpoint', 'submit', file, '--yes', '--competition', 'practice-checkpoint', '--data-dir', dataDir, '--receipt', receiptFile, '--json']);
    expect(submitted.status, submitted.stderr).toBe(0);
    const final = JSON.parse(submitted.stdout) as { state: string; verdict: { words: string } };
    expect(final.state).toBe('accepted');
    expect(final.verdict.words).toMatch(/^Accepted: held-out loss/);

    const verified = run(['checkpoint', 'verify-receipt', receiptFile, '--data-dir', dataDir, '--json']);
    expect(verified.status, verified.stderr).toBe(0);
    const result = JSON.parse(verified.stdout) as { valid: boolean; checks: { name: string; ok: boolean }[] };
    expect(result.valid).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual(['commitment', 'signature', 'timing', 'url']);

    const receipt = JSON.parse(readFileSync(receiptFile, 'utf8')) as { file: { sha256: string }; message: { block_number: number } };
    receipt.file.sha256 = receipt.file.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    writeFileSync(receiptFile, JSON.stringify(receipt));
    const tampered = run(['checkpoint', 'verify-receipt', receiptFile, '--data-dir', dataDir, '--json']);
    expect(tampered.status).toBe(1);
    const bad = JSON.parse(tampered.stdout) as { valid: boolean; checks: { name: string; ok: boolean }[] };
    expect(bad.valid).toBe(false);
    expect(bad.checks.find((c) => c.name === 'commitment')?.ok).toBe(false);
  });
});
