/**
 * Gateway mode (crunchdao/model-runner-client 0.12 `security/gateway_*`, issue 15): Minerva's
 * runner serves TLS with its own certificate and asks for no client certificate. It is reached
 * behind a real TLS-terminating proxy (node:tls with ALPN h2, opening its own TLS connection to the
 * runner by its network name, as a Phala gateway in front of a TLS backend does) and directly by
 * a coordinator that trusts the network CA; it is called by a client loaded from the public
 * protos that trusts the proxy's CA only (standing in for the system CAs), sends no client
 * certificate, and signs every call exactly as the public interceptor builds it:
 * `json.dumps({"model_id", "timestamp"}, separators=(",", ":"))`, RSA PKCS#1 v1.5 / SHA-256, b64 of
 * the DER SPKI. A good call is served; a bad signature, a stale timestamp, a wrong model id, a key
 * not on chain and missing headers are each refused by name, before the model. The mode itself is
 * refused without a passed TEE check.
 */
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerRefusalReason } from '@shared/contract/runner';
import type { TeeRecord } from '@shared/contract/runtime';
import { isAppError } from '@shared/contract/errors';
import { authenticateGateway, type AuthVerdict, type CoordinatorFacts } from '@core/runner/auth';
import { SmpServer, type SmpServerOptions } from '@core/runner/smp-server';
import { CertificateAuthority, generateRsaKeyPair, rsa2048Spki } from '@devnet/coordinator/ca';

const FIXTURES = join(__dirname, '../../fixtures/crunch');
const MODEL_ID = '1234';
const GATEWAY_NAME = 'runner-1234.gateway.test';
const RUNNER_NAME = `model-node-${MODEL_ID}.crunchdao.internal`;

const passedTee: TeeRecord = { runnerId: 'r1', at: '2026-12-05T00:00:00.000Z', ok: true, tcbStatus: 'UpToDate', advisoryIds: [], checks: [{ name: 'quote', outcome: 'passed', message: '' }], mrTd: null, reportData: null, collateral: null };

