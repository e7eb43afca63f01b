/**
 * A real core on a Crunch-style network (issue 15): the catalogue names the competition's Crunch
 * profile (issuer API, CPI indexer, CA, coordinator wallet) and its SAN domain
 * `crunchdao.internal`. The runner enrols through the loopback issuer in the public
 * crunch-certificate tool's shapes (only the public key leaves), reads the coordinator's identity
 * from the loopback CPI instead of the chain, and the practice coordinator — configured with that
 * network's domain and CA — gets its round scored. When the CPI stops listing the coordinator's
 * certificate, a pinned runner refuses it although the chain still pins it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerView } from '@shared/contract/runner';
import { createCore, type Core } from '@core/create-core';
import type { PracticeNetworkHost } from '@core/network/practice';
import { DEMO_COMPETITIONS } from '@devnet/demo/competitions';
import { HubNode } from '@devnet/hub/hub-server';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { tempDataDir } from '../../helpers/serve-process';
import { startCrunchLoopback, type CrunchLoopback } from '../interop/crunch-loopback';
import { dockerForTests } from '../runtime/helpers';
import { call, COMPETITION, joinRunner, MODEL, untilRunner } from './harness';

const env = await dockerForTests();
const DOMAIN = 'crunchdao.internal';

describe.skipIf(env.skip)('a runner on a Crunch-style network profile', () => {
  let network: PracticeNetwork;
  let hub: HubNode;
  let loop: CrunchLoopback;
  let core: Core;
  let view: RunnerView;

  beforeAll(async () => {
    const dataDir = tempDataDir('minerva-crunch-network-');
    network = await startPracticeNetwork({ dataDir, parties: ['chain', 'coordinator'], blockTimeMs: 100, coordinatorRounds: false, coordinator: { domain: DOMAIN } });
    const coordinator = network.coordinator!;
    loop = await startCrunchLoopback({ ca: () => coordinator.authority, coordinatorWallet: () => coordinator.identity.walletB58, coordinatorHotkey: () => coordinator.identity.hotkeyB58 });
    loop.certificates = { certificates: [{ hash: coordinator.clientCredentials.certHash }] };
    const crunch = { issuer_url: loop.issuerUrl, cpi_url: loop.cpiUrl, ca_pem: coordinator.authority.certificatePem, coordinator_wallet: coordinator.identity.walletB58 };
    const competitions = DEMO_COMPETITIONS.map((c) => (c.catalogue.id === COMPETITION ? { ...c, catalogue: { ...c.catalogue, rules: { ...c.catalogue.rules, network_domain: DOMAIN, class_name: 'birdgame.trackers.trackerbase.TrackerBase', crunch } } } : c));
    hub = new HubNode({ dataDir, chainUrl: network.endpoints.chain, competitions, partyUrls: () => ({ router: null, validator: null, coordinator: network.endpoints.coordinator ?? null }) });
    const hubUrl = await hub.start();
    const host: PracticeNetworkHost = {
      start: () => Promise.resolve({ endpoints: { chain: network.endpoints.chain, hub: hubUrl, coordinator: network.endpoints.coordinator ?? '' }, attached: true }),
      stop: () => Promise.resolve(),
    };
    process.env.MINERVA_RUNNER_CHAIN_REFRESH_MS = '300';
    core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false, practiceHost: host });
    view = await joinRunner(core);
  }, 240_000);

  afterAll(async () => {
    await core?.close();
    delete process.env.MINERVA_RUNNER_CHAIN_REFRESH_MS;
    await hub?.stop();
    await loop?.close();
    await network?.stop();
  });

  it('enrols through the Crunch issuer: the public tool’s body, the public key only, the competition’s SAN domain and class form', () => {
    expect(view).toMatchObject({ networkDomain: DOMAIN, classNameForm: 'module-path', certificate: { san: `model-node-${MODEL}.${DOMAIN}` } });
    expect(view.steps.find((s) => s.id === 'certificate')?.detail).toContain('Crunch issuer');
    const posts = loop.seen.filter((s) => s.body !== '');
    expect(posts.length).toBeGreaterThanOrEqual(1);
    for (const p of posts) {
      expect(JSON.parse(p.body)).toMatchObject({ commonName: `model-node-${MODEL}.${DOMAIN}`, isClient: false, isServer: true, sanDns: `model-node-${MODEL}.${DOMAIN}` });
      expect(p.body).toContain('BEGIN PUBLIC KEY');
      expect(p.body).not.toMatch(/PRIVATE/);
      expect(p.headers.filter((h) => h.startsWith('x-'))).toEqual([]);
    }
  });

  it('the practice coordinator with the Crunch domain and CA gets its round scored', async () => {
    const found = await network.coordinator!.discoverRunners();
    const { results } = await network.coordinator!.runRound(found.targets, { ticks: 3 });
    expect(results[MODEL]).toMatchObject({ verdict: 'ok' });
    expect(results[MODEL]!.score).toBeGreaterThan(0);
  }, 60_000);

  it('coordinator facts come from the CPI, not the chain: without its certificate there, a pinned runner refuses it', async () => {
    await call(core, 'runner.setPolicy', { competitionId: COMPETITION, policy: 'pinned' });
    const found = await network.coordinator!.discoverRunners();
    /** Rounds until one ends with `verdict` (the runner reads the CPI again once its facts are 300 ms old). */
    const roundUntil = async (verdict: string): Promise<void> => {
      for (let i = 0; i < 20; i += 1) {
        const { results } = await network.coordinator!.runRound(found.targets, { ticks: 1 });
        if (results[MODEL]?.verdict === verdict) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no round ended with ${verdict}`);
    };
    const before = (await untilRunner(core, () => true)).calls.refusedByReason['pinned.cert_hash'] ?? 0;
    loop.certificates = [];
    await roundUntil('grpc:UNAUTHENTICATED');
    await untilRunner(core, (r) => (r.calls.refusedByReason['pinned.cert_hash'] ?? 0) > before, 10_000);
    // The chain pinned the coordinator's hash all along; the CPI lists it again: accepted.
    loop.certificates = [network.coordinator!.clientCredentials.certHash];
    await roundUntil('ok');
  }, 60_000);
});
