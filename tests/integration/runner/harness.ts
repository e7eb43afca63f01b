/**
 * The runner tests' parties: a real practice chain, hub and coordinator (its CA, certificate
 * service and SQLite) and a real core (its SQLite, its vault, the real ts-predictor container), in
 * this process. The coordinator's round timer is off: tests drive rounds themselves.
 */
import * as grpc from '@grpc/grpc-js';
import type { RpcReply } from '@shared/contract';
import type { RunnerStatus, RunnerView } from '@shared/contract/runner';
import { createCore, type Core } from '@core/create-core';
import type { PracticeNetworkHost } from '@core/network/practice';
import type { CoordinatorNode } from '@devnet/coordinator/coordinator-server';
import { loadSmpPackage } from '@devnet/coordinator/smp-grpc';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { runnerDnsName } from '@shared/protocol/smp.proto';
import { tempDataDir } from '../../helpers/serve-process';

export const PASSWORD = 'correct horse battery staple 42';
export const COMPETITION = 'practice-runner';
export const MODEL = 'practice-ts-1';

export async function call<T>(core: Core, method: string, input: unknown = {}): Promise<T> {
  const reply: RpcReply = await core.router.call(method, input, { transport: 'test', clientId: 't' });
  if (!reply.ok) throw Object.assign(new Error(`${method}: ${reply.error.code} ${reply.error.message}`), { code: reply.error.code });
  return reply.result as T;
}

/** Polls `runner.status` until the competition's runner matches `check`. */
export async function untilRunner(core: Core, check: (r: RunnerView) => boolean, timeoutMs = 120_000): Promise<RunnerView> {
  const until = Date.now() + timeoutMs;
  let last: RunnerView | undefined;
  for (;;) {
    const s = await call<RunnerStatus>(core, 'runner.status');
    last = s.runners.find((r) => r.competitionId === COMPETITION);
    if (last && check(last)) return last;
    if (Date.now() > until) throw new Error(`runner never matched: ${JSON.stringify(last ? { state: last.state, detail: last.detail, steps: last.steps, error: last.error } : null)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Parties {
  dataDir: string;
  network: PracticeNetwork;
  coordinator: CoordinatorNode;
  core: Core;
  /** Closes core and opens it again on the same data folder (the wallet starts locked); `whileStopped` runs in between. */
  restartCore(whileStopped?: () => void | Promise<void>): Promise<Core>;
  stop(): Promise<void>;
}

export async function startParties(options: { env?: Record<string, string> } = {}): Promise<Parties> {
  const dataDir = tempDataDir('minerva-runner-');
  for (const [k, v] of Object.entries(options.env ?? {})) process.env[k] = v;
  const network = await startPracticeNetwork({ dataDir, parties: ['chain', 'hub', 'coordinator'], blockTimeMs: 100, coordinatorRounds: false });
  const host: PracticeNetworkHost = {
    start: () => Promise.resolve({ endpoints: { chain: network.endpoints.chain, hub: network.endpoints.hub ?? '', coordinator: network.endpoints.coordinator ?? '' }, attached: true }),
    stop: () => Promise.resolve(),
  };
  const open = (): Core => createCore({ dataDir, host: 'headless', version: 'test', logConsole: process.env.DEBUG_RUNNER ? (l) => process.stdout.write(l) : false, practiceHost: host });
  const parties: Parties = {
    dataDir,
    network,
    coordinator: network.coordinator!,
    core: open(),
    async restartCore(whileStopped) {
      await parties.core.close();
      await whileStopped?.();
      parties.core = open();
      return parties.core;
    },
    async stop() {
      await parties.core.close();
      await network.stop();
      for (const k of Object.keys(options.env ?? {})) delete process.env[k];
    },
  };
  return parties;
}

/** New wallet, join practice-runner, wait until the runner serves. */
export async function joinRunner(core: Core): Promise<RunnerView> {
  await call(core, 'vault.create', { password: PASSWORD });
  await call(core, 'competitions.list', { refresh: true });
  await call(core, 'competitions.join', { id: COMPETITION });
  return untilRunner(core, (r) => r.state === 'serving');
}

/** How a raw gRPC call to the runner ended, and whether the runner authenticated itself back. */
export interface Answer {
  code: number;
  details: string;
  serverAuth: boolean;
}

/**
 * A raw gRPC client of one runner service, trusting the network CA and checking the runner's name
 * by SAN; with `client` it presents that key and certificate (mTLS), without it none (gateway mode).
 */
export function runnerClient(p: Parties, address: string, service: 'Health' | 'DynamicSubclassService', client?: { keyPem: string; certPem: string }): grpc.Client {
  const ca = Buffer.from(p.coordinator.authority.certificatePem);
  const creds = client ? grpc.credentials.createSsl(ca, Buffer.from(client.keyPem), Buffer.from(client.certPem)) : grpc.credentials.createSsl(ca);
  const name = runnerDnsName(MODEL, 'practice.local');
  return new (loadSmpPackage()[service])(address, creds, { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name });
}

/** One unary call with a 10 s deadline; never rejects (the answer carries the status). */
export function unary(client: grpc.Client, method: string, request: unknown, md: grpc.Metadata): Promise<Answer> {
  return new Promise((resolve) => {
    let serverAuth = false;
    const fn = (client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)[method]!.bind(client);
    const c = fn(request, md, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null) => resolve({ code: error ? error.code : grpc.status.OK, details: error ? error.details : '', serverAuth }));
    c.on('metadata', (m: grpc.Metadata) => {
      serverAuth = m.get('x-server-auth-message').length === 1;
    });
  });
}
