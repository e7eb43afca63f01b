import { randomUUID } from 'node:crypto';
import { AppError } from '@shared/contract/errors';
import { BITTENSOR_PRESETS, DEFAULT_BITTENSOR_SETTINGS, type AddNetworkInput, type BittensorSettings, type ChainIdentityView, type NetworkProfile, type NetworksView, type PracticeStatus } from '@shared/contract/networks';
import type { ConnectOptions, ExpectedChain } from './bittensor/bittensor-client';
import type { AuditRepo } from '../db/audit.repo';
import type { Db } from '../db/open';
import type { ScopedLogger } from '../log/logger';
import { NetworkProfilesRepo } from './networks.repo';
import type { PracticeEndpoints, PracticeNetworkHost } from './practice';

export const PRACTICE_ID = 'practice';

export interface NetworksServiceDeps {
  db: Db;
  audit: AuditRepo;
  log: ScopedLogger;
  practiceHost: PracticeNetworkHost | undefined;
  selectedId: () => string;
  select: (id: string) => void;
  now: () => Date;
  onChange: (view: NetworksView) => void;
  /** Reads what a Bittensor endpoint is (connectBittensor → identity → disconnect); refuses a mismatch. */
  identify: (options: ConnectOptions) => Promise<Omit<ChainIdentityView, 'preset'>>;
}

/** The endpoints of the network in use, once it can be reached. */
export interface ActiveNetwork {
  id: string;
  kind: 'practice' | 'custom' | 'bittensor';
  /** For bittensor: the ws(s):// endpoint. */
  chainUrl: string;
  /** '' for bittensor (no hub). */
  hubUrl: string;
  /** For bittensor: what every connection must find there (the genesis the profile was added with). */
  expect?: ExpectedChain;
  /** For bittensor: the profile's settings (signing prefix, Connito competition). */
  settings?: BittensorSettings;
}

/** The runtime a Bittensor endpoint must run to be added. */
const SUBTENSOR_SPEC_NAME = 'node-subtensor';

/**
 * Network profiles and the practice network's lifecycle. The practice network starts when it is
 * the selected network (the default), and stops with the app if this app started it.
 */
export class NetworksService {
  private readonly repo: NetworkProfilesRepo;
  private practice: PracticeStatus;
  private practiceStart: Promise<PracticeEndpoints | null> | undefined;
  /** Aborts a practice start still under way when the app stops. */
  private practiceAbort: AbortController | undefined;
  private stopping = false;

  constructor(private readonly deps: NetworksServiceDeps) {
    this.repo = new NetworkProfilesRepo(deps.db);
    this.practice = deps.practiceHost
      ? { state: 'stopped', detail: 'The practice network is not running.', endpoints: null }
      : { state: 'unavailable', detail: 'This host cannot run the practice network; run `minerva devnet start` in a terminal.', endpoints: null };
  }

  view(): NetworksView {
    const practice: NetworkProfile = {
      id: PRACTICE_ID,
      name: 'Practice network',
      kind: 'practice',
      chainUrl: this.practice.endpoints?.chain ?? null,
      hubUrl: this.practice.endpoints?.hub ?? null,
      builtin: true,
    };
    const profiles = [practice, ...this.repo.list()];
    const selected = this.deps.selectedId();
    return { profiles, selectedId: profiles.some((p) => p.id === selected) ? selected : PRACTICE_ID, practice: this.practice };
  }

  async add(input: AddNetworkInput): Promise<NetworksView> {
    if (input.kind === 'bittensor') return this.addBittensor(input);
    const id = `net-${randomUUID().slice(0, 8)}`;
    this.repo.insert({ id, ...input }, this.deps.now().toISOString());
    this.deps.audit.append({ at: this.deps.now().toISOString(), actor: 'user', action: 'networks.add', detail: { id, name: input.name, chainUrl: input.chainUrl, hubUrl: input.hubUrl } });
    this.deps.log.info('network added', { id, chainUrl: input.chainUrl, hubUrl: input.hubUrl });
    return this.changed();
  }

