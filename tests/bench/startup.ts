/**
 * Start and footprint of `minerva serve` (the built bundle, with its practice network):
 * - cold start to the first RPC answer: process spawned → `app.info` answered over the UI's
 *   WebSocket;
 * - cold start to first paint: process spawned → first contentful paint of the UI in Chromium
 *   (Debian's chromium with the flags of playwright.config.ts; the browser is started before the
 *   clock, a fresh context per round), the page opened as soon as serve prints its address;
 * - idle RSS of serve and its child processes with the practice network running.
 * Baseline, alternating round by round (tests/bench/_rounds.ts): plain Node serving the same
 * built UI files (tests/bench/_static-server.cjs), measured the same way (its first HTTP answer,
 * and the same page's first paint). Target: first paint ≤ 1.0 s; idle RSS within the README's budget.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import config from '../../playwright.config';
import { CLI, REPO_ROOT, tempDataDir } from '../helpers/serve-process';
import { connectRpc, loginCookie } from '../helpers/ws-rpc';
import { alternate, judge, machine, roundsFromEnv, showSpread, spread } from './_rounds';

const ROUNDS = roundsFromEnv(7);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 20);
/** The README's budget for serve + practice network at rest. */
const RSS_BUDGET_MIB = 400;

interface Start {
  listenMs: number;
  /** CPU time (user + system, all threads) the server used until it listened. */
  cpuMs: number;
  answerMs: number;
  paintMs: number;
  uiMs: number;
}

/** Preloaded into both servers: prints the CPU time used until the address was printed (`{"cpuMs": …}`). */
const CPU_MARK = join(REPO_ROOT, 'tests', 'bench', '_cpu-mark.cjs');

/** The address a server prints once it listens, and the CPU time it had used until then. */
function listening(child: ChildProcess): Promise<{ url: string; loginUrl?: string; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n').filter((l) => l.startsWith('{') && l.endsWith('}'));
      const address = lines.find((l) => l.startsWith('{"url"'));
      const cpu = lines.find((l) => l.startsWith('{"cpuMs"'));
      if (address && cpu) resolve({ ...(JSON.parse(address) as { url: string; loginUrl?: string }), cpuMs: (JSON.parse(cpu) as { cpuMs: number }).cpuMs });
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing its address:\n${out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Wall-clock ms (epoch) of the page's first contentful paint (index.html's static shell, once it
 * and the CSS arrived), and of the UI rendered by the script (its navigation: the page can be used).
 */
async function paintAt(browser: Browser, url: string, cookie?: string): Promise<{ paint: number; ui: number }> {
  const context = await browser.newContext();
  try {
    // The session cookie a login address was traded for (an address works once; the RPC side traded it).
    if (cookie) {
      const [name = '', value = ''] = cookie.split('=');
      await context.addCookies([{ name, value, url }]);
    }
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, undefined, { timeout: 60_000, polling: 20 });
    const paint = await page.evaluate(() => performance.timeOrigin + performance.getEntriesByName('first-contentful-paint')[0]!.startTime);
    await page.waitForFunction(() => document.querySelector('nav[aria-label="Main"] a') !== null, undefined, { timeout: 60_000, polling: 20 });
    const ui = await page.evaluate(() => performance.timeOrigin + performance.now());
    return { paint, ui };
  } finally {
    await context.close();
  }
}

/** RSS of a process and all its descendants, from /proc. */
function treeRssMiB(pid: number): number {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i += 1) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  let kib = 0;
  for (const p of tree) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib / 1024;
}

