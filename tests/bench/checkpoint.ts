/**
 * Checkpoint hashing: the app's streamed SHA-256 (hashFile) on a 1 GiB file, next to
 * `openssl dgst -sha256` on the same file in the same run (OpenSSL's SHA-NI path, about the
 * physical limit for one core here). Target ≥ 0.8×. Peak RSS is printed.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { hashFile } from '../../src-main/core/checkpoints/hash-file';

const SIZE = 1024 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'minerva-bench-'));
const file = join(dir, 'checkpoint.bin');
// Real bytes (not sparse): the page cache then holds them for both contenders alike.
const fd = openSync(file, 'w');
const chunk = randomFillSync(Buffer.alloc(16 * 1024 * 1024));
for (let written = 0; written < SIZE; written += chunk.length) writeSync(fd, chunk);
closeSync(fd);

const rounds = 3;
const app: number[] = [];
const openssl: number[] = [];
let appHash = '';
let peakRss = 0;
for (let r = 0; r < rounds; r += 1) {
  let t = performance.now();
  execFileSync('openssl', ['dgst', '-sha256', file]);
  openssl.push(performance.now() - t);
  t = performance.now();
  appHash = (await hashFile(file, () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)))).sha256;
  app.push(performance.now() - t);
}
const opensslHash = execFileSync('openssl', ['dgst', '-sha256', '-r', file], { encoding: 'utf8' }).split(' ')[0];
rmSync(dir, { recursive: true, force: true });
if (opensslHash !== appHash) throw new Error('the two hashes differ');

const best = (xs: number[]) => Math.min(...xs);
const gibps = (ms: number) => SIZE / (1024 ** 3) / (ms / 1000);
console.log(`file: 1 GiB, ${rounds} rounds, best of each`);
console.log(`openssl dgst -sha256: ${gibps(best(openssl)).toFixed(2)} GiB/s`);
console.log(`minerva hashFile:     ${gibps(best(app)).toFixed(2)} GiB/s, peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
console.log(`checkpoint: sha256 1GiB throughput = ${(best(openssl) / best(app)).toFixed(2)}x baseline (target 0.8)`);
