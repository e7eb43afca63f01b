#!/usr/bin/env node
'use strict';
// The `minerva` command: runs the bundled CLI. Build it first with `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const bundle = join(__dirname, '..', 'dist', 'node', 'cli.cjs');
if (!existsSync(bundle)) {
  process.stderr.write('minerva: the app is not built yet. Run `npm run build` in the project folder, then try again.\n');
  process.exit(1);
}
// The bundle is minified: stack traces name positions in cli.cjs, which `node scripts/symbolicate.mjs`
// maps back to TypeScript files and lines (docs/release.md). MINERVA_SOURCE_MAPS=1 maps them live
// instead, at a cost on every start: Node reads the 17 MB map, and the code cache is skipped (code
// compiled through node:vm gets no source map).
const liveMaps = process.env.MINERVA_SOURCE_MAPS === '1' && existsSync(`${bundle}.map`);
if (liveMaps) process.setSourceMapsEnabled(true);
(liveMaps ? require(bundle) : require('./code-cache.cjs').loadWithCodeCache(bundle))
  .runCli(process.argv.slice(2))
  .catch((error) => {
    process.stderr.write(`minerva: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
