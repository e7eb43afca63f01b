/**
 * Minerva's runner gRPC server (real mTLS, certificates from a real CA, the runner's own
 * authentication) driven by a client built from the PUBLIC Crunch protos (tests/fixtures/crunch/)
 * and sending metadata exactly as crunchdao/model-runner-client does (issue 15):
 * - 0.12: mTLS with the coordinator certificate and no x-auth-* at all (the runner pins the
 *   certificate's key hash on chain);
 * - ≤ 0.11: the same plus `x-auth-message` / `x-auth-signature` / `x-auth-wallet-pubkey`, the
 *   coordinator's wallet delegation `{"cert_pub": …, "hotkey": …}` in Python's json.dumps form.
 * Each under each runner policy (v1 / pinned / either). The runner's answer metadata is checked the
 * way the public client's `WalletTlsAuthInterceptor` / `verify_wallet_delegation` do, written here
 * from that code (not with Minerva's verifier). The server's name is `model-node-<id>.crunchdao.internal`,
 * the name the library dials.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerAuthPolicy } from '@shared/contract/runner';
import { fromBase58, toBase58 } from '@shared/protocol/encoding';
import { signSmp } from '@shared/protocol/smp';
import { runnerDnsName } from '@shared/protocol/smp.proto';
import { authenticateCoordinator, type AuthVerdict, type CoordinatorFacts } from '@core/runner/auth';
import { SmpServer } from '@core/runner/smp-server';
import { CertificateAuthority, generateRsaKeyPair, rsa2048Spki } from '@devnet/coordinator/ca';

const FIXTURES = join(__dirname, '../../fixtures/crunch');
const MODEL_ID = '1234';
const NAME = runnerDnsName(MODEL_ID, 'crunchdao.internal');

/** The public library's services, loaded from its own .proto files. */
function publicServices(): { DynamicSubclassService: grpc.ServiceClientConstructor; Health: grpc.ServiceClientConstructor; VariantType: Record<string, number> } {
  const definition = protoLoader.loadSync(['dynamic_subclass.proto', 'health.proto'], { includeDirs: [FIXTURES], keepCase: true, longs: String, enums: Number, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    dynamic_subclass: { DynamicSubclassService: grpc.ServiceClientConstructor };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const enumType = definition['commons.VariantType'] as unknown as { type: { value: { name: string; number: number }[] } };
  const VariantType = Object.fromEntries(enumType.type.value.map((v) => [v.name, v.number]));
  return { DynamicSubclassService: loaded.dynamic_subclass.DynamicSubclassService, Health: loaded.grpc.health.v1.Health, VariantType };
}

const spkiOf = (pem: string): Buffer => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });

/** json.dumps({"cert_pub": …, "hotkey": …}) with Python's default separators (ASCII values). */
const pythonDelegation = (certPubB64: string, hotkey: string): Buffer => Buffer.from(`{"cert_pub": "${certPubB64}", "hotkey": "${hotkey}"}`, 'utf8');

interface Answer {
  code: grpc.status;
  details: string;
  response?: Record<string, unknown>;
  serverMetadata: grpc.Metadata | null;
}

