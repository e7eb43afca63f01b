/**
 * The Crunch network profile's functions (issue 15; src-main/core/runner/crunch-profile.ts)
 * against loopback stand-ins that follow the PUBLIC shapes (crunch-loopback.ts: the
 * crunch-certificate tool's issuer API and CPI lookups; no real Crunch endpoint is reachable here).
 * The practice coordinator is configured with that network's shapes: SAN domain
 * `crunchdao.internal`, its CA the issuer's, its identity published by the CPI. The runner's key
 * never leaves: the issuer sees a public key only. Then the runner's server (real mTLS gRPC,
 * coordinator facts from the CPI) is driven by the practice coordinator's round and scored.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '@shared/contract/errors';
import { pairFromSeed, walletFromSeed } from '@shared/protocol/identities';
import { certPub, signSmp, smpMetadata } from '@shared/protocol/smp';
import { authenticateCoordinator, type CoordinatorFacts } from '@core/runner/auth';
import { crunchCertificate, crunchCoordinatorFacts, crunchIssueBody, type CrunchProfile } from '@core/runner/crunch-profile';
import { SmpServer } from '@core/runner/smp-server';
import { ChainClient } from '@devnet/chain/chain-client';
import { generateRsaKeyPair } from '@devnet/coordinator/ca';
import { CoordinatorNode } from '@devnet/coordinator/coordinator-server';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { registerPayoutHotkey } from '../devnet/coordinator/test-runner';
import { startCrunchLoopback, type CrunchLoopback } from './crunch-loopback';

const COMPETITION = 'practice-runner';
const MODEL = 'crunch-model-7';
const DOMAIN = 'crunchdao.internal';
const walletSeed = new Uint8Array(32).fill(71);
const smpHotkey = walletFromSeed(new Uint8Array(32).fill(72)).address;

describe('the Crunch network profile against loopback issuer and indexer in the public shapes', () => {
  let dir: string;
  let net: PracticeNetwork;
  let chain: ChainClient;
  let coordinator: CoordinatorNode;
  let loop: CrunchLoopback;
  let profile: CrunchProfile;
  let runner: SmpServer | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'minerva-crunch-profile-'));
    net = await startPracticeNetwork({ dataDir: dir, blockTimeMs: 150, parties: ['chain'] });
    chain = new ChainClient(net.endpoints.chain);
    // The practice coordinator with the Crunch network's SAN domain.
    coordinator = new CoordinatorNode({ dataDir: dir, chainUrl: net.endpoints.chain, domain: DOMAIN });
    await coordinator.start();
    loop = await startCrunchLoopback({ ca: () => coordinator.authority, coordinatorWallet: () => coordinator.identity.walletB58, coordinatorHotkey: () => coordinator.identity.hotkeyB58 });
    profile = { issuerUrl: loop.issuerUrl, cpiUrl: loop.cpiUrl, caPem: coordinator.authority.certificatePem, coordinatorWallet: coordinator.identity.walletB58 };
    loop.certificates = { certificates: [{ hash: coordinator.clientCredentials.certHash }] };
    // The runner on the chain the coordinator reads (the practice chain stands in for the network's registry).
    const payout = await registerPayoutHotkey(chain, COMPETITION, 'CrunchProfilePayout');
    const { tx_id } = await chain.sendTx('register_runner', { competition_id: COMPETITION, model_id: MODEL, wallet_b58: walletFromSeed(walletSeed).address, smp_hotkey_b58: smpHotkey, address: '127.0.0.1:1', payout_hotkey: payout }, pairFromSeed(walletSeed, 'ed25519'));
    expect((await chain.waitForTx(tx_id)).state).toBe('included');
  }, 60_000);

  afterAll(async () => {
    await runner?.stop(500);
    await loop?.close();
    await coordinator?.stop();
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrols through the issuer with the public tool’s body; only the public key leaves; the answer is checked', async () => {
    const key = generateRsaKeyPair();
    const spkiHash = createHash('sha256').update(createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex');
    const body = crunchIssueBody(key.publicKeyPem, MODEL, DOMAIN, 30);
    expect(body).toEqual({ tlsPublicKeyPemString: key.publicKeyPem, commonName: `model-node-${MODEL}.${DOMAIN}`, isClient: false, isServer: true, sanDns: `model-node-${MODEL}.${DOMAIN}`, daysValid: 30 });
    const issued = await crunchCertificate(profile, body, spkiHash);
    expect(issued.caPem).toBe(profile.caPem);
    const sent = loop.seen.at(-1)!.body;
    expect(sent).toContain('BEGIN PUBLIC KEY');
    expect(sent).not.toMatch(/PRIVATE/);
    expect(sent).not.toContain(key.privateKeyPem.split('\n')[1]!);
    // As the public tool: no authentication headers of Minerva's practice service.
    expect(loop.seen.at(-1)!.headers.filter((h) => h.startsWith('x-'))).toEqual([]);
    // Refusals in words: another key's certificate, a CA that did not sign it, an unreadable answer.
    await expect(crunchCertificate(profile, body, '0'.repeat(64))).rejects.toThrow(/another key/);
    await expect(crunchCertificate(profile, body, '0'.repeat(64))).rejects.toMatchObject({ code: 'CERT_INVALID' });
    const otherCa = generateRsaKeyPair(); // a key, not a CA certificate
    await expect(crunchCertificate({ ...profile, caPem: otherCa.publicKeyPem }, body, spkiHash)).rejects.toSatisfy((e: unknown) => isAppError(e) && e.code === 'CERT_INVALID');
    await expect(crunchCertificate({ ...profile, issuerUrl: profile.cpiUrl }, body, spkiHash)).rejects.toSatisfy((e: unknown) => isAppError(e) && e.code === 'NOT_FOUND');
  });

  it('reads the coordinator’s identity and certificate hashes from the CPI, not the chain', async () => {
    expect(await crunchCoordinatorFacts(profile)).toEqual({ walletB58: coordinator.identity.walletB58, hotkey: coordinator.identity.hotkeyB58, certHashes: [coordinator.clientCredentials.certHash, '0'.repeat(64)] });
    loop.certificates = [coordinator.clientCredentials.certHash.toUpperCase(), 'not-a-hash', { sha256: 'ab'.repeat(32) }];
    expect((await crunchCoordinatorFacts(profile))?.certHashes).toEqual([coordinator.clientCredentials.certHash, 'ab'.repeat(32)]);
    expect(await crunchCoordinatorFacts({ ...profile, coordinatorWallet: walletFromSeed(new Uint8Array(32).fill(9)).address })).toBeNull();
    loop.certificates = { certificates: [{ hash: coordinator.clientCredentials.certHash }] };
  });

  it('the practice coordinator, configured with the Crunch shapes, scores a round on the runner enrolled through the profile', async () => {
    const key = generateRsaKeyPair();
    const spkiHash = createHash('sha256').update(createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex');
    const issued = await crunchCertificate(profile, crunchIssueBody(key.publicKeyPem, MODEL, DOMAIN, 30), spkiHash);
    const facts: CoordinatorFacts | null = await crunchCoordinatorFacts(profile);
    const container = signSmp(walletSeed, { cert_pub: certPub(issued.certPem), hotkey: smpHotkey, model_id: MODEL }).container;
    let last = 0;
    runner = new SmpServer({
      caPem: issued.caPem,
      certPem: issued.certPem,
      keyPem: key.privateKeyPem,
      host: '127.0.0.1',
      port: 0,
      className: 'birdgame.trackers.trackerbase.TrackerBase',
      model: {
        setup: () => Promise.resolve(null),
        call: (input) => {
          if (input.method === 'tick') last = Number((input.args[0] as { value: number }).value);
          return Promise.resolve(last);
        },
        reset: () => Promise.resolve(null),
      },
      // Pinned against the CPI's hashes (the coordinator's v1 x-auth-* is checked under `either` too).
      authenticate: (peer, get) => authenticateCoordinator('either', facts, peer, get),
      serverMetadata: () => smpMetadata(container, 'runner'),
    });
    const port = await runner.start();
    const { results } = await coordinator.runRound([{ address: `127.0.0.1:${port}`, modelId: MODEL }], { ticks: 3, className: 'TrackerBase' });
    expect(results[MODEL]).toMatchObject({ verdict: 'ok' });
    expect(results[MODEL]!.score).toBeGreaterThan(0);
  }, 60_000);
});
