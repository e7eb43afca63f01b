#!/usr/bin/env node
// Turns the minified positions in a stack trace or log (`…/cli.cjs:2751:808`,
// `app://minerva/assets/index-3f2a.js:1:5120`) back into TypeScript files and lines, with the
// source maps the build wrote beside the bundles (a checkout's dist/) or the maps kept from a
// release (the `source-maps` artifact of .github/workflows/release.yml; docs/release.md).
//   node scripts/symbolicate.mjs [--maps DIR]... [FILE]     (no FILE: reads standard input)
// Positions whose bundle has no map are left as they are. Uses Node's own source-map reader.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const mapDirs = [];
let input;
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === '--maps') mapDirs.push(resolve(args[++i] ?? '.'));
  else input = args[i];
}
if (mapDirs.length === 0) mapDirs.push(join(root, 'dist'));

/** Every `*.map` under the given folders, by the bundle's file name (`cli.cjs` → its map). */
function indexMaps(dirs) {
  const found = new Map();
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.map') && !found.has(entry.name.slice(0, -4))) found.set(entry.name.slice(0, -4), path);
    }
  };
  dirs.forEach(walk);
  return found;
}

const maps = indexMaps(mapDirs);
const loaded = new Map();
function sourceMapFor(bundle) {
  const file = maps.get(bundle);
  if (!file) return null;
  if (!loaded.has(bundle)) loaded.set(bundle, { map: new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) });
  return loaded.get(bundle);
}

/** `<anything>/<bundle>.(c)js:LINE:COLUMN` → `<source>:LINE:COLUMN` (1-based, as V8 prints them). */
export function symbolicate(text) {
  return text.replace(/(?:[^\s()]*[/\\])?([\w.-]+\.c?js):(\d+):(\d+)/g, (whole, bundle, line, column) => {
    const found = sourceMapFor(bundle);
    if (!found) return whole;
    const entry = found.map.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || entry.originalSource === undefined) return whole;
    // Sources are relative to the bundle's folder in dist/ (`../../src-main/…`): name them from the
    // project root, wherever the maps were unpacked.
    const source = entry.originalSource.split('\\').join('/').replace(/^(\.\.?\/)+/, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

if (basename(fileURLToPath(import.meta.url)) === basename(process.argv[1] ?? '')) {
  const text = input ? readFileSync(input, 'utf8') : readFileSync(0, 'utf8');
  process.stdout.write(symbolicate(text));
}
