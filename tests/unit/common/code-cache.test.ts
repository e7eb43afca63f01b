import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * bin/code-cache.cjs: how `minerva` loads its bundle with a V8 code cache (README "Performance").
 * Real child processes, a real bundle-shaped file: the cache is written when a process exits, used
 * by the next one, and never lets an edited bundle run stale code.
 */
const LOADER = join(process.cwd(), 'bin', 'code-cache.cjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function bundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'minerva-code-cache-'));
  dirs.push(dir);
  return dir;
}

/** Loads `file` through the loader in a fresh Node; prints its export and what V8 did with the cache. */
function load(file: string): { out: string; status: number | null } {
  const script = `
    const vm = require('node:vm');
    const seen = [];
    const Original = vm.Script;
    vm.Script = class extends Original { constructor(src, o) { super(src, o); seen.push(this); } };
    const m = require(${JSON.stringify(LOADER)}).loadWithCodeCache(${JSON.stringify(file)});
    const s = seen[0];
    console.log(JSON.stringify({ value: m.value(), dirname: m.dir, usedCache: s.cachedDataRejected === false, rejected: s.cachedDataRejected === true }));`;
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return { out: res.stdout.trim(), status: res.status };
}

describe('bin/code-cache.cjs', () => {
  it('writes the cache on exit, uses it next time, and the module behaves as if required', () => {
    const dir = bundleDir();
    const file = join(dir, 'cli.cjs');
    writeFileSync(file, "exports.value = () => 'first ' + require('node:path').basename(__filename); exports.dir = __dirname;\n");
    const first = load(file);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ value: 'first cli.cjs', dirname: dir, usedCache: false, rejected: false });
    expect(readdirSync(join(dir, '.code-cache'))).toHaveLength(1);
    expect(JSON.parse(load(file).out)).toMatchObject({ value: 'first cli.cjs', usedCache: true });
  });

  it('an edited bundle of the same size never runs the old code', () => {
    const dir = bundleDir();
    const file = join(dir, 'cli.cjs');
    writeFileSync(file, "exports.value = () => 'AAAA'; exports.dir = __dirname;\n");
    load(file);
    writeFileSync(file, "exports.value = () => 'BBBB'; exports.dir = __dirname;\n");
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const after = JSON.parse(load(file).out) as { value: string; usedCache: boolean };
    expect(after.value).toBe('BBBB');
    expect(after.usedCache).toBe(false);
    // The stale cache was replaced, not kept beside the new one.
    expect(readdirSync(join(dir, '.code-cache'))).toHaveLength(1);
  });

  it('a cache it cannot write only means no cache', () => {
    const dir = bundleDir();
    const file = join(dir, 'cli.cjs');
    writeFileSync(file, "exports.value = () => 'ok'; exports.dir = __dirname;\n");
    // A plain file where the cache folder would go: mkdir fails (as on a read-only install, even for root).
    writeFileSync(join(dir, '.code-cache'), '');
    for (let i = 0; i < 2; i += 1) {
      const res = load(file);
      expect(res.status).toBe(0);
      expect(JSON.parse(res.out)).toMatchObject({ value: 'ok', usedCache: false });
    }
  });
});
