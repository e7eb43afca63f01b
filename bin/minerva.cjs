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
// The bundle is minified: with its source map beside it (a checkout), stack traces in logs name the
// TypeScript file and line. An installed app ships no maps (docs/release.md: symbolicating).
if (existsSync(`${bundle}.map`)) process.setSourceMapsEnabled(true);
require('./code-cache.cjs')
  .loadWithCodeCache(bundle)
  .runCli(process.argv.slice(2))
  .catch((error) => {
    process.stderr.write(`minerva: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