  /**
   * A Bittensor network: connects, reads chain name, genesis hash and runtime, and refuses in words
   * an endpoint that is not subtensor or — for finney and test — not that chain's genesis. The
   * genesis read here is what every later connection must find (a custom endpoint that changed chain
   * is refused too).
   */
  private async addBittensor(input: Extract<AddNetworkInput, { kind: 'bittensor' }>): Promise<NetworksView> {
    const known = input.preset === 'custom' ? undefined : BITTENSOR_PRESETS[input.preset];
    const endpoint = input.endpoint ?? known?.endpoint;
    if (!endpoint) throw new AppError('VALIDATION', 'A custom Bittensor network needs its endpoint (wss://… or ws://127.0.0.1:…).');
    const expect: ExpectedChain = known ? { profile: input.preset, genesisHash: known.genesisHash, specName: SUBTENSOR_SPEC_NAME } : { profile: input.name ?? 'custom', specName: SUBTENSOR_SPEC_NAME };
    const read = await this.deps.identify({ endpoint, expect });
    const chain: ChainIdentityView = { ...read, preset: input.preset };
    const same = this.repo.list().find((p) => p.kind === 'bittensor' && p.chainUrl === endpoint && p.chain?.genesisHash === chain.genesisHash);
    if (same) throw new AppError('CONFLICT', `${endpoint} is already in your list as "${same.name}". Switch to it instead.`);
    const id = `net-${randomUUID().slice(0, 8)}`;
    const name = input.name ?? known?.name ?? `Bittensor (${endpoint.replace(/^wss?:\/\//, '')})`;
    this.repo.insertBittensor({ id, name, endpoint, chain }, this.deps.now().toISOString());
    const detail = { id, name, kind: 'bittensor', endpoint, chain: chain.chain, genesisHash: chain.genesisHash, runtime: `${chain.specName}/${chain.specVersion}` };
    this.deps.audit.append({ at: this.deps.now().toISOString(), actor: 'user', action: 'networks.add', detail });
    this.deps.log.info('network added', detail);
    return this.changed();
  }

  /** A Bittensor profile's settings: the signing prefix, the Connito competition and the Platform hub (or none). */
  configure(input: { id: string; actionPrefix?: BittensorSettings['actionPrefix'] | undefined; connito?: BittensorSettings['connito'] | undefined; platform?: BittensorSettings['platform'] | undefined }): NetworksView {
    if (input.id === PRACTICE_ID) throw new AppError('UNSUPPORTED', 'The practice network is not a Bittensor network; only Bittensor networks have these settings.');
    const profile = this.repo.list().find((p) => p.id === input.id);
    if (!profile) throw new AppError('NOT_FOUND', 'That network is not in your list.');
    if (profile.kind !== 'bittensor') throw new AppError('UNSUPPORTED', `${profile.name} is not a Bittensor network; only Bittensor networks have these settings.`);
    const before = profile.settings ?? DEFAULT_BITTENSOR_SETTINGS;
    const settings: BittensorSettings = {
      actionPrefix: input.actionPrefix ?? before.actionPrefix,
      connito: input.connito === undefined ? before.connito : input.connito,
      platform: input.platform === undefined ? before.platform : input.platform,
    };
    this.repo.setSettings(profile.id, settings);
    this.deps.audit.append({ at: this.deps.now().toISOString(), actor: 'user', action: 'networks.configure', detail: { id: profile.id, ...settings } });
    this.deps.log.info('network configured', { id: profile.id, actionPrefix: settings.actionPrefix, connito: settings.connito, platform: settings.platform });
    return this.changed();
  }

  remove(id: string): NetworksView {
    if (id === PRACTICE_ID) throw new AppError('FORBIDDEN', 'The practice network is built in and cannot be removed.');
    if (this.deps.selectedId() === id) throw new AppError('CONFLICT', 'This network is in use. Switch to another network first, then remove it.');
    if (!this.repo.remove(id)) throw new AppError('NOT_FOUND', 'That network is not in your list any more.');
    this.deps.audit.append({ at: this.deps.now().toISOString(), actor: 'user', action: 'networks.remove', detail: { id } });
    return this.changed();
  }

