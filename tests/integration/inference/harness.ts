/**
 * The private-inference tests' parties: a real practice chain, hub and router (own SQLite, own
 * blob store) and a real core (its SQLite, its vault, the real text-ngram container), in this
 * process. The core's practice host attaches to the network and reads the router's API token
 * from the router's own env file, as `minerva serve` does.
 */
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { InferenceStatus, JobView } from '@shared/contract/inference';
import { createCore, type Core } from '@core/create-core';
import type { PracticeNetworkHost } from '@core/network/practice';
import { startPracticeNetwork, type PracticeNetwork, type PracticeNetworkOptions } from '@devnet/index';
import { practiceApiToken } from '@devnet/router/router-config';
import { RouterNode } from '@devnet/router/router-server';
import { recordParties } from '@devnet/state';
import { call, waitFor as waitForEvent } from '../../helpers/core-calls';
import { REPO_ROOT, tempDataDir } from '../../helpers/serve-process';
import { startRouterProxy, type RouterProxy } from './proxy';

export const PASSWORD = 'correct horse battery staple 42';
export const COMPETITION = 'practice-inference';
export const SESSION = 101;

export { call };

/** The next matching event, with the inference tests' longer default wait (a container may be starting). */
export function waitFor<T>(core: Core, event: string, check: (payload: T) => boolean, timeoutMs = 90_000): Promise<T> {
  return waitForEvent(core, event, check, timeoutMs);
}

/** Polls `inference.status` until `check` holds (events may have fired before the listener). */
export async function untilStatus(core: Core, check: (s: InferenceStatus) => boolean, timeoutMs = 90_000): Promise<InferenceStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await call<InferenceStatus>(core, 'inference.status');
    if (check(s)) return s;
    if (Date.now() > until) throw new Error(`inference status never matched: ${JSON.stringify(s.workers)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function untilJobs(core: Core, check: (jobs: JobView[]) => boolean, timeoutMs = 90_000): Promise<JobView[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { jobs } = await call<{ jobs: JobView[] }>(core, 'inference.jobs', { limit: 20_000 });
    if (check(jobs)) return jobs;
    if (Date.now() > until) throw new Error(`jobs never matched: ${JSON.stringify(jobs.map((j) => [j.taskId, j.state, j.error?.code]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the text model computes for a prompt, in this process (the bundle's own code). */
export function expectedCompletion(prompt: string, params: Record<string, unknown> = {}): string {
  const require = createRequire(import.meta.url);
  const dir = join(REPO_ROOT, 'resources', 'models', 'text-ngram');
  const model = (require(join(dir, 'model.cjs')) as { createModel(o: unknown): { infer(p: unknown): { completion: string } } }).createModel({ dir });
  return model.infer({ ...params, prompt }).completion;
}

export interface Parties {
  dataDir: string;
  network: PracticeNetwork;
  core: Core;
  token: string;
  /** Present when started with `proxy: true`: core reaches the router only through it. */
  proxy: RouterProxy | null;
  /** With `withRouter: false`: the test's own router, started (and restarted) by the test; stopped with the rest. */
  ownRouter: AllowedListRouter;
  open(): Core;
  stop(): Promise<void>;
}

export async function startParties(options: { router?: PracticeNetworkOptions['router']; env?: Record<string, string>; dataDir?: string; proxy?: boolean; withRouter?: boolean } = {}): Promise<Parties> {
  const dataDir = options.dataDir ?? tempDataDir('minerva-inference-');
  for (const [k, v] of Object.entries(options.env ?? {})) process.env[k] = v;
  const network = await startPracticeNetwork({ dataDir, parties: options.withRouter === false ? ['chain', 'hub'] : ['chain', 'hub', 'router'], blockTimeMs: 150, ...(options.router ? { router: options.router } : {}) });
  const proxy = options.proxy ? await startRouterProxy(network.endpoints.router!) : null;
  proxy?.advertise(dataDir);
  const cores: Core[] = [];
  const open = (): Core => {
    const host: PracticeNetworkHost = {
      start: () => Promise.resolve({ endpoints: { chain: network.endpoints.chain, hub: network.endpoints.hub ?? '', router: network.endpoints.router ?? '' }, attached: true }),
      stop: () => Promise.resolve(),
      routerApiToken: () => Promise.resolve(practiceApiToken(dataDir)),
    };
    const core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: process.env.DEBUG_INFERENCE ? (l) => process.stdout.write(l) : false, practiceHost: host });
    cores.push(core);
    return core;
  };
  const core = open();
  const ownRouter = new AllowedListRouter(dataDir);
  return {
    dataDir,
    network,
    core,
    token: practiceApiToken(dataDir),
    proxy,
    ownRouter,
    open,
    async stop() {
      await ownRouter.stop();
      proxy?.release();
      await Promise.allSettled(cores.map((c) => c.close()));
      await proxy?.close();
      await network.stop();
      for (const k of Object.keys(options.env ?? {})) delete process.env[k];
    },
  };
}

/**
 * A router of the test's own that decides by `ENCRYPTION_ALLOWED_LIST` alone (no chain
 * membership), for `startParties({ withRouter: false })`: each `restart` stops it and starts it
 * again on the same port with another list, recorded in the state file, so the miner keeps
 * polling the same address.
 */
export class AllowedListRouter {
  node: RouterNode | undefined;
  private port = 0;

  constructor(private readonly dataDir: string) {}

  async restart(allowed: string, options: { taskScopedInputs?: boolean } = {}): Promise<RouterNode> {
    await this.node?.stop();
    this.node = new RouterNode({ dataDir: this.dataDir, chainUrl: null, env: { ENCRYPTION_ALLOWED_LIST: allowed }, taskScopedInputs: options.taskScopedInputs ?? false, ...(this.port ? { port: this.port } : {}) });
    const url = await this.node.start();
    this.port = Number(new URL(url).port);
    recordParties(this.dataDir, { router: { url, pid: process.pid, started_at: new Date().toISOString() } });
    return this.node;
  }

  /** The running router (after the first `restart`). */
  get running(): RouterNode {
    if (!this.node) throw new Error('the router has not been started: call restart(allowed) first');
    return this.node;
  }

  async stop(): Promise<void> {
    await this.node?.stop();
    this.node = undefined;
  }
}

/** New wallet, join the practice inference competition, wait for the worker to answer jobs. */
export async function joinInference(core: Core, create = true): Promise<void> {
  if (create) await call(core, 'vault.create', { password: PASSWORD });
  await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
  await call(core, 'competitions.join', { id: COMPETITION });
  await untilStatus(core, (s) => s.workers.some((w) => w.competitionId === COMPETITION && w.state === 'running'));
}

/** `POST /api/v2/completion` on a fresh connection (a router restarted on the same port leaves no stale keep-alive socket behind). */
export function completion(routerUrl: string, token: string, prompt: string, timeoutS = 60): Promise<{ status: number; json: Record<string, unknown> }> {
  const body = JSON.stringify({ session_id: SESSION, prompt, timeout_s: timeoutS });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${routerUrl}/api/v2/completion`, { method: 'POST', agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
