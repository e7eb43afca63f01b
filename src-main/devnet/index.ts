/**
 * The practice network's process model (docs/practice-network.md, "Running it"). Every party runs
 * in-process on a free 127.0.0.1 port, alone or together; what runs is recorded with the pid in
 * `<dataDir>/devnet/state.json` so another process can attach.
 *
 *   const net = await startPracticeNetwork({ dataDir });          // chain + hub + router + validator
 *   net.endpoints  // { chain: 'http://127.0.0.1:…', hub: …, router: …, validator: … }
 *   await net.stop();
 *
 *   const net = await startOrAttachPracticeNetwork({ dataDir });  // the app: reuse one already running
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { acquireStartLock, type StartLock } from '@common/practice-start-lock';
import { startWasmCrypto } from '@common/wasm-crypto';
import { AppError } from '@shared/contract/errors';
import { ChainNode } from './chain/chain-node';
import { startChainServer, type ChainServer } from './chain/rpc-server';
import { silentLog, type DevnetLog } from './common/http';
import { CoordinatorNode, type CoordinatorOptions } from './coordinator/coordinator-server';
import { authorityAddresses } from './common/keys';
import { DEMO_COMPETITIONS } from './demo/competitions';
import { HubNode } from './hub/hub-server';
import { RouterNode, type RouterOptions } from './router/router-server';
import { ValidatorNode, type ValidatorOptions } from './validator/validator-server';
import { checkPracticeNetworkHealth, forgetParties, readPracticeNetworkState, readStateFile, recordParties, type Party, type PartyEntry, type PracticeNetworkState } from './state';

export { checkPracticeNetworkHealth, readPracticeNetworkState, stateFile, type PartyHealth, type PracticeNetworkState } from './state';
export type { DevnetLog } from './common/http';

/** `coordinator` runs when asked for here; the app's practice network (`startOrAttachPracticeNetwork`, `devnet start --party all`) runs it too. */
export type StartableParty = 'chain' | 'hub' | 'router' | 'validator' | 'coordinator';

/**
 * Drops entries whose pid lives but where nothing listens any more (the pid was reused by an
 * unrelated process after a crash). A party that is alive but slow to answer still counts.
 */
async function withoutVanished(state: PracticeNetworkState): Promise<PracticeNetworkState> {
  const health = await checkPracticeNetworkHealth(state);
  const parties = { ...state.parties };
  for (const h of health) if (!h.healthy && h.error === 'not answering') delete parties[h.party];
  return { version: 1, parties };
}

export interface PracticeNetworkOptions {
  dataDir: string;
  /** Which parties this process runs (default all four). A hub, router or validator alone needs a chain: `chainUrl` or one in the state file. */
  parties?: readonly StartableParty[];
  /** Block time of the chain (default 2000 ms). */
  blockTimeMs?: number;
  /** Fixed ports (default 0: a free port each). Always on 127.0.0.1. */
  ports?: Partial<Record<StartableParty, number>>;
  /** The chain to use when this process does not run one (default: the state file's). */
  chainUrl?: string;
  log?: DevnetLog;
  /** Validator settings (caps, timeouts, resources folder; docs/practice-network.md §4.3). */
  validator?: Omit<ValidatorOptions, 'dataDir' | 'chainUrl' | 'port' | 'preferredPort' | 'log'>;
  /** Router settings (`env` mirrors ENCRYPTION_* and ROUTER_API_TOKENS; docs/practice-network.md, "Router"). */
  router?: Omit<RouterOptions, 'dataDir' | 'chainUrl' | 'port' | 'preferredPort' | 'log'>;
  /** Coordinator settings (docs/practice-network.md, "Coordinator and certificate service"). */
  coordinator?: Omit<CoordinatorOptions, 'dataDir' | 'chainUrl' | 'port' | 'preferredPort' | 'log'>;
  /**
   * The coordinator's round timer: a round on every runner registered on chain every `intervalMs`
   * (default `MINERVA_COORDINATOR_ROUND_MS` or 10 000), ended epochs paid; `false` = no rounds.
   */
  coordinatorRounds?: { intervalMs?: number; ticks?: number } | false;
  /**
   * How long to wait for a start of this data folder's network still under way (another process's
   * `devnet start`, serve, or another start in this process) before giving up with `TIMEOUT`
   * (default 60 000 ms). The wait ends early when that process is gone (killed mid-start).
   */
  startWaitMs?: number;
  /** Progress of that wait, in words (default: the log's info). */
  onProgress?: (words: string) => void;
  /** Stops that wait with `CANCELLED` (the app is stopping). */
  signal?: AbortSignal;
  /**
   * Asked once every party is up, the start lock still held: true (a SIGTERM came while they
   * started) stops them before the lock is released, so that a command waiting on the lock never
   * attaches to parties about to stop — it finds none and starts its own. The returned network is
   * then already stopped (its `stop()` does nothing more).
   */
  stopRequested?: () => boolean;
}

