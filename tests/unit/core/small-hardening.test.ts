import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '@core/create-core';
import { resolveDataDir } from '@core/data-dir';
import { methods } from '@shared/contract';

/** The small items of issue 19 (part 5), each on real files and processes. */
const root = mkdtempSync(join(tmpdir(), 'minerva-small-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/minerva.cjs', ...args], { encoding: 'utf8', timeout: 20_000 });

describe('small hardening', () => {
  it('an empty --data-dir is refused instead of silently using the default folder', () => {
    expect(() => resolveDataDir({ flag: '', env: {} })).toThrow(/--data-dir is empty/);
    expect(() => resolveDataDir({ flag: '  ', env: {} })).toThrow(/--data-dir is empty/);
    expect(resolveDataDir({ flag: '/tmp/x', env: {} })).toBe('/tmp/x');
  });

  it('network names with control or direction-changing characters are refused', () => {
    const input = methods['networks.add'].input;
    const ok = { chainUrl: 'http://127.0.0.1:9944', hubUrl: 'http://127.0.0.1:9955' };
    expect(input.safeParse({ ...ok, name: 'My net' }).success).toBe(true);
    expect(input.safeParse({ ...ok, name: 'evil\u202Etxt.exe' }).success).toBe(false);
    expect(input.safeParse({ ...ok, name: 'nul\u0000name' }).success).toBe(false);
  });

  it('verify-receipt refuses a device, a folder and a huge file in words, and never reads forever', () => {
    const huge = join(root, 'huge.json');
    writeFileSync(huge, Buffer.alloc(2 * 1024 * 1024, 0x20));
    for (const [path, words] of [
      ['/dev/zero', /device or pipe/],
      [root, /is a folder/],
      [huge, /at most/],
    ] as const) {
      const res = cli('checkpoint', 'verify-receipt', path, '--chain', 'http://127.0.0.1:9');
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(words);
    }
    const notJson = join(root, 'receipt.txt');
    writeFileSync(notJson, 'hello');
    expect(cli('checkpoint', 'verify-receipt', notJson, '--chain', 'http://127.0.0.1:9').stderr).toMatch(/not a receipt/);
  }, 90_000); // spawns the CLI five times

  it('a data folder others can read is made private at start; stale throttle temp files are removed', async () => {
    const dir = join(root, 'loose');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const stale = join(dir, 'vault-attempts.json.tmp-999999999');
    writeFileSync(stale, '{}');
    const core = createCore({ dataDir: dir, host: 'headless', version: 'test', logConsole: false, homeDir: root, background: false });
    await core.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(existsSync(stale)).toBe(false);
  });
});
