/**
 * Shared set-up of the private-inference trials (crash, faults, privacy):
 *
 * - the practice network (chain, hub, router, validator) runs in the test's process, so it
 *   survives kill -9 of `minerva serve`;
 * - a fault proxy (tests/helpers/fault-proxy.ts) sits between the app and the router. The app
 *   learns the router's address from the hub's catalogue, which reads it from the practice
 *   network's state file (`<dataDir>/devnet/state.json`): the harness records the proxy's URL
 *   there as the router's, so the app reaches the router only through the proxy — the real path a
 *   miner's app takes, with nothing in the app changed. `rate: 0` makes it a plain recording proxy;
 * - completions are sent to the router directly (the caller is not the miner's network);
 * - checks read the router's SQLite and the app's SQLite read-only.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CompetitionsView } from '@shared/contract/competitions';
import { startPracticeNetwork, type DevnetLog, type PracticeNetwork } from '@devnet/index';
import { practiceApiToken, routerDir } from '@devnet/router/router-config';
import type { JobRow } from '@devnet/router/router-db';
import { readStateFile, recordParties } from '@devnet/state';
import { seededRandom, startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../../helpers/fault-proxy';
import { REPO_ROOT, startServe, type ServeHandle } from '../../helpers/serve-process';
import { connectRpc, type WsRpc } from '../../helpers/ws-rpc';

export const PASSWORD = 'correct horse battery staple 42';
export const COMPETITION = 'practice-inference';
export const SESSION = 101;

export interface SoakNetwork {
  dataDir: string;
  network: PracticeNetwork;
  /** The router itself (for the caller's completions). */
  routerUrl: string;
  /** What the app is told the router is. */
  proxy: FaultProxy;
  token: string;
  /** Every line the practice parties logged, as JSON (for the privacy search). */
  logLines: string[];
  stop(): Promise<void>;
}

export async function startSoakNetwork(options: { dataDir: string; leaseMs?: number; proxy?: Omit<FaultProxyOptions, 'target'> }): Promise<SoakNetwork> {
  const logLines: string[] = [];
  const line =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      logLines.push(JSON.stringify({ level, msg, ...fields }));
    };
  const log: DevnetLog = { info: line('info'), warn: line('warn'), error: line('error') };
  // Every party the app looks for, so that `minerva serve` attaches instead of starting what is missing.
  const network = await startPracticeNetwork({
    dataDir: options.dataDir,
    parties: ['chain', 'hub', 'router', 'validator', 'coordinator'],
    blockTimeMs: 200,
    log,
    router: { ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}) },
  });
  const routerUrl = network.endpoints.router!;
  const proxy = await startFaultProxy({ seed: 1, rate: 0, ...options.proxy, target: routerUrl });
  const entry = readStateFile(options.dataDir)!.parties.router!;
  recordParties(options.dataDir, { router: { ...entry, url: proxy.url } });
  return {
    dataDir: options.dataDir,
    network,
    routerUrl,
    proxy,
    token: practiceApiToken(options.dataDir),
    logLines,
    async stop() {
      await removeOurContainers();
      await proxy.close();
      await network.stop();
    },
  };
}

/** Every `minerva serve` the trials started (to clean up after them, and only after them). */
const serves = new Set<ServeHandle>();

export async function serveApp(dataDir: string, env?: NodeJS.ProcessEnv): Promise<ServeHandle> {
  const serve = await startServe({ dataDir, ...(env ? { env } : {}) });
  serves.add(serve);
  return serve;
}

/**
 * SIGTERM, then up to `ms` for the process to exit. Returns false when it did not (it is then
 * killed, so the trial can go on and report it).
 */