describe('Minerva’s runner and the public Crunch client (model-runner-client 0.12 / ≤ 0.11)', () => {
  let dir: string;
  let server: SmpServer;
  let policy: RunnerAuthPolicy = 'either';
  const clients: grpc.Client[] = [];
  const verdicts: AuthVerdict[] = [];
  const pub = publicServices();
  let serverCertPem = '';
  const runnerWalletSeed = new Uint8Array(32).fill(7);
  const runnerWallet = toBase58(ed25519.getPublicKey(runnerWalletSeed));
  const coordinatorSeed = new Uint8Array(32).fill(9);
  const coordinatorWallet = toBase58(ed25519.getPublicKey(coordinatorSeed));
  const coordinatorHotkey = '5CoordinatorHotkeyForTheTest';
  let facts: CoordinatorFacts;
  let coordinator: { keyPem: string; certPem: string };
  let stranger: { keyPem: string; certPem: string };
  let caPem = '';
  let port = 0;

  function client(kind: 'service' | 'health', who: { keyPem: string; certPem: string }): grpc.Client {
    // The library: grpc.ssl_channel_credentials(root=ca.crt, key=tls.key, chain=tls.crt), target model-node-<id>.crunchdao.internal.
    const creds = grpc.credentials.createSsl(Buffer.from(caPem), Buffer.from(who.keyPem), Buffer.from(who.certPem));
    const options = { 'grpc.ssl_target_name_override': NAME, 'grpc.default_authority': NAME };
    const Ctor = kind === 'service' ? pub.DynamicSubclassService : pub.Health;
    const c = new Ctor(`127.0.0.1:${port}`, creds, options);
    clients.push(c);
    return c;
  }

  function unary(c: grpc.Client, method: string, request: unknown, md: grpc.Metadata): Promise<Answer> {
    return new Promise((resolve) => {
      let serverMetadata: grpc.Metadata | null = null;
      const fn = (c as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)[method]!.bind(c);
      const call = fn(request, md, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response?: Record<string, unknown>) =>
        resolve({ code: error ? error.code : grpc.status.OK, details: error ? error.details : '', response, serverMetadata }),
      );
      call.on('metadata', (m: grpc.Metadata) => {
        serverMetadata = m;
      });
    });
  }

  /** ≤ 0.11: the coordinator's delegation as x-auth-* metadata (ASCII, base64 / base58). */
  function v011Metadata(certPem: string): grpc.Metadata {
    const message = pythonDelegation(spkiOf(certPem).toString('base64'), coordinatorHotkey);
    const md = new grpc.Metadata();
    md.set('x-auth-message', message.toString('base64'));
    md.set('x-auth-signature', Buffer.from(ed25519.sign(message, coordinatorSeed)).toString('base64'));
    md.set('x-auth-wallet-pubkey', coordinatorWallet);
    return md;
  }

  /** The public client's check of the runner's answer (security/wallet_gelegation.py, verify_wallet_delegation). */
  function publicClientAccepts(md: grpc.Metadata | null): boolean {
    if (!md) return false;
    const one = (k: string): string | undefined => (md.get(k)[0] as string | undefined) ?? undefined;
    const message64 = one('x-server-auth-message');
    const signature64 = one('x-server-auth-signature');
    const wallet58 = one('x-server-wallet-pubkey');
    if (!message64 || !signature64 || !wallet58) return false;
    if (wallet58 !== runnerWallet) return false;
    const message = Buffer.from(message64, 'base64');
    if (!ed25519.verify(Buffer.from(signature64, 'base64'), message, fromBase58(wallet58, 'wallet', { length: 32 }))) return false;
    const payload = JSON.parse(message.toString('utf8')) as { cert_pub?: string; model_id?: string };
    if (!payload.cert_pub || !Buffer.from(payload.cert_pub, 'base64').equals(spkiOf(serverCertPem))) return false;
    return payload.model_id === MODEL_ID;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'minerva-crunch-client-'));
    const ca = await CertificateAuthority.open(dir);
    caPem = ca.certificatePem;
    const key = generateRsaKeyPair();
    serverCertPem = (await ca.issue({ spki: rsa2048Spki(key.publicKeyPem), commonName: NAME, usage: 'server', sanDns: [NAME], daysValid: 1 })).pem;
    const issueClient = async (cn: string): Promise<{ keyPem: string; certPem: string }> => {
      const k = generateRsaKeyPair();
      return { keyPem: k.privateKeyPem, certPem: (await ca.issue({ spki: rsa2048Spki(k.publicKeyPem), commonName: cn, usage: 'client', sanDns: [], daysValid: 1 })).pem };
    };
    coordinator = await issueClient('coordinator');
    stranger = await issueClient('another-coordinator');
    facts = { walletB58: coordinatorWallet, hotkey: coordinatorHotkey, certHashes: [createHash('sha256').update(spkiOf(coordinator.certPem)).digest('hex'), '0'.repeat(64)] };
    const runnerMessage = signSmp(runnerWalletSeed, { cert_pub: spkiOf(serverCertPem).toString('base64'), hotkey: '5RunnerHotkey', model_id: MODEL_ID }).container;
    let setUp = false;
    server = new SmpServer({
      caPem,
      certPem: serverCertPem,
      keyPem: key.privateKeyPem,
      host: '127.0.0.1',
      port: 0,
      className: 'TrackerBase',
      model: {
        setup: () => {
          setUp = true;
          return Promise.resolve(null);
        },
        call: (input) => Promise.resolve(input.method === 'predict' ? { mean: setUp ? 1.5 : 0 } : null),
        reset: () => Promise.resolve(null),
      },
      authenticate: (peer, get) => {
        const verdict = authenticateCoordinator(policy, facts, peer, get);
        verdicts.push(verdict);
        return verdict;
      },
      serverMetadata: () => ({ 'x-server-auth-message': runnerMessage.message_b64, 'x-server-auth-signature': runnerMessage.signature_b64, 'x-server-wallet-pubkey': runnerMessage.wallet_pubkey_b58 }),
    });
    port = await server.start();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  const setupRequest = { className: 'birdgame.trackers.trackerbase.TrackerBase', instanceArguments: [], instanceKwArguments: [] };

  async function setupAs(who: 'coordinator' | 'stranger', version: '0.12' | '0.11'): Promise<{ ok: boolean; reason: string | null; runnerAccepted: boolean }> {
    const creds = who === 'coordinator' ? coordinator : stranger;
    const md = version === '0.12' ? new grpc.Metadata() : v011Metadata(creds.certPem);
    verdicts.length = 0;
    const a = await unary(client('service', creds), 'Setup', setupRequest, md);
    if (a.code !== grpc.status.OK) {
      expect(a).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
      expect(a.serverMetadata?.get('x-server-auth-message') ?? []).toEqual([]);
    } else {
      expect(a.response).toMatchObject({ status: { code: 'SUCCESS' } });
    }
    const verdict = verdicts.at(-1);
    return { ok: a.code === grpc.status.OK, reason: verdict && !verdict.ok ? verdict.reason : null, runnerAccepted: publicClientAccepts(a.serverMetadata) };
  }

  it('health: Check("") over mTLS answers SERVING without coordinator authentication, signed as the library checks', async () => {
    policy = 'v1';
    const a = await unary(client('health', coordinator), 'Check', { service: '' }, new grpc.Metadata());
    expect(a.code).toBe(grpc.status.OK);
    expect(a.response).toEqual({ status: 1 }); // SERVING, the number the library compares
    expect(publicClientAccepts(a.serverMetadata)).toBe(true);
  });

  // [policy, client version, the coordinator's pinned certificate?] → accepted, or the refusal reason
  const matrix: [RunnerAuthPolicy, '0.12' | '0.11', 'coordinator' | 'stranger', true | string][] = [
    ['v1', '0.12', 'coordinator', 'v1.wallet_pubkey'],
    ['v1', '0.11', 'coordinator', true],
    ['v1', '0.11', 'stranger', true], // v1 trusts the wallet delegation naming this connection's key, not the pin
    ['pinned', '0.12', 'coordinator', true],
    ['pinned', '0.11', 'coordinator', true], // x-auth-* ignored
    ['pinned', '0.12', 'stranger', 'pinned.cert_hash'],
    ['pinned', '0.11', 'stranger', 'pinned.cert_hash'],
    ['either', '0.12', 'coordinator', true],
    ['either', '0.11', 'coordinator', true],
    ['either', '0.12', 'stranger', 'pinned.cert_hash'],
    ['either', '0.11', 'stranger', true], // x-auth-* present: v1 alone decides
  ];
  for (const [p, version, who, expected] of matrix) {
    it(`policy ${p}, library ${version}, ${who === 'coordinator' ? 'the coordinator’s pinned certificate' : 'a network certificate not pinned on chain'}: ${expected === true ? 'accepted' : `refused (${expected})`}`, async () => {
      policy = p;
      const r = await setupAs(who, version);
      if (expected === true) expect(r).toEqual({ ok: true, reason: null, runnerAccepted: true });
      else expect(r).toEqual({ ok: false, reason: expected, runnerAccepted: false });
    });
  }

  it('the SAN domain follows the network: a runner certified for practice.local is refused by a client dialing the Crunch name', async () => {
    const ca = await CertificateAuthority.open(dir);
    const key = generateRsaKeyPair();
    const practiceName = runnerDnsName(MODEL_ID, 'practice.local');
    const practiceCert = (await ca.issue({ spki: rsa2048Spki(key.publicKeyPem), commonName: practiceName, usage: 'server', sanDns: [practiceName], daysValid: 1 })).pem;
    const other = new SmpServer({
      caPem,
      certPem: practiceCert,
      keyPem: key.privateKeyPem,
      host: '127.0.0.1',
      port: 0,
      className: 'TrackerBase',
      model: { setup: () => Promise.resolve(null), call: () => Promise.resolve(null), reset: () => Promise.resolve(null) },
      authenticate: null,
      serverMetadata: () => ({}),
    });
    const otherPort = await other.start();
    try {
      const creds = grpc.credentials.createSsl(Buffer.from(caPem), Buffer.from(coordinator.keyPem), Buffer.from(coordinator.certPem));
      const dial = (name: string): grpc.Client => {
        const c = new pub.Health(`127.0.0.1:${otherPort}`, creds, { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name });
        clients.push(c);
        return c;
      };
      expect((await unary(dial(NAME), 'Check', { service: '' }, new grpc.Metadata())).code).toBe(grpc.status.UNAVAILABLE);
      expect((await unary(dial(practiceName), 'Check', { service: '' }, new grpc.Metadata())).code).toBe(grpc.status.OK);
    } finally {
      await other.stop(1000);
    }
  });

  it('a full round as the README drives it: Setup(dotted class), Call("tick", JSON 6), Call("predict") → JSON 6 back', async () => {
    policy = 'either';
    const svc = client('service', coordinator);
    expect((await unary(svc, 'Setup', setupRequest, new grpc.Metadata())).response).toMatchObject({ status: { code: 'SUCCESS' } });
    const payload = Buffer.from('{"falcon_location": 21.179864629354732, "time": 230.96231205799998, "dove_location": 19.164986723324326, "falcon_id": 1}');
    const tick = await unary(svc, 'Call', { methodName: 'tick', methodArguments: [{ position: 1, data: { type: pub.VariantType.JSON, value: payload } }], methodKwArguments: [] }, new grpc.Metadata());
    expect(tick.response).toMatchObject({ status: { code: 'SUCCESS' }, methodResponse: { type: pub.VariantType.NONE } });
    const predict = await unary(svc, 'Call', { methodName: 'predict', methodArguments: [], methodKwArguments: [] }, new grpc.Metadata());
    const answer = predict.response as { status: { code: string }; methodResponse: { type: number; value: Buffer } };
    expect(answer.status.code).toBe('SUCCESS');
    expect(answer.methodResponse.type).toBe(pub.VariantType.JSON);
    expect(JSON.parse(answer.methodResponse.value.toString('utf8'))).toEqual({ mean: 1.5 });
  });
});