/** The practice pace of rounds: one every 10 s (an epoch of 60 two-second blocks holds about 12). */
export function practiceRoundIntervalMs(): number {
  const raw = Number(process.env.MINERVA_COORDINATOR_ROUND_MS);
  return Number.isFinite(raw) && raw >= 10 && raw <= 3_600_000 ? raw : 10_000;
}

export interface PracticeNetwork {
  /** Base URLs of what runs (here or, for a hub alone, the chain it uses). */
  endpoints: { chain: string; hub: string | null; router: string | null; validator: string | null; coordinator?: string | null };
  /** The chain node when this process runs it (tests: `chain.waitForBlock(n)`, `chain.sealBlock()`). */
  chain: ChainNode | null;
  hub: HubNode | null;
  router: RouterNode | null;
  validator: ValidatorNode | null;
  coordinator?: CoordinatorNode | null;
  /** Stops what this process started and removes it from the state file. */
  stop(): Promise<void>;
}

/** Tests: `MINERVA_DEVNET_START_STEP_MS` pauses after each party starts (and before a start asked to stop stops them), so a test can meet a start under way (README, "Environment variables"). */
function startStepMs(): number {
  const raw = Number(process.env.MINERVA_DEVNET_START_STEP_MS);
  return Number.isInteger(raw) && raw > 0 && raw <= 10_000 ? raw : 0;
}

/**
 * Takes this data folder's start lock (src-main/common/practice-start-lock.ts), first waiting for
 * a start under way elsewhere to finish: what that start records is then read, not started again.
 */