export async function stopApp(serve: ServeHandle, ms = 20_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([serve.stop().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  if (!exited) await kill9(serve);
  return exited;
}

/**
 * Removes model containers left by the apps these trials started (an app killed with -9 leaves
 * its container to the next start's reaper; the last one has no next start). Only containers
 * labelled with one of our own apps' pids are touched.
 */
export async function removeOurContainers(): Promise<void> {
  // An app still running (a trial that timed out) is killed first, or it would start them again.
  for (const serve of serves) await kill9(serve);
  for (const pid of [...serves].map((s) => s.process.pid).filter((p): p is number => p !== undefined)) {
    try {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', 'label=io.minerva.managed=1', '--filter', `label=io.minerva.owner-pid=${pid}`], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
      if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    } catch {
      // no Docker CLI: nothing we can tidy
    }
  }
}

/** Creates the wallet and joins the practice inference competition with an app that then stops cleanly. */
export async function createWalletAndJoin(dataDir: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const serve = await serveApp(dataDir, env);
  const rpc = await connectRpc(serve.loginUrl);
  try {
    await rpc.call('vault.create', { password: PASSWORD });
    await rpc.call('competitions.list', { refresh: true });
    const joined = rpc.waitFor<CompetitionsView>('competitions.changed', (v) => v.competitions.find((c) => c.id === COMPETITION)?.membership?.state === 'joined');
    await rpc.call('competitions.join', { id: COMPETITION });
    await joined;
  } finally {
    rpc.close();
    await stopApp(serve);
  }
}

/** Starts the app and unlocks it (its job loop then resumes). */
export async function startUnlocked(dataDir: string, env?: NodeJS.ProcessEnv): Promise<{ serve: ServeHandle; rpc: WsRpc }> {
  const serve = await serveApp(dataDir, env);
  const rpc = await connectRpc(serve.loginUrl);
  await rpc.call('vault.unlock', { password: PASSWORD });
  return { serve, rpc };
}

export function kill9(serve: ServeHandle): Promise<void> {
  return new Promise((resolve) => {
    if (serve.process.exitCode !== null || serve.process.signalCode !== null) return resolve();
    serve.process.once('exit', () => resolve());
    serve.process.kill('SIGKILL');
  });
}

export interface CompletionReply {
  status: number;
  json: { session_id?: number; task_id?: number; output?: unknown; model?: string; usage?: unknown; error?: { code: string; message: string } };
  /** The caller gave up or the connection broke. */
  transportError?: string;
}

/** `POST /api/v2/completion` as an app calling the router would. */
export async function complete(net: SoakNetwork, prompt: string, timeoutS = 240): Promise<CompletionReply> {
  try {
    const res = await fetch(`${net.routerUrl}/api/v2/completion`, {
      method: 'POST',
      headers: { authorization: `Bearer ${net.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: SESSION, prompt, timeout_s: timeoutS }),
      signal: AbortSignal.timeout((timeoutS + 30) * 1000),
    });
    return { status: res.status, json: (await res.json()) as CompletionReply['json'] };
  } catch (error) {
    return { status: 0, json: {}, transportError: error instanceof Error ? error.message : String(error) };
  }
}

const WORDS = ['the', 'keeper', 'climbed', 'stairs', 'lamp', 'sea', 'night', 'light', 'ship', 'storm', 'harbour', 'wind', 'old', 'tower', 'waves', 'rock'];

/** Seeded prompts: a few corpus words around a random marker no file should ever contain. */
export function makePrompts(seed: number, n: number, tag: string): string[] {
  const random = seededRandom(seed);
  const pick = (): string => WORDS[Math.floor(random() * WORDS.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const marker = `zq${tag}${i.toString(36)}x${Math.floor(random() * 36 ** 6).toString(36)}`;
    return `${pick()} ${pick()} ${marker} ${pick()} ${pick()}`;
  });
}

/** The demo text model, in-process: what the container computes for the same parameters. */
const textModel = (() => {
  const require = createRequire(import.meta.url);
  const mod = require(join(REPO_ROOT, 'resources', 'models', 'text-ngram', 'model.cjs')) as { createModel(o: { dir: string }): { infer(p: unknown): unknown } };
  return mod.createModel({ dir: join(REPO_ROOT, 'resources', 'models', 'text-ngram') });
})();

/**
 * What a completion must answer for `prompt`: the app calls the model's `infer` with the input's
 * `params` and its `prompt`, and sends back the model's `completion` as the output.
 */
export function expectedOutput(prompt: string, params: Record<string, unknown> = {}): string {
  return (textModel.infer({ ...params, prompt }) as { completion: string }).completion;
}

// ---- read-only views of the two databases ------------------------------------------------------

export function routerJobs(dataDir: string): JobRow[] {
  const db = new Database(join(routerDir(dataDir), 'router.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM jobs WHERE session_id = ? ORDER BY task_id').all(SESSION) as JobRow[];
  } finally {
    db.close();
  }
}

export function appDbPath(dataDir: string): string {
  return join(dataDir, 'minerva.db');
}

/** Rows of the app's table of inference jobs (whatever core names it), read-only. */
export function appTable(dataDir: string, sql: string, ...args: unknown[]): Record<string, unknown>[] {
  if (!existsSync(appDbPath(dataDir))) return [];
  const db = new Database(appDbPath(dataDir), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...args) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

/** Runs `fn` on `items` with at most `limit` at once (keeps ordering of results). */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
