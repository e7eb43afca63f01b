/**
 * Gateway mode of the runner in a real core (issue 15), through real gRPC: `runner.setMode` is
 * refused without a TEE check and with a failing one (the sample outdated quote), allowed with
 * the sample quote that passes; the runner then serves TLS with its network certificate and asks
 * for no client certificate, and authenticates every call by its `x-gateway-auth-*` headers signed
 * with the practice coordinator's key (pinned on chain). Each refusal by name — a bad signature, a
 * stale timestamp, another model id, no headers — is UNAUTHENTICATED, never reaches the model and
 * is counted by reason. The chain names the runner's transport, and the practice coordinator's
 * gateway client mode (signing as model-runner-client 0.12 does) gets its rounds scored. Back in
 * mTLS the coordinator's rounds are accepted again.
 */
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerRefusalReason, RunnerView } from '@shared/contract/runner';
import { gatewayMetadata } from '@shared/protocol/smp-gateway';
import { dockerForTests } from '../runtime/helpers';
import { call, COMPETITION, joinRunner, MODEL, runnerClient, startParties, unary, untilRunner, type Parties } from './harness';

const env = await dockerForTests();
const tdx = (name: string): string => fileURLToPath(new URL(`../../fixtures/tdx/${name}`, import.meta.url));

const passing = { quoteB64: readFileSync(tdx('tdx_quote')).toString('base64'), collateral: JSON.parse(readFileSync(tdx('tdx_quote_collateral.json'), 'utf8')) as Record<string, unknown>, at: '2025-07-01T12:00:00.000Z' };
const failing = { quoteB64: readFileSync(tdx('tdx_quote_outdated')).toString('base64'), collateral: JSON.parse(readFileSync(tdx('tdx_quote_outdated_collateral.json'), 'utf8')) as Record<string, unknown>, at: '2026-03-01T12:00:00.000Z' };

describe.skipIf(env.skip)('gateway mode of a real runner, through real gRPC', () => {
  let p: Parties;
  let view: RunnerView;
  const clients: grpc.Client[] = [];
  const nowS = (): number => Math.floor(Date.now() / 1000);

  /** TLS trusting the network CA, no client key or certificate (as the public client in gateway mode). */
  function gatewayClient(): grpc.Client {
    const c = runnerClient(p, `127.0.0.1:${view.listen.port}`, 'DynamicSubclassService');
    clients.push(c);
    return c;
  }


  /** x-gateway-auth-* signed with the coordinator's key (the one pinned on chain), optionally spoiled. */
  function signed(modelId: string, timestamp: number, spoil?: (signature: Buffer) => void): grpc.Metadata {
    const md = new grpc.Metadata();
    const key = createPrivateKey(p.coordinator.clientCredentials.keyPem);
    const values = gatewayMetadata(modelId, timestamp, {
      sign: (bytes) => {
        const signature = sign('sha256', bytes, key);
        spoil?.(signature);
        return signature;
      },
      spkiDer: createPublicKey(key).export({ type: 'spki', format: 'der' }),
    });
    for (const [k, v] of Object.entries(values)) md.set(k, v);
    return md;
  }

  async function refusedBy(reason: RunnerRefusalReason, md: grpc.Metadata): Promise<void> {
    const before = (await untilRunner(p.core, () => true)).calls.refusedByReason[reason] ?? 0;
    const a = await unary(gatewayClient(), 'Call', { methodName: 'predict', methodArguments: [], methodKwArguments: [] }, md);
    expect(a).toEqual({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated', serverAuth: false });
    await untilRunner(p.core, (r) => (r.calls.refusedByReason[reason] ?? 0) === before + 1, 10_000);
  }

  beforeAll(async () => {
    p = await startParties();
    view = await joinRunner(p.core);
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await p?.stop();
  });

  it('is refused without a TEE check and with a failing one; the runner stays in mutual TLS', async () => {
    await expect(call(p.core, 'runner.setMode', { competitionId: COMPETITION, mode: 'gateway' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(call(p.core, 'runner.setMode', { competitionId: COMPETITION, mode: 'gateway', tee: failing })).rejects.toThrow(/FORBIDDEN Gateway mode needs a passed TEE check; this one failed \((quote|tcb_status)/);
    expect((await untilRunner(p.core, () => true)).mode).toBe('mtls');
    // Without a client certificate nothing reaches the runner in mTLS.
    const a = await unary(gatewayClient(), 'Setup', { className: 'TrackerBase' }, signed(MODEL, nowS()));
    expect(a.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('with a passed TEE check: TLS without a client certificate, signed calls served with x-server-auth-*', async () => {
    view = await call<RunnerView>(p.core, 'runner.setMode', { competitionId: COMPETITION, mode: 'gateway', tee: passing });
    expect(view.mode).toBe('gateway');
    expect(view.modeTee).toMatchObject({ ok: true, tcbStatus: 'UpToDate' });
    expect(view.state).toBe('serving');
    expect(view.detail).toContain('gateway mode');
    const svc = gatewayClient();
    expect(await unary(svc, 'Setup', { className: 'TrackerBase' }, signed(MODEL, nowS()))).toEqual({ code: grpc.status.OK, details: '', serverAuth: true });
    expect(await unary(svc, 'Call', { methodName: 'tick', methodArguments: [{ position: 1, data: { type: 6, value: Buffer.from('{"tick":0,"value":1.5}') } }], methodKwArguments: [] }, signed(MODEL, nowS()))).toMatchObject({ code: grpc.status.OK, serverAuth: true });
  });

  it('the chain names the runner as a gateway one, and the practice coordinator’s rounds in gateway client mode are scored', async () => {
    const found = await p.coordinator.discoverRunners();
    expect(found.targets).toEqual([{ address: `127.0.0.1:${view.listen.port}`, modelId: MODEL, transport: 'gateway' }]);
    const before = (await untilRunner(p.core, () => true)).calls.accepted;
    const { results } = await p.coordinator.runRound(found.targets, { ticks: 3 });
    expect(results[MODEL]).toMatchObject({ verdict: 'ok' });
    expect(results[MODEL]!.score).toBeGreaterThan(0);
    // Setup + 3 × (tick, predict), each accepted by its x-gateway-auth-* token.
    await untilRunner(p.core, (r) => r.calls.accepted >= before + 7, 10_000);
  }, 60_000);

  it('refuses a bad signature', () => refusedBy('gateway.signature', signed(MODEL, nowS(), (s) => (s[7] = s[7]! ^ 0x01))));
  it('refuses a stale timestamp', () => refusedBy('gateway.timestamp', signed(MODEL, nowS() - 120)));
  it('refuses a token for another model', () => refusedBy('gateway.model_id', signed('another-model', nowS())));
  it('refuses a call without x-gateway-auth-* (an mTLS-style coordinator)', () => refusedBy('gateway.metadata', new grpc.Metadata()));

  it('back in mutual TLS, the coordinator’s round is accepted again', async () => {
    view = await call<RunnerView>(p.core, 'runner.setMode', { competitionId: COMPETITION, mode: 'mtls' });
    expect(view).toMatchObject({ mode: 'mtls', modeTee: null });
    const found = await p.coordinator.discoverRunners();
    expect(found.targets).toEqual([{ address: `127.0.0.1:${view.listen.port}`, modelId: MODEL, transport: 'mtls' }]);
    const { results } = await p.coordinator.runRound(found.targets, { ticks: 2 });
    expect(results[MODEL]?.verdict).toBe('ok');
  }, 60_000);
});