function publicServices(): { DynamicSubclassService: grpc.ServiceClientConstructor; Health: grpc.ServiceClientConstructor } {
  const definition = protoLoader.loadSync(['dynamic_subclass.proto', 'health.proto'], { includeDirs: [FIXTURES], keepCase: true, longs: String, enums: Number, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { dynamic_subclass: { DynamicSubclassService: grpc.ServiceClientConstructor }; grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  return { DynamicSubclassService: loaded.dynamic_subclass.DynamicSubclassService, Health: loaded.grpc.health.v1.Health };
}

/** The public client's metadata (gateway_auth_interceptor.py `_build_auth_metadata`), written from that code. */
function gatewayMetadata(privateKeyPem: string, modelId: string, timestamp: number, tamper?: (sig: Buffer) => void): grpc.Metadata {
  const payload = Buffer.from(JSON.stringify({ model_id: modelId, timestamp }), 'utf8'); // ASCII ids: json.dumps(separators=(",", ":")) writes the same bytes
  const key = createPrivateKey(privateKeyPem);
  const signature = sign('sha256', payload, key); // RSA: PKCS#1 v1.5
  tamper?.(signature);
  const md = new grpc.Metadata();
  md.set('x-gateway-auth-message', payload.toString('base64'));
  md.set('x-gateway-auth-signature', signature.toString('base64'));
  md.set('x-gateway-auth-pubkey', createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64'));
  return md;
}

interface Answer {
  code: grpc.status;
  details: string;
  response?: Record<string, unknown>;
}

describe('gateway mode: the runner behind a TLS-terminating proxy, signed x-gateway-auth-* calls', () => {
  let dir: string;
  let runner: SmpServer;
  let proxy: TlsServer;
  let proxyCaPem = '';
  let proxyPort = 0;
  let runnerPort = 0;
  let networkCaPem = '';
  let baseOptions: SmpServerOptions;
  const verdicts: AuthVerdict[] = [];
  const modelCalls: string[] = [];
  const clients: grpc.Client[] = [];
  const pub = publicServices();
  let coordinatorKey: { privateKeyPem: string };
  let strangerKey: { privateKeyPem: string };
  const nowS = (): number => Math.floor(Date.now() / 1000);

  function client(kind: 'service' | 'health', direct = false): grpc.Client {
    // The library: grpc.ssl_channel_credentials() (system roots; here the proxy's CA), no client key or certificate.
    // `direct`: the same client straight to the runner, trusting the network CA instead.
    const creds = grpc.credentials.createSsl(Buffer.from(direct ? networkCaPem : proxyCaPem));
    const Ctor = kind === 'service' ? pub.DynamicSubclassService : pub.Health;
    const name = direct ? RUNNER_NAME : GATEWAY_NAME;
    const c = new Ctor(`127.0.0.1:${direct ? runnerPort : proxyPort}`, creds, { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name });
    clients.push(c);
    return c;
  }

  function unary(c: grpc.Client, method: string, request: unknown, md: grpc.Metadata): Promise<Answer> {
    return new Promise((resolve) => {
      const fn = (c as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)[method]!.bind(c);
      fn(request, md, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response?: Record<string, unknown>) => resolve({ code: error ? error.code : grpc.status.OK, details: error ? error.details : '', response }));
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'minerva-crunch-gateway-'));
    // The proxy's public certificate (a CA of its own standing in for a public one).
    const proxyCa = await CertificateAuthority.open(join(dir, 'proxy'));
    proxyCaPem = proxyCa.certificatePem;
    const proxyKey = generateRsaKeyPair();
    const proxyCert = (await proxyCa.issue({ spki: rsa2048Spki(proxyKey.publicKeyPem), commonName: GATEWAY_NAME, usage: 'server', sanDns: [GATEWAY_NAME], daysValid: 1 })).pem;
    // The network's CA and the runner's own certificate: the runner serves TLS with it, the proxy checks it by name.
    const networkCa = await CertificateAuthority.open(join(dir, 'network'));
    const runnerKey = generateRsaKeyPair();
    const runnerName = RUNNER_NAME;
    networkCaPem = networkCa.certificatePem;
    const runnerCert = (await networkCa.issue({ spki: rsa2048Spki(runnerKey.publicKeyPem), commonName: runnerName, usage: 'server', sanDns: [runnerName], daysValid: 1 })).pem;
    const coordinator = generateRsaKeyPair();
    coordinatorKey = coordinator;
    strangerKey = generateRsaKeyPair();
    const hashOf = (publicKeyPem: string): string => createHash('sha256').update(createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex');
    const facts: CoordinatorFacts = { walletB58: 'w', hotkey: 'h', certHashes: ['0'.repeat(64), hashOf(coordinator.publicKeyPem)] };
    baseOptions = {
      caPem: networkCa.certificatePem,
      certPem: runnerCert,
      keyPem: runnerKey.privateKeyPem,
      host: '127.0.0.1',
      port: 0,
      className: 'TrackerBase',
      model: {
        setup: () => {
          modelCalls.push('setup');
          return Promise.resolve(null);
        },
        call: (input) => {
          modelCalls.push(input.method);
          return Promise.resolve(0.5);
        },
        reset: () => Promise.resolve(null),
      },
      authenticate: (_peer, get) => {
        const verdict = authenticateGateway(facts, MODEL_ID, get, Date.now());
        verdicts.push(verdict);
        return verdict;
      },
      serverMetadata: () => ({}),
      transport: { kind: 'gateway', tee: passedTee },
    };
    runner = new SmpServer(baseOptions);
    runnerPort = await runner.start();
    proxy = createTlsServer({ key: proxyKey.privateKeyPem, cert: proxyCert, ALPNProtocols: ['h2'] }, (tls) => {
      // TLS again to the runner, checked by its network name (no client certificate: gateway mode asks for none).
      const upstream = tlsConnect({ port: runnerPort, host: '127.0.0.1', servername: RUNNER_NAME, ca: networkCaPem, ALPNProtocols: ['h2'] });
      tls.pipe(upstream).pipe(tls);
      const close = (): void => {
        tls.destroy();
        upstream.destroy();
      };
      tls.on('error', close);
      upstream.on('error', close);
    });
    proxyPort = await new Promise<number>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as { port: number }).port)));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await runner?.stop(1000);
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const setup = { className: 'birdgame.trackers.trackerbase.TrackerBase', instanceArguments: [], instanceKwArguments: [] };

  it('a good call through the proxy, no client certificate: served', async () => {
    const svc = client('service');
    const a = await unary(svc, 'Setup', setup, gatewayMetadata(coordinatorKey.privateKeyPem, MODEL_ID, nowS()));
    expect(a.code).toBe(grpc.status.OK);
    expect(a.response).toMatchObject({ status: { code: 'SUCCESS' } });
    expect(verdicts.at(-1)).toEqual({ ok: true, mechanism: 'gateway' });
    const call = await unary(svc, 'Call', { methodName: 'predict', methodArguments: [], methodKwArguments: [] }, gatewayMetadata(coordinatorKey.privateKeyPem, MODEL_ID, nowS()));
    expect(call.response).toMatchObject({ status: { code: 'SUCCESS' }, methodResponse: { type: 1 } });
  });

  it('straight to the runner over TLS with its network certificate, no client certificate: served; unsigned: refused', async () => {
    const svc = client('service', true);
    const a = await unary(svc, 'Setup', setup, gatewayMetadata(coordinatorKey.privateKeyPem, MODEL_ID, nowS()));
    expect(a).toMatchObject({ code: grpc.status.OK, response: { status: { code: 'SUCCESS' } } });
    const unsigned = await unary(svc, 'Call', { methodName: 'predict', methodArguments: [], methodKwArguments: [] }, new grpc.Metadata());
    expect(unsigned).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
    expect(verdicts.at(-1)).toMatchObject({ ok: false, reason: 'gateway.metadata' });
  });

  it('health needs no gateway headers (as the public runner skips them)', async () => {
    expect(await unary(client('health'), 'Check', { service: '' }, new grpc.Metadata())).toMatchObject({ code: grpc.status.OK, response: { status: 1 } });
  });

  const refusals: [string, RunnerRefusalReason, () => grpc.Metadata][] = [
    ['a bad signature', 'gateway.signature', () => gatewayMetadata(coordinatorKey.privateKeyPem, MODEL_ID, nowS(), (sig) => (sig[10] = sig[10]! ^ 1))],
    ['a stale timestamp (31 s old)', 'gateway.timestamp', () => gatewayMetadata(coordinatorKey.privateKeyPem, MODEL_ID, nowS() - 31)],
    // nowS() floors (up to 1 s early) and the runner checks a moment later: 33 s keeps the token
    // more than the allowed 30 s ahead however late in the second it was made (31 failed once in CI).
    ['a timestamp 33 s ahead', 'gateway.timestamp', () => gatewayMetadata(coordinatorKey.privateKeyPem, MODEL_ID, nowS() + 33)],
    ['a token for another model', 'gateway.model_id', () => gatewayMetadata(coordinatorKey.privateKeyPem, '9999', nowS())],
    ['a valid signature by a key not on chain', 'gateway.cert_hash', () => gatewayMetadata(strangerKey.privateKeyPem, MODEL_ID, nowS())],
    ['no x-gateway-auth-* at all', 'gateway.metadata', () => new grpc.Metadata()],
  ];
  for (const [what, reason, md] of refusals) {
    it(`refuses ${what}: UNAUTHENTICATED, reason ${reason}, the model never called`, async () => {
      const before = modelCalls.length;
      const a = await unary(client('service'), 'Call', { methodName: 'predict', methodArguments: [], methodKwArguments: [] }, md());
      expect(a).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
      expect(verdicts.at(-1)).toMatchObject({ ok: false, reason });
      expect(modelCalls.length).toBe(before);
    });
  }

  it('the mode is refused without a passed TEE check', async () => {
    const refused = async (options: SmpServerOptions): Promise<string> => {
      const s = new SmpServer(options);
      try {
        await s.start();
        return 'started';
      } catch (error) {
        return isAppError(error) ? error.code : 'other';
      } finally {
        await s.stop(100);
      }
    };
    expect(await refused({ ...baseOptions, transport: { kind: 'gateway', tee: null } })).toBe('FORBIDDEN');
    expect(await refused({ ...baseOptions, transport: { kind: 'gateway', tee: { ...passedTee, ok: false, checks: [{ name: 'mr_td', outcome: 'failed', message: 'not pinned' }] } } })).toBe('FORBIDDEN');
  });
});
