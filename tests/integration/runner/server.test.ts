/**
 * The runner's gRPC server on its own (real mTLS, certificates from a real CA, an in-process
 * model): §5's Status codes and Variants — class name, Setup idempotent until Rest, Call/Rest
 * before Setup, argument order and duplicates, unsupported Variants, INTs beyond 2^53, dotted class names, model
 * faults — the health service, and x-server-auth-* on every answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerDnsName } from '@shared/protocol/smp.proto';
import { decodeVariant, encodeVariant, type Variant } from '@shared/protocol/smp-variant';
import { smpServices } from '@core/runner/smp-proto';
import { ModelStatusError, SmpServer, type SmpCallRecord } from '@core/runner/smp-server';
import { CertificateAuthority, generateRsaKeyPair, rsa2048Spki } from '@devnet/coordinator/ca';

const NAME = runnerDnsName('m1', 'practice.local');

describe('the runner gRPC server', () => {
  let dir: string;
  let server: SmpServer;
  let svc: grpc.Client;
  let health: grpc.Client;
  const calls: SmpCallRecord[] = [];
  const modelLog: string[] = [];
  /** The client certificate the server handed to authentication, per call. */
  const peers: (Uint8Array | undefined)[] = [];

  const unary = (c: grpc.Client, method: string, request: unknown): Promise<{ answer: Record<string, unknown>; serverAuth: boolean }> =>
    new Promise((resolve, reject) => {
      let serverAuth = false;
      const call = (c as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void) => grpc.ClientUnaryCall>)[method]!(request, (e, v) => (e ? reject(e) : resolve({ answer: v, serverAuth })));
      call.on('metadata', (m: grpc.Metadata) => {
        serverAuth = m.get('x-server-auth-message')[0] === 'bWVzc2FnZQ==';
      });
    });
  const status = async (method: string, request: unknown): Promise<string> => ((await unary(svc, method, request)).answer.status as { code: string }).code;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'minerva-runner-server-'));
    const ca = await CertificateAuthority.open(dir);
    const key = generateRsaKeyPair();
    const cert = await ca.issue({ spki: rsa2048Spki(key.publicKeyPem), commonName: NAME, usage: 'server', sanDns: [NAME], daysValid: 1 });
    const client = generateRsaKeyPair();
    const clientCert = await ca.issue({ spki: rsa2048Spki(client.publicKeyPem), commonName: 'c', usage: 'client', sanDns: [], daysValid: 1 });
    server = new SmpServer({
      caPem: ca.certificatePem,
      certPem: cert.pem,
      keyPem: key.privateKeyPem,
      host: '127.0.0.1',
      port: 0,
      className: 'TrackerBase',
      model: {
        setup: (input) => {
          modelLog.push(`setup:${JSON.stringify(input.kwargs)}`);
          return Promise.resolve({ ok: true });
        },
        call: (input) => {
          modelLog.push(`call:${input.method}:${JSON.stringify(input.args)}`);
          if (input.method === 'echo') return Promise.resolve(input.args.length === 1 ? input.args[0] : input.args);
          if (input.method === 'nothing') return Promise.resolve(null);
          if (input.method === 'bad') return Promise.reject(new ModelStatusError('INVALID_ARGUMENT', 'bad arguments'));
          return Promise.reject(new Error('the model threw'));
        },
        reset: () => {
          modelLog.push('reset');
          return Promise.resolve({ ok: true });
        },
      },
      // Accepts every call, and records which certificate object it was given.
      authenticate: (peer) => {
        peers.push(peer);
        return { ok: true, mechanism: 'pinned' };
      },
      serverMetadata: () => ({ 'x-server-auth-message': 'bWVzc2FnZQ==', 'x-server-auth-signature': 'c2ln', 'x-server-wallet-pubkey': 'w' }),
      onCall: (r) => calls.push(r),
    });
    const port = await server.start();
    const creds = grpc.credentials.createSsl(Buffer.from(ca.certificatePem), Buffer.from(client.privateKeyPem), Buffer.from(clientCert.pem));
    const options = { 'grpc.ssl_target_name_override': NAME, 'grpc.default_authority': NAME };
    svc = new (smpServices().DynamicSubclassService)(`127.0.0.1:${port}`, creds, options);
    health = new (smpServices().Health)(`127.0.0.1:${port}`, creds, options);
  });

  afterAll(async () => {
    svc?.close();
    health?.close();
    await server?.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers health for "" and the service, SERVICE_UNKNOWN otherwise, with x-server-auth-*', async () => {
    expect(await unary(health, 'Check', { service: '' })).toEqual({ answer: { status: 'SERVING' }, serverAuth: true });
    expect((await unary(health, 'Check', { service: 'dynamic_subclass.DynamicSubclassService' })).answer.status).toBe('SERVING');
    expect((await unary(health, 'Check', { service: 'other' })).answer.status).toBe('SERVICE_UNKNOWN');
  });

  it('Call and Rest before Setup are FAILED_PRECONDITION; Setup takes only the competition’s class and is idempotent until Rest', async () => {
    expect(await status('Call', { methodName: 'echo' })).toBe('FAILED_PRECONDITION');
    expect(await status('Rest', {})).toBe('FAILED_PRECONDITION');
    expect(await status('Setup', { className: 'OtherBase' })).toBe('INVALID_ARGUMENT');
    expect(await status('Setup', { className: 'TrackerBase', instanceKwArguments: [{ keyword: 'order', data: encodeVariant(2n) }] })).toBe('SUCCESS');
    expect(await status('Setup', { className: 'TrackerBase' })).toBe('SUCCESS');
    expect(modelLog.filter((l) => l.startsWith('setup'))).toEqual(['setup:{"order":2}']);
    expect(await status('Rest', {})).toBe('SUCCESS');
    expect(await status('Call', { methodName: 'echo' })).toBe('FAILED_PRECONDITION');
    expect(await status('Setup', { className: 'TrackerBase' })).toBe('SUCCESS');
  });

  it('passes arguments in position order as JSON values and answers with the Variant of the result', async () => {
    const { answer, serverAuth } = await unary(svc, 'Call', {
      methodName: 'echo',
      methodArguments: [
        { position: 2, data: encodeVariant('two') },
        { position: 1, data: encodeVariant({ json: { value: 1.5 } }) },
      ],
    });
    expect(serverAuth).toBe(true);
    expect((answer.status as { code: string }).code).toBe('SUCCESS');
    expect(decodeVariant(answer.methodResponse as Variant)).toEqual({ json: [{ value: 1.5 }, 'two'] });
    const one = await unary(svc, 'Call', { methodName: 'echo', methodArguments: [{ position: 1, data: encodeVariant(2.25) }] });
    expect(decodeVariant(one.answer.methodResponse as Variant)).toBe(2.25);
    const none = await unary(svc, 'Call', { methodName: 'nothing' });
    expect((none.answer.methodResponse as Variant).type).toBe('NONE');
  });

  it('refuses duplicate positions, PARQUET, ARROW and a bad DOUBLE as INVALID_ARGUMENT, before the model', async () => {
    const before = modelLog.length;
    expect(await status('Call', { methodName: 'echo', methodArguments: [{ position: 1, data: encodeVariant(1) }, { position: 1, data: encodeVariant(2) }] })).toBe('INVALID_ARGUMENT');
    expect(await status('Call', { methodName: 'echo', methodArguments: [{ position: 1, data: { type: 'PARQUET', value: Buffer.from([1]) } }] })).toBe('INVALID_ARGUMENT');
    expect(await status('Call', { methodName: 'echo', methodArguments: [{ position: 1, data: { type: 'ARROW', value: Buffer.from([1]) } }] })).toBe('INVALID_ARGUMENT');
    expect(await status('Call', { methodName: 'echo', methodArguments: [{ position: 1, data: { type: 'DOUBLE', value: Buffer.alloc(7) } }] })).toBe('INVALID_ARGUMENT');
    expect(modelLog.length).toBe(before);
  });

  it('an INT beyond 2^53 reaches the model as its exact decimal string; within, as a number', async () => {
    const big = -(2n ** 63n);
    const { answer } = await unary(svc, 'Call', { methodName: 'echo', methodArguments: [{ position: 1, data: encodeVariant(big) }, { position: 2, data: encodeVariant(2n ** 53n - 1n) }] });
    expect((answer.status as { code: string }).code).toBe('SUCCESS');
    expect(modelLog.at(-1)).toBe(`call:echo:["-9223372036854775808",${2 ** 53 - 1}]`);
  });

  it('Setup accepts the class as a dotted module path or bare, by its last segment', async () => {
    expect(await status('Setup', { className: 'birdgame.trackers.trackerbase.TrackerBase' })).toBe('SUCCESS');
    expect(await status('Setup', { className: 'birdgame.trackers.trackerbase.OtherBase' })).toBe('INVALID_ARGUMENT');
    expect(await status('Setup', { className: 'birdgame.trackers.' })).toBe('INVALID_ARGUMENT');
  });

  it('the model’s own INVALID_ARGUMENT passes through; anything it throws is BAD_IMPLEMENTATION with methodResponse NONE', async () => {
    expect(await status('Call', { methodName: 'bad' })).toBe('INVALID_ARGUMENT');
    const thrown = await unary(svc, 'Call', { methodName: 'explode' });
    expect(thrown.answer.status).toEqual({ code: 'BAD_IMPLEMENTATION', message: 'the model threw' });
    expect((thrown.answer.methodResponse as Variant).type).toBe('NONE');
    expect(calls.some((c) => c.method === 'Call:explode' && c.status === 'BAD_IMPLEMENTATION' && c.outcome === 'accepted')).toBe(true);
  });

  it('reads the client certificate once per connection, not once per call (Node parses it on every read)', async () => {
    peers.length = 0;
    for (let i = 0; i < 5; i += 1) await unary(svc, 'Call', { methodName: 'echo', methodArguments: [{ position: 1, data: encodeVariant(i) }] });
    expect(peers).toHaveLength(5);
    expect(peers[0]).toBeInstanceOf(Uint8Array);
    expect(new Set(peers).size).toBe(1);
  });
});
