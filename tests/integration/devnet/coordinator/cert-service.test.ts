/**
 * The practice coordinator's certificate service and identity (PROTOCOLS §5) against a real chain:
 * runner certificates only for the wallet registered on chain for the model, the coordinator's
 * client certificate pinned on chain, rotation keeping the previous hash as secondary.
 */
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { coordinatorDir, describeCertificate, generateRsaKeyPair } from '@devnet/coordinator/ca';
import { CoordinatorNode } from '@devnet/coordinator/coordinator-server';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { toBase64 } from '@shared/protocol/encoding';
import { pairFromSeed, walletFromSeed } from '@shared/protocol/identities';
import { certificateHash } from '@shared/protocol/smp';
import { CERT_REQUEST_PATH, certificateRequestSigningBytes } from '@shared/protocol/smp.proto';
import { registerPayoutHotkey } from './test-runner';

const COMPETITION = 'practice-runner';
const seedA = new Uint8Array(32).fill(11);
const seedB = new Uint8Array(32).fill(22);
const walletA = walletFromSeed(seedA);
const hotkey = walletFromSeed(new Uint8Array(32).fill(33)).address;

let dataDir: string;
let net: PracticeNetwork;
let chain: ChainClient;
let coordinator: CoordinatorNode;
let payout: string | undefined;

async function registerRunner(seed: Uint8Array, modelId: string): Promise<void> {
  const pair = pairFromSeed(seed, 'ed25519');
  payout ??= await registerPayoutHotkey(chain, COMPETITION, 'CertServicePayout');
  const { tx_id } = await chain.sendTx('register_runner', { competition_id: COMPETITION, model_id: modelId, wallet_b58: walletFromSeed(seed).address, smp_hotkey_b58: hotkey, address: '127.0.0.1:1', payout_hotkey: payout }, pair);
  expect((await chain.waitForTx(tx_id)).state).toBe('included');
}

function body(modelId: string, over: Record<string, unknown> = {}): string {
  const san = `model-node-${modelId}.practice.local`;
  return JSON.stringify({ tlsPublicKeyPemString: generateRsaKeyPair().publicKeyPem, commonName: san, isClient: false, isServer: true, sanDns: [san], daysValid: 30, ...over });
}

