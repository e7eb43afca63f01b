#!/usr/bin/env node
// Builds everything the app runs from:
//   dist/node/cli.cjs            `minerva` (CLI, headless host, practice network)
//   dist/node/electron-main.cjs  Electron main process
//   dist/node/preload.cjs        Electron preload (sandboxed: one file, only `electron` external)
//   dist/node/hash-worker.cjs    the checkpoint hasher's worker thread (beside cli and electron-main,
//                                which find it next to themselves: core/checkpoints/hash-file.ts)
//   dist/renderer/               the UI (Vite + React), served by both hosts
// Flags: --node (Node bundles only), --renderer (UI only), --if-stale (skip when dist is newer
// than every source file).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const onlyNode = args.has('--node');
const onlyRenderer = args.has('--renderer');
const stamp = join(root, 'dist', '.build-stamp');

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

if (args.has('--if-stale') && existsSync(stamp)) {
  const sources = Math.max(
    ...['src-main', 'src-shared', 'src-renderer', 'resources'].map((d) => newestMtime(join(root, d))),
    statSync(join(root, 'package.json')).mtimeMs,
  );
  if (statSync(stamp).mtimeMs >= sources) process.exit(0);
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Native modules and packages with optional native parts stay in node_modules.
const external = ['electron', 'better-sqlite3', 'dockerode', 'ssh2', 'cpu-features', 'bufferutil', 'utf-8-validate'];
const alias = {
  '@shared': join(root, 'src-shared'),
  '@common': join(root, 'src-main/common'),
  '@core': join(root, 'src-main/core'),
  '@headless': join(root, 'src-main/headless'),
  '@devnet': join(root, 'src-main/devnet'),
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  outExtension: { '.js': '.cjs' },
  alias,
  external,
  // Bundled ESM packages may read import.meta.url; give them the bundle's own URL.
  define: { 'import.meta.url': 'importMetaUrl', __MINERVA_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

const started = Date.now();
if (!onlyRenderer) {
  await Promise.all([
    build({ ...common, entryPoints: { cli: 'src-main/cli/main.ts', 'hash-worker': 'src-main/core/checkpoints/hash-worker.cjs' }, outdir: 'dist/node', absWorkingDir: root }),
    build({ ...common, entryPoints: { 'electron-main': 'src-main/electron/main.ts' }, outdir: 'dist/node', absWorkingDir: root }),
    build({ ...common, entryPoints: { preload: 'src-main/preload/preload.ts' }, outdir: 'dist/node', absWorkingDir: root, external: ['electron'], define: { __MINERVA_VERSION__: JSON.stringify(pkg.version) }, banner: {}, outExtension: { '.js': '.cjs' } }),
  ]);
}
if (!onlyNode) {
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}
mkdirSync(join(root, 'dist'), { recursive: true });
if (!onlyNode && !onlyRenderer) writeFileSync(stamp, new Date().toISOString());
console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
