/**
 * `coordinator` is a startable party: started with a chain, recorded in the state file, healthy,
 * and its certificate service reachable at the recorded address.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { checkPracticeNetworkHealth, readPracticeNetworkState, startPracticeNetwork, type PracticeNetwork } from '@devnet/index';

let dataDir: string;
let net: PracticeNetwork;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-coordinator-party-'));
  net = await startPracticeNetwork({ dataDir, blockTimeMs: 150, parties: ['chain', 'coordinator'] });
}, 60_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('runs beside the chain, is recorded and healthy, and has set itself as coordinator on chain', async () => {
  const url = net.endpoints.coordinator;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);
  const state = readPracticeNetworkState(dataDir);
  expect(state?.parties.coordinator?.url).toBe(url);
  const health = await checkPracticeNetworkHealth(state!);
  expect(health.find((h) => h.party === 'coordinator')?.healthy).toBe(true);
  const info = (await (await fetch(`${url}/v1/coordinator`)).json()) as { wallet_b58: string; cert_hash: string };
  const view = (await new ChainClient(net.endpoints.chain).call('chain_getCoordinator', { competition_id: 'practice-runner' })).coordinator;
  expect(view?.wallet_b58).toBe(info.wallet_b58);
  expect(view?.cert_hashes[0]).toBe(info.cert_hash);
  const ca = await fetch(`${url}/v1/security-credentials/tls/authority-certificate`);
  expect(((await ca.json()) as { authorityCertificatePemString: string }).authorityCertificatePemString).toContain('BEGIN CERTIFICATE');
});
