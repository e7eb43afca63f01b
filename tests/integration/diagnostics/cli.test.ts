/**
 * `minerva diagnostics --out FILE`, spawned for real: beside a running `minerva serve` (through its
 * control endpoint) and with no app running (the command opens the data folder itself). The zip
 * is private to the user, and an existing file is never overwritten.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';

let serve: ServeHandle | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

function run(args: string[]) {
  return spawnSync(process.execPath, [CLI, 'diagnostics', ...args], { encoding: 'utf8', timeout: 60_000 });
}

function names(file: string): string[] {
  return Object.keys(unzipSync(readFileSync(file))).sort();
}

describe('minerva diagnostics', () => {
  it('writes the zip through a running app, then from the folder, and never over an existing file', async () => {
    const dataDir = tempDataDir('minerva-diag-cli-');
    serve = await startServe({ dataDir, args: ['--demo-ms', '0'] });
    const out = join(tempDataDir('minerva-diag-out-'), 'support.zip');

    const viaApp = run(['--data-dir', dataDir, '--out', out, '--json']);
    expect(viaApp.status, viaApp.stderr).toBe(0);
    const reply = JSON.parse(viaApp.stdout) as { path: string; bytes: number; files: { name: string }[]; zipBase64?: string };
    expect(reply.path).toBe(out);
    expect(reply.zipBase64).toBeUndefined();
    expect(statSync(out).size).toBe(reply.bytes);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(names(out)).toEqual(['README.txt', 'activity.json', 'engine.json', 'health.json', 'logs/minerva.log', 'settings.json', 'versions.json']);
    const versions = JSON.parse(strFromU8(unzipSync(readFileSync(out))['versions.json']!)) as { app: { host: string } };
    expect(versions.app.host).toBe('headless');

    // The file exists now: refused in words, and left as it was.
    const again = run(['--data-dir', dataDir, '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(statSync(out).size).toBe(reply.bytes);

    await serve.stop();
    serve = undefined;
    const out2 = join(tempDataDir('minerva-diag-out-'), 'offline.zip');
    const offline = run(['--data-dir', dataDir, '--out', out2]);
    expect(offline.status, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('no app is running');
    expect(names(out2)).toContain('logs/minerva.log');
    // The serve run's log lines are in it (the folder's own log, redacted again).
    expect(strFromU8(unzipSync(readFileSync(out2))['logs/minerva.log']!)).toContain('core started');
  });

  it('says what to do when the folder for the zip does not exist', () => {
    const dataDir = tempDataDir('minerva-diag-cli-');
    const result = run(['--data-dir', dataDir, '--out', join(dataDir, 'no-such-folder', 'x.zip')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Could not write .*x\.zip \(ENOENT\)\. Check that its folder exists/);
  });
});
