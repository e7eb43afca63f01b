#!/usr/bin/env node
// `npm start`: build, then launch the desktop app. When the Electron runtime cannot be had (it is
// downloaded on first install and some machines have no route to it), say so in one line and
// serve the same UI headless instead, printing the address to open.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

function electronBinary() {
  try {
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? { path } : { reason: 'the Electron package returned no binary' };
  } catch (error) {
    return { reason: String(error?.message ?? error).split('\n')[0] };
  }
}

const extra = process.argv.slice(2);
const electron = electronBinary();
const child = electron.path
  ? spawn(electron.path, [root, ...extra], { cwd: root, stdio: 'inherit' })
  : (console.log('Minerva: the Electron runtime is not installed on this machine, so the app runs headless (`minerva serve`) — open the address below in your browser.'),
    spawn(process.execPath, [join(root, 'bin', 'minerva.cjs'), 'serve', ...extra], { cwd: root, stdio: 'inherit' }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
