/**
 * A minimal SMP runner for the coordinator's tests (the app's runner is other work): gRPC with
 * mTLS (client certificate required, the network CA), the shared .proto text, a TrackerBase model
 * (tick stores the value, predict returns the last one as DOUBLE) and `x-server-auth-*` initial
 * metadata on every successful response. `mode` breaks one §5 check at a time.
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { ChainClient } from '@devnet/chain/chain-client';
import { generateRsaKeyPair } from '@devnet/coordinator/ca';
import { decodeVariant, encodeVariant, loadSmpPackage, type Variant } from '@devnet/coordinator/smp-grpc';
import { toBase64 } from '@shared/protocol/encoding';
import { pairFromSuri, walletFromSeed } from '@shared/protocol/identities';
import { certPub, signSmp, smpContainerFromMetadata, smpMetadata, type SmpContainer } from '@shared/protocol/smp';
import { CERT_REQUEST_PATH, certificateRequestSigningBytes, runnerDnsName, SMP_MAX_MESSAGE_BYTES } from '@shared/protocol/smp.proto';

/** A hotkey registered in `competitionId` (sr25519, from a dev URI): the payout hotkey `register_runner` names. */
export async function registerPayoutHotkey(chain: ChainClient, competitionId: string, name: string): Promise<string> {
  const hot = pairFromSuri(`//${name}Hot`, 'sr25519');
  const cold = pairFromSuri(`//${name}Cold`, 'sr25519');
  const { tx_id } = await chain.sendTx('register_hotkey', { competition_id: competitionId, hotkey: hot.address, coldkey: cold.address }, hot);
  const status = await chain.waitForTx(tx_id);
  if (status.state !== 'included') throw new Error(`register_hotkey failed: ${JSON.stringify(status)}`);
  return hot.address;
}

export type RunnerMode = 'honest' | 'no-metadata' | 'wallet' | 'signature' | 'keys' | 'cert_pub' | 'hotkey' | 'model_id';

export interface Credentials {
  keyPem: string;
  certPem: string;
  caPem: string;
}