async function request(text: string, opts: { seed: Uint8Array; modelId: string; wallet?: string; timestamp?: number; competition?: string }): Promise<{ status: number; json: Record<string, unknown> }> {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const hash = createHash('sha256').update(text).digest('hex');
  const signature = ed25519.sign(certificateRequestSigningBytes(opts.competition ?? COMPETITION, opts.modelId, ts, hash), opts.seed);
  const res = await fetch(`${coordinator.url}${CERT_REQUEST_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-smp-wallet-pubkey': opts.wallet ?? walletFromSeed(opts.seed).address, 'x-smp-timestamp': String(ts), 'x-smp-signature': toBase64(signature) },
    body: text,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-coordinator-ca-'));
  net = await startPracticeNetwork({ dataDir, blockTimeMs: 150, parties: ['chain'] });
  chain = new ChainClient(net.endpoints.chain);
  coordinator = new CoordinatorNode({ dataDir, chainUrl: net.endpoints.chain });
  await coordinator.start();
  await registerRunner(seedA, 'practice-ts-1');
  await registerRunner(seedB, 'other-model');
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  await net?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('coordinator identity on chain', () => {
  it('sets itself as coordinator and pins the SPKI hash of its clientAuth certificate', async () => {
    const view = (await chain.call('chain_getCoordinator', { competition_id: COMPETITION })).coordinator;
    expect(view?.wallet_b58).toBe(coordinator.identity.walletB58);
    expect(view?.smp_hotkey_b58).toBe(coordinator.identity.hotkeyB58);
    const creds = coordinator.clientCredentials;
    expect(view?.cert_hashes[0]).toBe(certificateHash(creds.certPem));
    expect(view?.cert_hashes[1]).toBe('0'.repeat(64));
    expect(describeCertificate(creds.certPem).ekus).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(new X509Certificate(creds.certPem).verify(new X509Certificate(coordinator.authority.certificatePem).publicKey)).toBe(true);
    expect(statSync(join(coordinatorDir(dataDir), 'client-key.pem')).mode & 0o077).toBe(0);
    expect(statSync(join(coordinatorDir(dataDir), 'ca-key.pem')).mode & 0o077).toBe(0);
  });

  it('rotation makes the new hash primary and the old one secondary; a restart keeps the pinned certificate', async () => {
    const old = coordinator.clientCredentials.certHash;
    const next = await coordinator.rotateClientCertificate();
    expect(next.certHash).not.toBe(old);
    const view = (await chain.call('chain_getCoordinator', { competition_id: COMPETITION })).coordinator;
    expect(view?.cert_hashes).toEqual([next.certHash, old]);
    await coordinator.stop();
    coordinator = new CoordinatorNode({ dataDir, chainUrl: net.endpoints.chain });
    await coordinator.start();
    expect(coordinator.clientCredentials.certHash).toBe(next.certHash);
    const after = (await chain.call('chain_getCoordinator', { competition_id: COMPETITION })).coordinator;
    expect(after?.cert_hashes).toEqual([next.certHash, old]);
  }, 60_000);
});

describe('POST /v1/security-credentials/tls/issue-certificate', () => {
  it('issues a serverAuth certificate for model-node-<model_id>.practice.local to the registered runner wallet', async () => {
    const text = body('practice-ts-1');
    const { status, json } = await request(text, { seed: seedA, modelId: 'practice-ts-1' });
    expect(status).toBe(200);
    const pem = json.tlsCertificatePemString as string;
    expect(json.authorityCertificatePemString).toBe(coordinator.authority.certificatePem);
    const facts = describeCertificate(pem);
    expect(facts.sanDns).toEqual(['model-node-practice-ts-1.practice.local']);
    expect(facts.ekus).toEqual(['1.3.6.1.5.5.7.3.1']);
    const cert = new X509Certificate(pem);
    expect(cert.verify(new X509Certificate(coordinator.authority.certificatePem).publicKey)).toBe(true);
    expect(cert.checkHost('model-node-practice-ts-1.practice.local')).toBe('model-node-practice-ts-1.practice.local');
    const sentKey = (JSON.parse(text) as { tlsPublicKeyPemString: string }).tlsPublicKeyPemString;
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(sentKey);
    expect(coordinator.repo.issued().some((r) => r.model_id === 'practice-ts-1' && r.wallet_b58 === walletA.address)).toBe(true);
  });

  it('refuses a request for a model whose registered wallet is another (WRONG_WALLET)', async () => {
    const r = await request(body('other-model'), { seed: seedA, modelId: 'other-model' });
    expect(r.status).toBe(403);
    expect((r.json.error as { code: string }).code).toBe('WRONG_WALLET');
  });

  it('refuses a signature not made by the registered wallet even when its key is claimed (BAD_SIGNATURE)', async () => {
    const r = await request(body('practice-ts-1'), { seed: seedB, modelId: 'practice-ts-1', wallet: walletA.address });
    expect(r.status).toBe(401);
    expect((r.json.error as { code: string }).code).toBe('BAD_SIGNATURE');
  });

  it('refuses a signature over another body, another competition or another model', async () => {
    const text = body('practice-ts-1');
    const forOther = await request(text, { seed: seedA, modelId: 'practice-ts-1', competition: 'practice-inference' });
    expect((forOther.json.error as { code: string }).code).toBe('BAD_SIGNATURE');
    const ts = Math.floor(Date.now() / 1000);
    const sig = ed25519.sign(certificateRequestSigningBytes(COMPETITION, 'practice-ts-1', ts, createHash('sha256').update(body('practice-ts-1')).digest('hex')), seedA);
    const res = await fetch(`${coordinator.url}${CERT_REQUEST_PATH}`, { method: 'POST', headers: { 'x-smp-wallet-pubkey': walletA.address, 'x-smp-timestamp': String(ts), 'x-smp-signature': toBase64(sig) }, body: text });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_SIGNATURE');
  });

  it('refuses a model with no runner on chain, a stale timestamp, missing headers and a replay', async () => {
    const unknown = await request(body('nobody-model'), { seed: seedA, modelId: 'nobody-model' });
    expect([unknown.status, (unknown.json.error as { code: string }).code]).toEqual([403, 'UNKNOWN_RUNNER']);
    const stale = await request(body('practice-ts-1'), { seed: seedA, modelId: 'practice-ts-1', timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect([stale.status, (stale.json.error as { code: string }).code]).toEqual([401, 'STALE_SIGNATURE']);
    const bare = await fetch(`${coordinator.url}${CERT_REQUEST_PATH}`, { method: 'POST', body: body('practice-ts-1') });
    expect(bare.status).toBe(401);
    const text = body('practice-ts-1');
    const ts = Math.floor(Date.now() / 1000);
    expect((await request(text, { seed: seedA, modelId: 'practice-ts-1', timestamp: ts })).status).toBe(200);
    const again = await request(text, { seed: seedA, modelId: 'practice-ts-1', timestamp: ts });
    expect([again.status, (again.json.error as { code: string }).code]).toEqual([409, 'REPLAYED']);
  });

  it('refuses a SAN outside model-node-<id>.practice.local, a client certificate, and a key that is not RSA-2048/65537', async () => {
    const wrongDomain = await request(body('practice-ts-1', { sanDns: ['model-node-practice-ts-1.crunchdao.internal'], commonName: 'model-node-practice-ts-1.crunchdao.internal' }), { seed: seedA, modelId: 'practice-ts-1' });
    expect([wrongDomain.status, (wrongDomain.json.error as { code: string }).code]).toEqual([400, 'BAD_SAN']);
    const two = await request(body('practice-ts-1', { sanDns: ['model-node-practice-ts-1.practice.local', 'model-node-other-model.practice.local'] }), { seed: seedA, modelId: 'practice-ts-1' });
    expect((two.json.error as { code: string }).code).toBe('BAD_SAN');
    const client = await request(body('practice-ts-1', { isClient: true, isServer: false }), { seed: seedA, modelId: 'practice-ts-1' });
    expect((client.json.error as { code: string }).code).toBe('MALFORMED');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 65537 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const weak = await request(body('practice-ts-1', { tlsPublicKeyPemString: small }), { seed: seedA, modelId: 'practice-ts-1' });
    expect([weak.status, (weak.json.error as { code: string }).code]).toEqual([400, 'BAD_KEY']);
    const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(((await request(body('practice-ts-1', { tlsPublicKeyPemString: e3 }), { seed: seedA, modelId: 'practice-ts-1' })).json.error as { code: string }).code).toBe('BAD_KEY');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(((await request(body('practice-ts-1', { tlsPublicKeyPemString: ec }), { seed: seedA, modelId: 'practice-ts-1' })).json.error as { code: string }).code).toBe('BAD_KEY');
  });

  it('serves the CA certificate', async () => {
    const res = await fetch(`${coordinator.url}/v1/security-credentials/tls/authority-certificate`);
    expect(((await res.json()) as { authorityCertificatePemString: string }).authorityCertificatePemString).toBe(coordinator.authority.certificatePem);
  });
});