  select(id: string): NetworksView {
    if (!this.view().profiles.some((p) => p.id === id)) throw new AppError('NOT_FOUND', 'That network is not in your list.');
    const from = this.deps.selectedId();
    this.deps.select(id);
    this.deps.audit.append({ at: this.deps.now().toISOString(), actor: 'user', action: 'networks.select', detail: { from, to: id } });
    this.deps.log.info('network switched', { from, to: id });
    if (id === PRACTICE_ID) void this.ensurePractice();
    return this.changed();
  }

  /** The selected network's endpoints; starts the practice network if needed. */
  async active(): Promise<ActiveNetwork> {
    const view = this.view();
    if (view.selectedId === PRACTICE_ID) {
      const endpoints = await this.ensurePractice();
      if (!endpoints) throw new AppError('UNAVAILABLE', `The practice network is not running: ${this.practice.detail}`);
      return { id: PRACTICE_ID, kind: 'practice', chainUrl: endpoints.chain, hubUrl: endpoints.hub };
    }
    const profile = view.profiles.find((p) => p.id === view.selectedId);
    if (profile?.kind === 'bittensor' && profile.chainUrl) {
      const genesisHash = profile.chain?.genesisHash;
      return {
        id: profile.id,
        kind: 'bittensor',
        chainUrl: profile.chainUrl,
        hubUrl: '',
        expect: { profile: profile.name, specName: SUBTENSOR_SPEC_NAME, ...(genesisHash ? { genesisHash } : {}) },
        settings: profile.settings ?? DEFAULT_BITTENSOR_SETTINGS,
      };
    }
    if (!profile?.chainUrl || !profile.hubUrl) throw new AppError('NOT_FOUND', 'The selected network has no endpoints. Pick another network in Settings.');
    return { id: profile.id, kind: 'custom', chainUrl: profile.chainUrl, hubUrl: profile.hubUrl };
  }

  /** Starts the practice network once; concurrent callers share the same start. */
  ensurePractice(): Promise<PracticeEndpoints | null> {
    const host = this.deps.practiceHost;
    if (!host || this.stopping) return Promise.resolve(null);
    const current = this.practice.endpoints as PracticeEndpoints | null;
    if (current && (this.practice.state === 'running' || this.practice.state === 'attached')) return Promise.resolve(current);
    if (this.practiceStart) return this.practiceStart;
    this.setPractice({ state: 'starting', detail: 'Starting the practice network on this machine…', endpoints: null });
    const abort = new AbortController();
    this.practiceAbort = abort;
    this.practiceStart = host
      .start(abort.signal)
      .then(({ endpoints, attached }) => {
        this.setPractice({
          state: attached ? 'attached' : 'running',
          detail: attached ? 'Using the practice network already running on this machine.' : 'The practice network runs on this machine (127.0.0.1).',
          endpoints,
        });
        this.deps.log.info(attached ? 'attached to the practice network' : 'practice network started', { endpoints });
        return endpoints;
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted) {
          this.deps.log.info('practice network start given up: the app is stopping');
          this.practice = { state: 'stopped', detail: 'The practice network is not running.', endpoints: null };
          return null;
        }
        this.deps.log.error('practice network failed to start', { error });
        this.setPractice({ state: 'failed', detail: `It could not start: ${error instanceof Error ? error.message : String(error)}. Restart Minerva to try again.`, endpoints: null });
        return null;
      })
      .finally(() => {
        this.practiceStart = undefined;
        this.practiceAbort = undefined;
      });
    return this.practiceStart;
  }

  /**
   * Stops the practice network if this app started it. A start still under way is aborted: one
   * that has not begun gives up at once; one already starting parties finishes, then is stopped.
   * No start begins afterwards.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.practiceAbort?.abort();
    if (this.practiceStart) await this.practiceStart;
    if (this.deps.practiceHost && this.practice.endpoints) {
      await this.deps.practiceHost.stop();
      this.practice = { state: 'stopped', detail: 'The practice network is not running.', endpoints: null };
    }
  }

  private setPractice(status: PracticeStatus): void {
    this.practice = status;
    this.changed();
  }

  private changed(): NetworksView {
    const view = this.view();
    this.deps.onChange(view);
    return view;
  }
}