/** A runner certificate from the real certificate service, asked with the runner wallet's signature. */
export async function obtainRunnerCertificate(serviceUrl: string, competitionId: string, modelId: string, walletSeed: Uint8Array): Promise<Credentials> {
  const { publicKeyPem, privateKeyPem } = generateRsaKeyPair();
  const san = runnerDnsName(modelId, 'practice.local');
  const body = JSON.stringify({ tlsPublicKeyPemString: publicKeyPem, commonName: san, isClient: false, isServer: true, sanDns: [san], daysValid: 7 });
  const ts = Math.floor(Date.now() / 1000);
  const sig = ed25519.sign(certificateRequestSigningBytes(competitionId, modelId, ts, createHash('sha256').update(body).digest('hex')), walletSeed);
  const res = await fetch(`${serviceUrl}${CERT_REQUEST_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-smp-wallet-pubkey': walletFromSeed(walletSeed).address, 'x-smp-timestamp': String(ts), 'x-smp-signature': toBase64(sig) },
    body,
  });
  if (res.status !== 200) throw new Error(`certificate service answered ${res.status}: ${await res.text()}`);
  const answer = (await res.json()) as { authorityCertificatePemString: string; tlsCertificatePemString: string };
  return { keyPem: privateKeyPem, certPem: answer.tlsCertificatePemString, caPem: answer.authorityCertificatePemString };
}

export interface TestRunnerOptions {
  credentials: Credentials;
  walletSeed: Uint8Array;
  hotkey: string;
  modelId: string;
  className: string;
  /** Keys for the broken modes. */
  otherWalletSeed: Uint8Array;
  otherCertPem: string;
}

export class TestRunner {
  mode: RunnerMode = 'honest';
  /** Every coordinator call as received: its x-auth-* container (if any) and client certificate. */
  readonly received: { method: string; container: SmpContainer | undefined; peerCertDer: Uint8Array | undefined }[] = [];
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': SMP_MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': SMP_MAX_MESSAGE_BYTES });
  private last: number | null = null;
  private ready = false;
  port = 0;

  constructor(private readonly o: TestRunnerOptions) {
    const pkg = loadSmpPackage();
    const wrap =
      (method: string, handle: (request: Record<string, unknown>) => unknown) =>
      (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
        let container: SmpContainer | undefined;
        try {
          container = smpContainerFromMetadata((k) => call.metadata.get(k), 'coordinator');
        } catch {
          container = undefined;
        }
        const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
        this.received.push({ method, container, peerCertDer: raw ? new Uint8Array(raw) : undefined });
        let answer: unknown;
        try {
          answer = handle(call.request);
        } catch (error) {
          callback(error as grpc.ServiceError); // a rejected call carries no x-server-auth-*
          return;
        }
        const md = this.serverMetadata();
        if (md) call.sendMetadata(md);
        callback(null, answer);
      };
    this.server.addService(pkg.DynamicSubclassService.service, {
      Setup: wrap('Setup', (req) => {
        if (req.className !== this.o.className) return { status: { code: 'INVALID_ARGUMENT', message: 'unknown class' } };
        this.ready = true;
        return { status: { code: 'SUCCESS', message: '' } };
      }),
      Call: wrap('Call', (req) => {
        const none = encodeVariant(null);
        if (!this.ready) return { status: { code: 'FAILED_PRECONDITION', message: 'setup first' }, methodResponse: none };
        const args = (req.methodArguments as { position: number; data: Variant }[]) ?? [];
        if (req.methodName === 'tick') {
          const v = decodeVariant(args[0]?.data);
          this.last = typeof v === 'object' && v !== null && 'json' in v ? Number((v.json as { value: number }).value) : null;
          return { status: { code: 'SUCCESS', message: '' }, methodResponse: none };
        }
        if (req.methodName === 'predict') return { status: { code: 'SUCCESS', message: '' }, methodResponse: encodeVariant(this.last) };
        // Above gRPC's default 4 MiB: the 64 MiB limit of §5 must be configured on both sides.
        if (req.methodName === 'big') return { status: { code: 'SUCCESS', message: '' }, methodResponse: encodeVariant('x'.repeat(5 * 1024 * 1024)) };
        // An older runner aborting with a gRPC code instead of Status.
        if (req.methodName === 'legacy') throw Object.assign(new Error('bad arguments'), { code: grpc.status.INVALID_ARGUMENT });
        return { status: { code: 'INVALID_ARGUMENT', message: 'unknown method' }, methodResponse: none };
      }),
      Rest: wrap('Rest', () => {
        this.ready = false;
        return { status: { code: 'SUCCESS', message: '' } };
      }),
    });
    this.server.addService(pkg.Health.service, { Check: wrap('Check', () => ({ status: 'SERVING' })), Watch: () => undefined });
  }

  private serverMetadata(): grpc.Metadata | undefined {
    if (this.mode === 'no-metadata') return undefined;
    const o = this.o;
    const fields = { cert_pub: certPub(o.credentials.certPem), hotkey: o.hotkey, model_id: o.modelId };
    let container: SmpContainer;
    switch (this.mode) {
      case 'wallet':
        container = signSmp(o.otherWalletSeed, fields).container;
        break;
      case 'signature': {
        const c = signSmp(o.walletSeed, fields).container;
        const sig = Buffer.from(c.signature_b64, 'base64');
        sig[0] = sig[0]! ^ 0x01;
        container = { ...c, signature_b64: sig.toString('base64') };
        break;
      }
      case 'keys':
        container = signSmp(o.walletSeed, { cert_pub: fields.cert_pub, hotkey: fields.hotkey }).container;
        break;
      case 'cert_pub':
        container = signSmp(o.walletSeed, { ...fields, cert_pub: certPub(o.otherCertPem) }).container;
        break;
      case 'hotkey':
        container = signSmp(o.walletSeed, { ...fields, hotkey: walletFromSeed(new Uint8Array(32).fill(99)).address }).container;
        break;
      case 'model_id':
        container = signSmp(o.walletSeed, { ...fields, model_id: 'other-model' }).container;
        break;
      default:
        container = signSmp(o.walletSeed, fields).container;
    }
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(smpMetadata(container, 'runner'))) md.set(k, v);
    return md;
  }

  async start(): Promise<number> {
    return this.startAt(0);
  }

  async startAt(port: number): Promise<number> {
    const creds = grpc.ServerCredentials.createSsl(Buffer.from(this.o.credentials.caPem), [{ private_key: Buffer.from(this.o.credentials.keyPem), cert_chain: Buffer.from(this.o.credentials.certPem) }], true);
    this.port = await new Promise<number>((resolve, reject) => this.server.bindAsync(`127.0.0.1:${port}`, creds, (error, port) => (error ? reject(error) : resolve(port))));
    return this.port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
