#!/usr/bin/env node
// Builds everything the app runs from — the production build, which is also what every test runs:
//   dist/node/cli.cjs            the core, once: `minerva` (CLI, headless host, practice network)
//                                and, loaded lazily by startElectron(), the Electron main process
//   dist/node/electron-main.cjs  Electron's entry: a stub that starts the main process from cli.cjs
//   dist/node/preload.cjs        Electron preload (sandboxed: one file, only `electron` external)
//   dist/node/hash-worker.cjs    the checkpoint hasher's worker and reader threads (beside cli.cjs, which finds
//                                it next to itself: core/checkpoints/hash-file.ts)
//   dist/node/pow-worker.mjs     Bittensor's PoW registration solver (worker thread, same rule:
//                                core/network/bittensor/pow.ts)
//   dist/renderer/               the UI (Vite + React), served by both hosts
// Bundles are minified (names kept: error classes and stack frames keep their names) with source
// maps beside them (`*.map`); electron.config.ts leaves the maps out of the installers, and the
// release workflow keeps them as a build artifact for symbolicating crash reports (docs/release.md).
// Why one bundle for both hosts: esbuild shares chunks between entry points only for ESM output
// (`splitting`), and the main process, its utility process and `bin/minerva.cjs` load CommonJS.
// Two bundles were two copies of the same core (6 + 7.3 MB unminified); one holds it once.
// Flags: --node (Node bundles only), --renderer (UI only), --if-stale (skip when dist is newer
// than every source file), --no-minify (readable bundles, for stepping through in a debugger).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
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
const releaseFieldsModule = createRequire(import.meta.url)('../build/release-fields.cjs');
const release = releaseFieldsModule.releaseFields(pkg);
// A release build (MINERVA_RELEASE=1) bakes the feed and the release key into the app: it stops
// here, before building, while package.json's "minervaRelease" lacks them (docs/release.md).
const missing = releaseFieldsModule.releaseFieldProblems(pkg, process.env);
if (missing.length > 0) {
  process.stderr.write(`Not a release build:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);
  process.exit(1);
}
// Native modules and packages with optional native parts stay in node_modules.
const external = ['electron', 'better-sqlite3', 'dockerode', 'ssh2', 'cpu-features', 'bufferutil', 'utf-8-validate'];
const alias = {
  '@shared': join(root, 'src-shared'),
  '@common': join(root, 'src-main/common'),
  '@core': join(root, 'src-main/core'),
  '@headless': join(root, 'src-main/headless'),
  '@devnet': join(root, 'src-main/devnet'),
};
const minify = !args.has('--no-minify');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify,
  keepNames: true,
  logLevel: 'warning',
  outExtension: { '.js': '.cjs' },
  alias,
  external,
  // Bundled ESM packages may read import.meta.url; give them the bundle's own URL.
  define: {
    'import.meta.url': 'importMetaUrl',
    __MINERVA_VERSION__: JSON.stringify(pkg.version),
    // package.json "minervaRelease" (build/release-fields.cjs): null until a release fills them.
    __MINERVA_RELEASE_PUBLIC_KEY__: JSON.stringify(release.updatePublicKey),
    __MINERVA_UPDATE_FEED_URL__: JSON.stringify(release.updateFeedUrl),
  },
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

// @polkadot/util-crypto starts its WebAssembly when imported (~150 ms of CPU before serve could
// listen); in the core bundle @polkadot/wasm-crypto gets src-main/common/wasm-crypto.ts instead of
// its init module, which loads the real one when startWasmCrypto() asks (that file says why the
// results are the same). Only that one import is redirected; the shim's own import gets the real
// package, the copy @polkadot/wasm-crypto depends on.
const wasmCryptoShim = join(root, 'src-main', 'common', 'wasm-crypto.ts');
const deferWasmCrypto = {
  name: 'defer-polkadot-wasm-crypto',
  setup(b) {
    b.onResolve({ filter: /^@polkadot\/wasm-crypto-init$/ }, async (args) => {
      if (args.importer === wasmCryptoShim) {
        const wasmCrypto = dirname(fileURLToPath(import.meta.resolve('@polkadot/wasm-crypto')));
        const real = await b.resolve(args.path, { kind: args.kind, resolveDir: wasmCrypto });
        return { path: real.path, external: real.external, sideEffects: real.sideEffects };
      }
      if (!/[\\/]@polkadot[\\/]wasm-crypto[\\/]/.test(args.importer)) throw new Error(`build: unexpected importer of @polkadot/wasm-crypto-init: ${args.importer}`);
      return { path: wasmCryptoShim };
    });
  },
};

// Packages whose top level costs serve's start CPU time while nothing at start calls them (README
// "Performance": startup; ~40 ms for keyring + util-crypto, ~30 ms for gRPC + protobufjs, ~10 ms
// fflate, on the CI machine): in the core bundle, an import of one of them from our own sources
// gets a stand-in whose exports are getters; the first read of any export require()s the real
// module (esbuild's lazy initializer), synchronously, so a synchronous first use (the vault's
// unlock, a signature check) gets the real function with no await and no race. The real module
// is the file an ESM import resolves to, so other packages' imports of it (@polkadot/api's,
// keyring's of util-crypto) share that one copy. Run from source (tests, `tsx`) nothing changes.
// The stand-in's export names are the package's own (read here, at build time), so a name the
// package has is always there; TypeScript checks that our imports use such names.
const requireFromRoot = createRequire(join(root, 'package.json'));
const deferredPackages = ['@polkadot/keyring', '@polkadot/keyring/pair/decode', '@polkadot/util-crypto', '@polkadot/util', '@grpc/grpc-js', '@grpc/proto-loader', 'fflate'];
const sourceDirs = ['src-main', 'src-shared'].map((d) => join(root, d));
const deferOnFirstUse = {
  name: 'defer-on-first-use',
  setup(b) {
    const filter = new RegExp(`^(${deferredPackages.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, async (args) => {
      if (!sourceDirs.some((d) => args.importer.startsWith(d)) || args.kind !== 'import-statement') return undefined;
      const real = await b.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: args.path, namespace: 'deferred', pluginData: { real: real.path } };
    });
    b.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => {
      const names = Object.keys(requireFromRoot(args.path)).filter((n) => n !== '__esModule');
      const getters = names.map((n) => `  ${JSON.stringify(n)}: { enumerable: true, get: () => load()[${JSON.stringify(n)}] },`);
      return {
        contents: [
          `// ${args.path}, loaded when one of its exports is first read (scripts/build.mjs).`,
          'let real;',
          `const load = () => (real ??= require(${JSON.stringify(args.pluginData.real)}));`,
          "Object.defineProperty(exports, '__esModule', { value: true });",
          'Object.defineProperties(exports, {',
          ...getters,
          '});',
        ].join('\n'),
        loader: 'js',
        resolveDir: dirname(args.pluginData.real),
      };
    });
  },
};

