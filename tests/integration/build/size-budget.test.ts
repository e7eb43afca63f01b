/**
 * The production build (dist/, built by global-setup with `scripts/build.mjs`, the same build the
 * installers pack) against the size budgets in README.md's "Build size" table, which this test
 * reads so the stated budget and the checked one cannot drift apart. Also: every bundle has its
 * source map beside it (crash symbolication) and none is packed; the Electron entry holds no second
 * copy of the core; and the bundle's run-time `require`s are exactly the production dependencies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../../electron.config';
import { packsFile, sizeOf } from '../../helpers/electron-builder';
import { REPO_ROOT } from '../../helpers/serve-process';

interface Budget {
  path: string;
  bytes: number;
}

const UNITS: Record<string, number> = { KB: 1_000, MB: 1_000_000 };

function readBudgets(): Budget[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const table = /<!-- size-budget:start -->([\s\S]*?)<!-- size-budget:end -->/.exec(readme)?.[1] ?? '';
  const budgets: Budget[] = [];
  for (const line of table.split('\n')) {
    const row = /^\|\s*`([^`]+)`\s*\|[^|]*\|\s*([\d.]+)\s*(KB|MB)\s*\|/.exec(line);
    if (row) budgets.push({ path: row[1]!, bytes: Number(row[2]) * UNITS[row[3]!]! });
  }
  return budgets;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

const rel = (path: string) => relative(REPO_ROOT, path).split('\\').join('/');

/** A file's size, or for a folder (`dist/renderer/`) the files electron-builder packs from it. */
function measure(path: string): number {
  if (!path.endsWith('/')) return sizeOf(join(REPO_ROOT, path));
  return filesUnder(join(REPO_ROOT, path))
    .filter((f) => packsFile(config, rel(f)))
    .reduce((sum, f) => sum + sizeOf(f), 0);
}

describe('production build size', () => {
  const budgets = readBudgets();

  it('README states a budget for the core bundle, the Electron entry, the UI and the whole packed app', () => {
    expect(budgets.map((b) => b.path).sort()).toEqual(['dist/', 'dist/node/cli.cjs', 'dist/node/electron-main.cjs', 'dist/renderer/']);
  });

  it.each(budgets.map((b) => [b.path, b] as const))('%s is within its budget', (_path, budget) => {
    const bytes = measure(budget.path);
    expect(bytes, `${budget.path} is missing from dist/`).toBeGreaterThan(0);
    expect(bytes, `${budget.path}: ${(bytes / 1e6).toFixed(2)} MB, budget ${(budget.bytes / 1e6).toFixed(3)} MB (README.md, "Build size")`).toBeLessThanOrEqual(budget.bytes);
  });

  it('keeps a source map beside every bundle, and packs none of them', () => {
    const files = filesUnder(join(REPO_ROOT, 'dist')).map(rel);
    const bundles = files.filter((f) => /\.[cm]?js$/.test(f) && f !== 'dist/node/electron-main.cjs');
    expect(bundles).toEqual(expect.arrayContaining(['dist/node/cli.cjs', 'dist/node/preload.cjs', 'dist/node/hash-worker.cjs']));
    for (const bundle of bundles) expect(files, `${bundle} has no source map`).toContain(`${bundle}.map`);
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.filter((m) => packsFile(config, m))).toEqual([]);
    expect(bundles.filter((b) => !packsFile(config, b))).toEqual([]);
  });

  it('ships minified bundles (what the tests ran is what installers pack)', () => {
    const cli = readFileSync(join(REPO_ROOT, 'dist/node/cli.cjs'), 'utf8');
    const lines = cli.split('\n').length;
    // Unminified, the core is ~200,000 lines; minified, a few thousand (template literals keep theirs).
    expect(lines).toBeLessThan(20_000);
  });

  it('starts Electron from the one core bundle instead of a second copy', () => {
    const entry = readFileSync(join(REPO_ROOT, 'dist/node/electron-main.cjs'), 'utf8');
    expect(entry).toContain("require('./cli.cjs').startElectron()");
  });

  it("requires at run time exactly the production dependencies (the rest is bundled, and not packed twice)", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const cli = readFileSync(join(REPO_ROOT, 'dist/node/cli.cjs'), 'utf8');
    const builtins = new Set(builtinModules);
    // Provided by the runtime, or optional and loaded inside a try (ws: bufferutil, utf-8-validate;
    // node-fetch: encoding) — absent, the library falls back.
    const notInstalled = new Set(['electron', 'bufferutil', 'utf-8-validate', 'encoding']);
    // `require("x")`, and `createRequire(importMetaUrl)("x")` where core loads a package on first use.
    const required = new Set([...cli.matchAll(/(?:\brequire|createRequire\)\(importMetaUrl\))\("([^"]+)"\)/g)].map((m) => m[1]!).filter((name) => !name.startsWith('node:') && !builtins.has(name) && !notInstalled.has(name) && !name.startsWith('.')));
    expect([...required].sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });
});
