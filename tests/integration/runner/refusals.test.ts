/**
 * The runner's refusals over real mTLS gRPC, each by its own reason (PROTOCOLS §5): a client
 * certificate from another CA fails the handshake; a coordinator certificate not pinned on chain;
 * a forged x-auth-signature; a cert_pub of another key; a hotkey not on chain; a repeated x-auth
 * key. A refused call gets UNAUTHENTICATED `unauthenticated`, no x-server-auth-*, never reaches the
 * model, and is counted by reason. Then the coordinator's side: a runner certificate for another
 * model's name is refused, and after an SMP hotkey rotation a coordinator holding the old binding
 * refuses the runner while calls in flight finish. The message bytes equal Python's json.dumps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerRefusalReason, RunnerView } from '@shared/contract/runner';
import { fromBase64 } from '@shared/protocol/encoding';
import { pairFromSeed, walletFromSeed } from '@shared/protocol/identities';
import { certPub, signSmp, smpMessageBytes, smpMetadata, type SmpContainer } from '@shared/protocol/smp';
import { ChainClient } from '@devnet/chain/chain-client';
import { CertificateAuthority, generateRsaKeyPair, rsa2048Spki } from '@devnet/coordinator/ca';
import { RunnerCallError, type RunnerClient } from '@devnet/coordinator/runner-client';
import { registerPayoutHotkey } from '../devnet/coordinator/test-runner';
import { dockerForTests } from '../runtime/helpers';
import { call, COMPETITION, joinRunner, MODEL, runnerClient, startParties, unary, untilRunner, type Answer, type Parties } from './harness';

const env = await dockerForTests();

describe.skipIf(env.skip)('runner refusals and the coordinator’s checks', () => {
  let p: Parties;
  let view: RunnerView;
  let address: string;
  let otherCa: string;
  const clients: grpc.Client[] = [];
  const runnerClients: RunnerClient[] = [];

  /** A raw gRPC client with the given client certificate; the runner's name checked by SAN only. */
  function rawClient(keyPem: string, certPem: string): grpc.Client {
    const c = runnerClient(p, address, 'Health', { keyPem, certPem });
    clients.push(c);
    return c;
  }

  function serviceClient(keyPem: string, certPem: string): grpc.Client {
    const c = runnerClient(p, address, 'DynamicSubclassService', { keyPem, certPem });
    clients.push(c);
    return c;
  }


  const metadataOf = (container: SmpContainer): grpc.Metadata => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(smpMetadata(container, 'coordinator'))) md.set(k, v);
    return md;
  };

  const coordinatorCreds = () => p.coordinator.clientCredentials;
  const v1 = (fields: { cert_pub: string; hotkey: string }): SmpContainer => signSmp(p.coordinator.identity.walletSeed, fields).container;

  async function refusedBy(reason: RunnerRefusalReason, run: () => Promise<Answer>): Promise<void> {
    const before: number = (await untilRunner(p.core, () => true)).calls.refusedByReason[reason] ?? 0;
    const a = await run();
    expect(a).toEqual({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated', serverAuth: false });
    await untilRunner(p.core, (r) => (r.calls.refusedByReason[reason] ?? 0) === before + 1, 10_000);
  }

  beforeAll(async () => {
    // Chain facts at most 300 ms old here, so that a change on chain shows within the test.
    p = await startParties({ env: { MINERVA_RUNNER_CHAIN_REFRESH_MS: '300' } });
    view = await joinRunner(p.core);
    address = `127.0.0.1:${view.listen.port}`;
    otherCa = mkdtempSync(join(tmpdir(), 'minerva-runner-otherca-'));
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const c of runnerClients) c.close();
    await p?.stop();
    rmSync(otherCa, { recursive: true, force: true });
  });

  it('accepts the coordinator by v1 and by its pinned certificate (either), answering with x-server-auth-*', async () => {
    const creds = coordinatorCreds();
    const health = rawClient(creds.keyPem, creds.certPem);
    expect(await unary(health, 'Check', { service: '' }, new grpc.Metadata())).toEqual({ code: grpc.status.OK, details: '', serverAuth: true });
    const svc = serviceClient(creds.keyPem, creds.certPem);
    expect(await unary(svc, 'Setup', { className: 'TrackerBase' }, metadataOf(p.coordinator.identity.v1Container(creds.certPem)))).toMatchObject({ code: grpc.status.OK, serverAuth: true });
    expect(await unary(svc, 'Setup', { className: 'TrackerBase' }, new grpc.Metadata())).toMatchObject({ code: grpc.status.OK, serverAuth: true });
    // The runner's counts reach its status a moment after the answers (batched): wait for these three,
    // so the next test's "nothing reaches the runner" does not count them as its own.
    await untilRunner(p.core, (r) => r.calls.accepted >= 3, 10_000);
  });

  it('refuses a client certificate from another CA in the handshake: nothing reaches the runner', async () => {
    const ca = await CertificateAuthority.open(otherCa);
    const { publicKeyPem, privateKeyPem } = generateRsaKeyPair();
    const issued = await ca.issue({ spki: rsa2048Spki(publicKeyPem), commonName: 'practice-coordinator', usage: 'client', sanDns: [], daysValid: 1 });
    const before = (await untilRunner(p.core, () => true)).calls;
    const a = await unary(rawClient(privateKeyPem, issued.pem), 'Check', { service: '' }, new grpc.Metadata());
    expect(a.code).toBe(grpc.status.UNAVAILABLE);
    expect(a.serverAuth).toBe(false);
    const after = (await untilRunner(p.core, () => true)).calls;
    expect(after.accepted + after.refused).toBe(before.accepted + before.refused);
  });

  it('pinned: a network-CA client certificate whose hash is not on chain', async () => {
    const { publicKeyPem, privateKeyPem } = generateRsaKeyPair();
    const issued = await p.coordinator.authority.issue({ spki: rsa2048Spki(publicKeyPem), commonName: 'not-the-coordinator', usage: 'client', sanDns: [], daysValid: 1 });
    await refusedBy('pinned.cert_hash', () => unary(serviceClient(privateKeyPem, issued.pem), 'Setup', { className: 'TrackerBase' }, new grpc.Metadata()));
  });

  it('v1: a forged x-auth-signature', async () => {
    const creds = coordinatorCreds();
    const c = p.coordinator.identity.v1Container(creds.certPem);
    const sig = Buffer.from(c.signature_b64, 'base64');
    sig[5] = sig[5]! ^ 0x40;
    await refusedBy('v1.signature', () => unary(serviceClient(creds.keyPem, creds.certPem), 'Setup', { className: 'TrackerBase' }, metadataOf({ ...c, signature_b64: sig.toString('base64') })));
  });

  it('v1: a cert_pub of another key than this connection’s', async () => {
    const creds = coordinatorCreds();
    const { publicKeyPem } = generateRsaKeyPair();
    const other = await p.coordinator.authority.issue({ spki: rsa2048Spki(publicKeyPem), commonName: 'x', usage: 'client', sanDns: [], daysValid: 1 });
    const forged = v1({ cert_pub: certPub(other.pem), hotkey: p.coordinator.identity.hotkeyB58 });
    await refusedBy('v1.cert_pub', () => unary(serviceClient(creds.keyPem, creds.certPem), 'Call', { methodName: 'predict' }, metadataOf(forged)));
  });

  it('v1: a hotkey that is not the coordinator’s on chain', async () => {
    const creds = coordinatorCreds();
    const forged = v1({ cert_pub: certPub(creds.certPem), hotkey: walletFromSeed(new Uint8Array(32).fill(7)).address });
    await refusedBy('v1.hotkey', () => unary(serviceClient(creds.keyPem, creds.certPem), 'Rest', {}, metadataOf(forged)));
  });

  it('v1: another wallet than the chain’s, and a repeated x-auth key', async () => {
    const creds = coordinatorCreds();
    const other = signSmp(new Uint8Array(32).fill(9), { cert_pub: certPub(creds.certPem), hotkey: p.coordinator.identity.hotkeyB58 }).container;
    await refusedBy('v1.wallet_pubkey', () => unary(serviceClient(creds.keyPem, creds.certPem), 'Setup', { className: 'TrackerBase' }, metadataOf(other)));
    const md = metadataOf(p.coordinator.identity.v1Container(creds.certPem));
    md.add('x-auth-signature', md.get('x-auth-signature')[0] as string);
    await refusedBy('metadata', () => unary(serviceClient(creds.keyPem, creds.certPem), 'Setup', { className: 'TrackerBase' }, md));
  });

  it('policy v1 refuses a call without x-auth-*; pinned ignores x-auth-* entirely', async () => {
    const creds = coordinatorCreds();
    await call(p.core, 'runner.setPolicy', { competitionId: COMPETITION, policy: 'v1' });
    await refusedBy('v1.wallet_pubkey', () => unary(serviceClient(creds.keyPem, creds.certPem), 'Setup', { className: 'TrackerBase' }, new grpc.Metadata()));
    await call(p.core, 'runner.setPolicy', { competitionId: COMPETITION, policy: 'pinned' });
    const forged = v1({ cert_pub: certPub(creds.certPem), hotkey: walletFromSeed(new Uint8Array(32).fill(7)).address });
    expect(await unary(serviceClient(creds.keyPem, creds.certPem), 'Setup', { className: 'TrackerBase' }, metadataOf(forged))).toMatchObject({ code: grpc.status.OK, serverAuth: true });
    await call(p.core, 'runner.setPolicy', { competitionId: COMPETITION, policy: 'either' });
  });

  it('a coordinator certificate rotated on chain is accepted by pinned without a restart; the one before it stays valid as secondary', async () => {
    const old = coordinatorCreds();
    const fresh = await p.coordinator.rotateClientCertificate();
    await call(p.core, 'runner.setPolicy', { competitionId: COMPETITION, policy: 'pinned' });
    const deadline = Date.now() + 10_000;
    let answer: Answer | undefined;
    // The first call after the change may still meet the previous facts while they are read again.
    while (Date.now() < deadline) {
      answer = await unary(serviceClient(fresh.keyPem, fresh.certPem), 'Setup', { className: 'TrackerBase' }, new grpc.Metadata());
      if (answer.code === Number(grpc.status.OK)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(answer).toMatchObject({ code: grpc.status.OK, serverAuth: true });
    expect(await unary(serviceClient(old.keyPem, old.certPem), 'Setup', { className: 'TrackerBase' }, new grpc.Metadata())).toMatchObject({ code: grpc.status.OK });
    await call(p.core, 'runner.setPolicy', { competitionId: COMPETITION, policy: 'either' });
  });

  it('the coordinator refuses the runner for another model’s name (SAN), by name in the handshake', async () => {
    // Another model on chain, at this runner's address: only the certificate's name tells them apart.
    const chain = new ChainClient(p.network.endpoints.chain);
    const seed = new Uint8Array(32).fill(77);
    const payout = await registerPayoutHotkey(chain, COMPETITION, 'RefusalsOtherModel');
    const reg = await chain.sendTx('register_runner', { competition_id: COMPETITION, model_id: 'other-model', wallet_b58: walletFromSeed(seed).address, smp_hotkey_b58: walletFromSeed(new Uint8Array(32).fill(78)).address, address, payout_hotkey: payout }, pairFromSeed(seed, 'ed25519'));
    expect((await chain.waitForTx(reg.tx_id)).state).toBe('included');
    const c = p.coordinator.connectRunner({ address, modelId: 'other-model', chainCacheMs: 0 });
    runnerClients.push(c);
    const error = await c.check('').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RunnerCallError);
    expect((error as RunnerCallError).kind).toBe('tls');
  });

  it('the runner message is byte for byte Python’s json.dumps of its fields', async () => {
    const c = p.coordinator.connectRunner({ address, modelId: MODEL, chainCacheMs: 0 });
    runnerClients.push(c);
    let message: string | undefined;
    const health = rawClient(coordinatorCreds().keyPem, coordinatorCreds().certPem);
    await new Promise<void>((resolve) => {
      const call2 = (health as unknown as { Check: (r: unknown, md: grpc.Metadata, cb: () => void) => grpc.ClientUnaryCall }).Check({ service: '' }, new grpc.Metadata(), () => resolve());
      call2.on('metadata', (m: grpc.Metadata) => {
        message = m.get('x-server-auth-message')[0] as string;
      });
    });
    const bytes = Buffer.from(fromBase64(message!, 'message'));
    const fields = JSON.parse(bytes.toString('utf8')) as { cert_pub: string; hotkey: string; model_id: string };
    expect(Object.keys(fields)).toEqual(['cert_pub', 'hotkey', 'model_id']);
    // Our encoder writes exactly those bytes for those fields (what the runner signed).
    expect(bytes.equals(Buffer.from(smpMessageBytes(fields)))).toBe(true);
    // Python's json.dumps of the same fields, and of the fixture's (non-ASCII, above U+FFFF).
    const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'python-json-dumps.json'), 'utf8')) as { fields: typeof fields; bytes_b64: string };
    expect(Buffer.from(smpMessageBytes(fixture.fields)).equals(Buffer.from(fixture.bytes_b64, 'base64'))).toBe(true);
    const dumps = (f: typeof fields): Buffer | null => {
      try {
        return execFileSync('python3', ['-c', 'import json,sys; a=sys.argv; sys.stdout.write(json.dumps({"cert_pub": a[1], "hotkey": a[2], "model_id": a[3]}))', f.cert_pub, f.hotkey, f.model_id]);
      } catch {
        return null; // no python3 here: the checked-in fixture stands
      }
    };
    const live = dumps(fields);
    if (live) {
      expect(bytes.equals(live)).toBe(true);
      expect(dumps(fixture.fields)!.equals(Buffer.from(fixture.bytes_b64, 'base64'))).toBe(true);
    }
  });

  it('a hotkey rotation: calls in flight finish, the chain and the message move to the new hotkey, a coordinator holding the old binding refuses', async () => {
    const chain = new ChainClient(p.network.endpoints.chain);
    const before = (await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner!;
    // A coordinator that read the chain before the rotation and keeps it (the old binding).
    const holder = p.coordinator.connectRunner({ address, modelId: MODEL, chainCacheMs: 3_600_000 });
    runnerClients.push(holder);
    expect(await holder.check('')).toBe('SERVING');
    // Calls in flight across the rotation all complete at the gRPC level.
    const creds = coordinatorCreds();
    const health = rawClient(creds.keyPem, creds.certPem);
    const inFlight = Array.from({ length: 40 }, (_, i) => new Promise<Answer>((r) => setTimeout(() => void unary(health, 'Check', { service: '' }, new grpc.Metadata()).then(r), i * 5)));
    const rotated = await call<RunnerView>(p.core, 'runner.rotateHotkey', { competitionId: COMPETITION });
    const answers = await Promise.all(inFlight);
    expect(answers.every((a) => a.code === Number(grpc.status.OK) && a.serverAuth)).toBe(true);
    expect(rotated.smpHotkey!.index).toBe(view.smpHotkey!.index + 1);
    const after = (await chain.call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner!;
    expect(after.smp_hotkey_b58).toBe(rotated.smpHotkey!.address);
    expect(after.smp_hotkey_b58).not.toBe(before.smp_hotkey_b58);
    const refused = await holder.check('').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(RunnerCallError);
    expect((refused as RunnerCallError).reason).toBe('5:hotkey');
    // A coordinator reading the chain now accepts the new binding.
    const fresh = p.coordinator.connectRunner({ address, modelId: MODEL, chainCacheMs: 0 });
    runnerClients.push(fresh);
    expect(await fresh.check('')).toBe('SERVING');
  });
});