function lockStart(options: PracticeNetworkOptions, parties: readonly StartableParty[]): Promise<StartLock> {
  const log = options.log ?? silentLog;
  return acquireStartLock(options.dataDir, parties, {
    onProgress: options.onProgress ?? ((words) => log.info(words)),
    ...(options.startWaitMs === undefined ? {} : { timeoutMs: options.startWaitMs }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Starts the parties in this process. Refuses (`CONFLICT`) a party already running for this data
 * dir — after waiting for a start under way to finish, so that the answer is final.
 */
export async function startPracticeNetwork(options: PracticeNetworkOptions): Promise<PracticeNetwork> {
  const parties = options.parties ?? ['chain', 'hub', 'router', 'validator'];
  const lock = await lockStart(options, parties);
  try {
    const net = await startParties(options, parties);
    if (options.stopRequested?.()) {
      // The waiters are told (in the lock) that this start ends in a stop, not in parties to use.
      lock.markStopping();
      (options.log ?? silentLog).info('asked to stop while starting: stopping the practice parties before anyone attaches to them');
      const stepMs = startStepMs();
      if (stepMs > 0) await sleep(stepMs); // tests: a waiter meets the stop under way
      await net.stop();
    }
    return net;
  } finally {
    lock.release();
  }
}

/** Starts `parties` here; the caller holds the start lock. */
async function startParties(options: PracticeNetworkOptions, parties: readonly StartableParty[]): Promise<PracticeNetwork> {
  // The chain hashes every block and signature check: util-crypto's WASM (deferred in the app's
  // bundle until something needs it, src-main/common/wasm-crypto.ts) loads now.
  startWasmCrypto();
  await cryptoWaitReady();
  const log = options.log ?? silentLog;
  const stepMs = startStepMs();
  const step = (): Promise<void> => (stepMs > 0 ? sleep(stepMs) : Promise.resolve());
  const recorded = readPracticeNetworkState(options.dataDir);
  const running = recorded && (await withoutVanished(recorded));
  // A party that ran before (its process gone) gets its old port back when free, so that clients
  // holding its address reconnect after a restart.
  const previous = readStateFile(options.dataDir);
  const previousPort = (p: Party): number | undefined => {
    const url = previous?.parties[p]?.url;
    return url ? Number(new URL(url).port) || undefined : undefined;
  };
  for (const p of parties) {
    const entry = running?.parties[p];
    if (entry) throw new AppError('CONFLICT', `The practice ${p} already runs for this data folder (pid ${entry.pid}, ${entry.url}). Stop it first or attach to it.`);
  }

  let chain: ChainNode | null = null;
  let chainServer: ChainServer | null = null;
  let hub: HubNode | null = null;
  let router: RouterNode | null = null;
  let validator: ValidatorNode | null = null;
  let coordinator: CoordinatorNode | null = null;
  const started: Partial<Record<Party, PartyEntry>> = {};
  const at = new Date().toISOString();
  let stopping: Promise<void> | null = null;
  // Once only: a second stop (the start stopped it already) must not write the state file again,
  // where another process may be recording its own parties by then.
  const stop = (): Promise<void> => (stopping ??= stopOnce());
  const stopOnce = async (): Promise<void> => {
    forgetParties(options.dataDir, Object.keys(started) as Party[]);
    if (coordinator) await coordinator.stop();
    if (validator) await validator.stop();
    if (router) await router.stop();
    if (hub) await hub.stop();
    if (chainServer) await chainServer.close();
    chain?.stop();
    hub = null;
    router = null;
    validator = null;
    coordinator = null;
    chainServer = null;
    chain = null;
  };
  try {
    let chainUrl: string;
    let chainSource: string | (() => string) | undefined;
    // The router reads and checks its configuration first: a bad variable stops the start before any party runs.
    const routerNode = parties.includes('router')
      ? new RouterNode({ ...options.router, dataDir: options.dataDir, chainUrl: () => (typeof chainSource === 'function' ? chainSource() : (chainSource ?? null)), port: options.ports?.router ?? 0, preferredPort: previousPort('router'), log })
      : null;
    router = routerNode;
    if (routerNode) {
      // Listening needs no chain (membership is read per request): start before the chain, so the
      // chain's first blocks are not delayed by it.
      const url = await routerNode.start();
      started.router = { url, pid: process.pid, started_at: at };
      recordParties(options.dataDir, { router: started.router });
      await step();
      log.info('practice router running', { url });
    }
    if (parties.includes('chain')) {
      chain = new ChainNode({
        dataDir: options.dataDir,
        blockTimeMs: options.blockTimeMs ?? 2000,
        competitions: DEMO_COMPETITIONS.map((c) => c.chain),
        authorities: authorityAddresses(options.dataDir),
        log,
      });
      chainServer = await startChainServer(chain, { port: options.ports?.chain ?? 0, preferredPort: previousPort('chain'), log });
      chain.start();
      chainUrl = chainServer.url;
      chainSource = chainUrl;
      started.chain = { url: chainUrl, pid: process.pid, started_at: at };
      recordParties(options.dataDir, { chain: started.chain });
      await step();
      log.info('practice chain running', { url: chainUrl, genesis: chain.genesisHash, blockTimeMs: chain.blockTimeMs });
    } else {
      const url = options.chainUrl ?? running?.parties.chain?.url;
      if (!url) throw new AppError('UNAVAILABLE', 'The hub needs a chain: start the chain first (minerva devnet start --party chain) or pass its URL.');
      chainUrl = url;
      // Follow the chain if it restarts elsewhere (unless the caller pinned its URL).
      chainSource = options.chainUrl ?? ((): string => readPracticeNetworkState(options.dataDir)?.parties.chain?.url ?? url);
    }
    if (parties.includes('hub')) {
      hub = new HubNode({
        dataDir: options.dataDir,
        chainUrl: chainSource,
        port: options.ports?.hub ?? 0,
        preferredPort: previousPort('hub'),
        log,
        partyUrls: () => {
          const s = readPracticeNetworkState(options.dataDir);
          return { router: s?.parties.router?.url ?? null, validator: s?.parties.validator?.url ?? null, coordinator: s?.parties.coordinator?.url ?? null };
        },
      });
      const url = await hub.start();
      started.hub = { url, pid: process.pid, started_at: at };
      recordParties(options.dataDir, { hub: started.hub });
      await step();
      log.info('practice hub running', { url, chain: chainUrl });
    }
    if (parties.includes('validator')) {
      validator = new ValidatorNode({ ...options.validator, dataDir: options.dataDir, chainUrl: chainSource, port: options.ports?.validator ?? 0, preferredPort: previousPort('validator'), log });
      const url = await validator.start();
      started.validator = { url, pid: process.pid, started_at: at };
      recordParties(options.dataDir, { validator: started.validator });
      await step();
      log.info('practice validator running', { url, chain: chainUrl });
    }
    if (parties.includes('coordinator')) {
      coordinator = new CoordinatorNode({ ...options.coordinator, dataDir: options.dataDir, chainUrl: chainSource, port: options.ports?.coordinator ?? 0, preferredPort: previousPort('coordinator'), log });
      const url = await coordinator.start();
      started.coordinator = { url, pid: process.pid, started_at: at };
      recordParties(options.dataDir, { coordinator: started.coordinator });
      log.info('practice coordinator running', { url, chain: chainUrl });
      if (options.coordinatorRounds !== false) {
        const intervalMs = options.coordinatorRounds?.intervalMs ?? practiceRoundIntervalMs();
        coordinator.startRounds({ intervalMs, ...(options.coordinatorRounds?.ticks === undefined ? {} : { ticks: options.coordinatorRounds.ticks }) });
        log.info('practice coordinator rounds on', { interval_ms: intervalMs });
      }
    }
    const endpoints = { chain: chainUrl, hub: started.hub?.url ?? null, router: started.router?.url ?? null, validator: started.validator?.url ?? null };
    if (coordinator) return { endpoints: { ...endpoints, coordinator: started.coordinator?.url ?? null }, chain, hub, router, validator, coordinator, stop };
    return { endpoints, chain, hub, router, validator, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface AttachedOrStarted {
  endpoints: { chain: string; hub: string; router: string; validator: string; coordinator: string };
  /** True when another process runs the parties; `stop()` then leaves them running. */
  attached: boolean;
  network: PracticeNetwork | null;
  stop(): Promise<void>;
}

/**
 * For the app: attach to a healthy chain, hub, router, validator and coordinator already running for this data dir, else start
 * what is missing in this process. `stop()` stops only what this call started. A start under way
 * for this data dir (`minerva devnet start` still starting its parties) is waited for first
 * (`startWaitMs`, progress in words), so what it starts is attached to, not started a second time.
 */
export async function startOrAttachPracticeNetwork(options: Omit<PracticeNetworkOptions, 'parties' | 'chainUrl'>): Promise<AttachedOrStarted> {
  const lock = await lockStart(options, []);
  try {
    return await attachOrStartMissing(options);
  } finally {
    lock.release();
  }
}

async function attachOrStartMissing(options: Omit<PracticeNetworkOptions, 'parties' | 'chainUrl'>): Promise<AttachedOrStarted> {
  const state = readPracticeNetworkState(options.dataDir);
  const health = state ? await checkPracticeNetworkHealth(state) : [];
  const healthy = (p: Party): string | undefined => health.find((h) => h.party === p && h.healthy)?.url;
  const chainUrl = healthy('chain');
  const hubUrl = healthy('hub');
  const routerUrl = healthy('router');
  const validatorUrl = healthy('validator');
  const coordinatorUrl = healthy('coordinator');
  if (chainUrl && hubUrl && routerUrl && validatorUrl && coordinatorUrl)
    return { endpoints: { chain: chainUrl, hub: hubUrl, router: routerUrl, validator: validatorUrl, coordinator: coordinatorUrl }, attached: true, network: null, stop: () => Promise.resolve() };
  const missing = (['chain', 'hub', 'router', 'validator', 'coordinator'] as const).filter((p) => !healthy(p));
  // A recorded but unhealthy party of a live process would block the start: say so.
  const network = await startParties({ ...options, ...(chainUrl ? { chainUrl } : {}) }, missing);
  const endpoints = {
    chain: network.endpoints.chain,
    hub: network.endpoints.hub ?? hubUrl!,
    router: network.endpoints.router ?? routerUrl!,
    validator: network.endpoints.validator ?? validatorUrl!,
    coordinator: network.endpoints.coordinator ?? coordinatorUrl!,
  };
  return { endpoints, attached: false, network, stop: () => network.stop() };
}