const started = Date.now();
// The one core bundle: the CLI's exports, plus the Electron main process behind a require() that
// esbuild turns into a lazy initializer, so `minerva` never evaluates the Electron-only modules.
const coreEntry = {
  contents: [
    "export * from './src-main/cli/main.ts';",
    "export function startElectron() { require('./src-main/electron/main.ts'); }",
  ].join('\n'),
  resolveDir: root,
  sourcefile: 'scripts/build.mjs#core-entry',
  loader: 'ts',
};
// Electron's entry (package.json "main"). Stack traces name cli.cjs positions (scripts/symbolicate.mjs
// maps them back); MINERVA_SOURCE_MAPS=1 maps them live where the maps are (a checkout).
const electronStub = `'use strict';
// Generated by scripts/build.mjs: the Electron main process lives in cli.cjs (one copy of the core).
if (process.env.MINERVA_SOURCE_MAPS === '1') process.setSourceMapsEnabled(true);
require('./cli.cjs').startElectron();
`;

if (!onlyRenderer) {
  rmSync(join(root, 'dist', 'node'), { recursive: true, force: true });
  await Promise.all([
    build({ ...common, stdin: coreEntry, outfile: 'dist/node/cli.cjs', absWorkingDir: root, plugins: [deferWasmCrypto, deferOnFirstUse] }),
    build({ ...common, entryPoints: { 'hash-worker': 'src-main/core/checkpoints/hash-worker.cjs' }, outdir: 'dist/node', absWorkingDir: root }),
    // An ES module (its hash library is ESM-only): same name from source and in dist/node/.
    build({ ...common, format: 'esm', entryPoints: { 'pow-worker': 'src-main/core/network/bittensor/pow-worker.mjs' }, outdir: 'dist/node', absWorkingDir: root, outExtension: { '.js': '.mjs' }, define: {}, banner: {} }),
    build({ ...common, entryPoints: { preload: 'src-main/preload/preload.ts' }, outdir: 'dist/node', absWorkingDir: root, external: ['electron'], define: { __MINERVA_VERSION__: JSON.stringify(pkg.version) }, banner: {}, outExtension: { '.js': '.cjs' } }),
  ]);
  writeFileSync(join(root, 'dist', 'node', 'electron-main.cjs'), electronStub);
}
if (!onlyNode) {
  // Always React's production build: run from Vitest's global setup, NODE_ENV is 'test', and Vite
  // would otherwise bundle React's development build (0.79 MB instead of 0.49 MB, and slower).
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}
mkdirSync(join(root, 'dist'), { recursive: true });
if (!onlyNode && !onlyRenderer) writeFileSync(stamp, new Date().toISOString());
console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
