#!/usr/bin/env node
// `npm run bench -- <name>` runs tests/bench/<name>.ts; with no name, every benchmark in turn.
// Each benchmark measures against a baseline in the same run and ends with one line
// `<name>: <figure> = <ratio>x baseline (target <target>)`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'tests', 'bench');
const available = readdirSync(dir)
  .filter((f) => /\.(ts|mjs)$/.test(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.(ts|mjs)$/, ''));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : available;
let failed = 0;
for (const name of names) {
  const file = ['ts', 'mjs'].map((ext) => join(dir, `${name}.${ext}`)).find((f) => existsSync(f));
  if (!file) {
    console.error(`bench: no benchmark named "${name}". Available: ${available.join(', ') || 'none'}`);
    failed += 1;
    continue;
  }
  console.log(`\n=== bench ${name} ===`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file], { cwd: root, stdio: 'inherit', env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.tests.json') } });
  if (res.status !== 0) failed += 1;
}
process.exit(failed > 0 ? 1 : 0);