async function main(): Promise<void> {
  const web = config.projects?.find((p) => p.name === 'web');
  const launch = web?.use?.launchOptions ?? {};
  const browser = await chromium.launch(launch);
  const dataDir = tempDataDir('minerva-bench-startup-');
  try {
    const app = async (): Promise<Start> => {
      const t0 = Date.now();
      const child = spawn(process.execPath, ['--require', CPU_MARK, CLI, 'serve', '--port', '0', '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        const { url, loginUrl, cpuMs } = await listening(child);
        const listenMs = Date.now() - t0;
        const cookie = await loginCookie(loginUrl!);
        // As a person would: the page opened at once; the RPC round trip measured beside it.
        const answer = (async () => {
          const rpc = await connectRpc(loginUrl!);
          await rpc.call('app.info');
          rpc.close();
          return Date.now() - t0;
        })();
        const shown = await paintAt(browser, url, cookie);
        return { listenMs, cpuMs, answerMs: await answer, paintMs: shown.paint - t0, uiMs: shown.ui - t0 };
      } finally {
        await stop(child);
      }
    };
    const baseline = async (): Promise<Start> => {
      const t0 = Date.now();
      const child = spawn(process.execPath, ['--require', CPU_MARK, join(REPO_ROOT, 'tests', 'bench', '_static-server.cjs'), join(REPO_ROOT, 'dist', 'renderer')], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        const { url, cpuMs } = await listening(child);
        const listenMs = Date.now() - t0;
        const answer = fetch(url).then(async (r) => (await r.text(), Date.now() - t0));
        const shown = await paintAt(browser, url);
        return { listenMs, cpuMs, answerMs: await answer, paintMs: shown.paint - t0, uiMs: shown.ui - t0 };
      } finally {
        await stop(child);
      }
    };
    console.log(`minerva serve (dist/, practice network on) against plain Node serving the same UI files; ${ROUNDS} rounds alternating, after one warm-up each; ${machine()}`);
    const runs = await alternate({
      rounds: ROUNDS,
      warmup: 1,
      baseline,
      app,
      onRound: (r, b, a) => console.log(`  round ${r + 1}: serve listen ${a.listenMs} ms (CPU ${a.cpuMs.toFixed(0)} ms), RPC ${a.answerMs} ms, paint ${a.paintMs.toFixed(0)} ms, UI ${a.uiMs.toFixed(0)} ms | baseline listen ${b.listenMs} ms (CPU ${b.cpuMs.toFixed(0)} ms), answer ${b.answerMs} ms, paint ${b.paintMs.toFixed(0)} ms, UI ${b.uiMs.toFixed(0)} ms`),
    });
    const of = (who: Start[], k: keyof Start): number[] => who.map((s) => s[k]);
    console.log(`serve:    listening ${showSpread(spread(of(runs.app, 'listenMs')), 0, ' ms')}`);
    console.log(`          CPU time to listening ${showSpread(spread(of(runs.app, 'cpuMs')), 0, ' ms')}`);
    console.log(`          first RPC answer ${showSpread(spread(of(runs.app, 'answerMs')), 0, ' ms')}`);
    console.log(`          first paint ${showSpread(spread(of(runs.app, 'paintMs')), 0, ' ms')}`);
    console.log(`          UI rendered ${showSpread(spread(of(runs.app, 'uiMs')), 0, ' ms')}`);
    console.log(`baseline: listening ${showSpread(spread(of(runs.baseline, 'listenMs')), 0, ' ms')}`);
    console.log(`          CPU time to listening ${showSpread(spread(of(runs.baseline, 'cpuMs')), 0, ' ms')}`);
    console.log(`          first HTTP answer ${showSpread(spread(of(runs.baseline, 'answerMs')), 0, ' ms')}`);
    console.log(`          first paint ${showSpread(spread(of(runs.baseline, 'paintMs')), 0, ' ms')}`);
    console.log(`          UI rendered ${showSpread(spread(of(runs.baseline, 'uiMs')), 0, ' ms')}`);

    // Footprint: serve at rest with its practice network.
    const child = spawn(process.execPath, ['--require', CPU_MARK, CLI, 'serve', '--port', '0', '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'ignore'] });
    let rss: number[] = [];
    try {
      await listening(child);
      await new Promise((r) => setTimeout(r, IDLE_S * 1000));
      for (let i = 0; i < 5; i += 1) {
        rss.push(treeRssMiB(child.pid!));
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      await stop(child);
    }
    rss = rss.sort((a, b) => a - b);
    const idle = rss[Math.floor(rss.length / 2)]!;
    console.log(`idle RSS of serve + practice network after ${IDLE_S} s: ${idle.toFixed(0)} MiB (budget ${RSS_BUDGET_MIB} MiB)${idle <= RSS_BUDGET_MIB ? '' : ' — OVER BUDGET'}`);
    if (idle > RSS_BUDGET_MIB) process.exitCode = 1;

    const paintMs = spread(of(runs.app, 'paintMs')).median;
    judge({
      bench: 'startup',
      figure: `first paint ${paintMs.toFixed(0)} ms`,
      ratios: runs.baseline.map((b, i) => b.paintMs / runs.app[i]!.paintMs),
      target: 'first paint ≤ 1000 ms',
      meets: () => paintMs <= 1000,
      also: `UI rendered ${spread(of(runs.app, 'uiMs')).median.toFixed(0)} ms, CPU time to listening ${spread(of(runs.app, 'cpuMs')).median.toFixed(0)} ms, first RPC answer ${spread(of(runs.app, 'answerMs')).median.toFixed(0)} ms, idle RSS ${idle.toFixed(0)} MiB`,
    });
  } finally {
    await browser.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
