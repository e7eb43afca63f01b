/**
 * Vault unlock time and KDF memory with the default parameters, next to a baseline measured in the
 * same run: the raw KDF call alone (what unlock cannot go below). Target: unlock 250–1500 ms.
 * Run: `npx tsx tests/bench/vault.ts` (or `npm run bench -- vault`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KDF, deriveVaultKey, kdfMemoryMiB, withSalt } from '@core/vault/kdf';
import { createVaultService } from '@core/vault/vault.service';
import { judge, machine, showSpread, spread } from './_rounds';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PASSWORD = 'bench-orbit-lantern-walnut';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'minerva-bench-vault-'));
  const homeDir = mkdtempSync(join(tmpdir(), 'minerva-bench-home-'));
  try {
    const params = withSalt(DEFAULT_KDF, new Uint8Array(16).fill(1));
    console.log(`KDF: ${JSON.stringify(DEFAULT_KDF)} (memory ${kdfMemoryMiB(DEFAULT_KDF)} MiB), ${RUNS} runs each, median reported; ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
    await deriveVaultKey(PASSWORD, params); // warm-up: WASM compile and first memory growth

    const vault = createVaultService({ dataDir, homeDir, autoLockMinutes: 0 });
    await vault.create({ password: PASSWORD });
    vault.lock();
    const rssBefore = process.memoryUsage().rss;
    // Interleaved, so that load from other processes hits both series alike.
    const baseline: number[] = [];
    const unlock: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      let t0 = performance.now();
      (await deriveVaultKey(PASSWORD, params)).fill(0);
      baseline.push(performance.now() - t0);
      t0 = performance.now();
      await vault.unlock(PASSWORD);
      unlock.push(performance.now() - t0);
      vault.lock();
    }
    const rssAfter = process.memoryUsage().rss;
    vault.close();

    const kdfMs = median(baseline);
    const unlockMs = median(unlock);
    console.log(`baseline (raw KDF): median ${kdfMs.toFixed(0)} ms, runs ${baseline.map((t) => t.toFixed(0)).join(' ')}`);
    console.log(`unlock (parse + KDF + decrypt + derive 6 identities): median ${unlockMs.toFixed(0)} ms, runs ${unlock.map((t) => t.toFixed(0)).join(' ')}`);
    console.log(`process RSS ${(rssAfter / 2 ** 20).toFixed(0)} MiB (change during unlocks ${((rssAfter - rssBefore) / 2 ** 20).toFixed(0)} MiB; the WASM KDF keeps its ${kdfMemoryMiB(DEFAULT_KDF)} MiB arena)`);
    console.log(`baseline ${showSpread(spread(baseline), 0, ' ms')}; unlock ${showSpread(spread(unlock), 0, ' ms')}; ${machine()}`);
    // Ratio as every bench prints it (baseline / app, higher is better): how close unlock comes to the bare KDF.
    judge({
      bench: 'vault',
      figure: `unlock ${unlockMs.toFixed(0)} ms`,
      ratios: baseline.map((b, i) => b / unlock[i]!),
      target: 'unlock 250–1500 ms',
      meets: () => unlockMs >= 250 && unlockMs <= 1500,
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(homeDir, { recursive: true, force: true });
  }
}

void main();
