/**
 * The coordinator's gRPC client of one model runner (PROTOCOLS §5): mutual TLS with the
 * coordinator's client certificate, the server checked by name `model-node-<model_id>.<domain>`
 * (never by IP) against the network CA, its leaf pinned for the client's lifetime, optional v1
 * `x-auth-*` metadata on every call, and the runner's `x-server-auth-*` initial metadata verified
 * on every response: (1) wallet, (2) signature, (3) keys, (4) cert_pub, (5) hotkey, (6) model_id,
 * with the runner's wallet and hotkey read from the chain (cached at most `chainCacheMs`).
 * Any failure fails the call with `RunnerCallError` (`reason` names the check).
 *
 * Gateway mode (issue 15; a runner registered on chain with `transport: "gateway"`): TLS checked
 * the same way but no client certificate, and every call carries `x-gateway-auth-*` signed with
 * the coordinator's RSA key (the one whose hash is pinned on chain) exactly as the public client
 * builds them — crunchdao/model-runner-client 0.12,
 * model_runner_client/security/gateway_auth_interceptor.py (`_build_auth_metadata`: json.dumps of
 * {"model_id", "timestamp": int(time.time())} with separators (",", ":"), RSA PKCS#1 v1.5 +
 * SHA-256, b64 of the DER SubjectPublicKeyInfo) and gateway_credentials.py (RSA keys only).
 */
import { createPrivateKey, createPublicKey, sign as rsaSign, type KeyObject } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { bytesEqual } from '@shared/protocol/encoding';
import { gatewayMetadata } from '@shared/protocol/smp-gateway';
import { smpContainerFromMetadata, smpMetadata, spkiFromCertificate, verifySmp, walletKeyFromB58, type SmpContainer } from '@shared/protocol/smp';
import { runnerDnsName, SMP_MAX_MESSAGE_BYTES } from '@shared/protocol/smp.proto';
import type { RunnerView } from '@shared/protocol/chain-api';
import type { ChainClient } from '../chain/chain-client';
import { decodeVariant, encodeVariant, loadSmpPackage, type Variant, type VariantValue } from './smp-grpc';

export interface RunnerClientOptions {
  /** `127.0.0.1:<port>` (or any host:port): where the runner listens. The name checked is never this. */
  address: string;
  competitionId: string;
  modelId: string;
  domain: string;
  caPem: string;
  clientKeyPem: string;
  clientCertPem: string;
  chain: ChainClient;
  /** v1 authentication: the coordinator's signed container, sent as `x-auth-*` on every call (mTLS only). */
  v1?: SmpContainer;
  /** Gateway mode: no client certificate; every call signed with this RSA key (PEM) as `x-gateway-auth-*`. */
  gateway?: { keyPem: string };
  /** Unix seconds for the gateway token (tests). */
  nowSeconds?: () => number;
  /** How long chain facts (runner wallet, hotkey) may be reused (default 5 s; §5 allows up to 300 s). */
  chainCacheMs?: number;
  /** Deadline of each call (default 30 s). */
  deadlineMs?: number;
  /** Called once per call with its verdict (`ok`, `auth:<n>:<check>`, `grpc:<code>`, `tls`); never key material. */
  onCall?: (event: { modelId: string; method: string; verdict: string; durationMs: number }) => void;
}

export type RunnerFailure = 'auth' | 'grpc' | 'tls';

export class RunnerCallError extends Error {
  constructor(
    readonly kind: RunnerFailure,
    /** `auth`: `<n>:<check>` of §5 (or `0:metadata` when absent/malformed); `grpc`: the status name. */
    readonly reason: string,
    message: string,
    readonly grpcCode?: grpc.status,
  ) {
    super(message);
  }
}

export interface SmpStatus {
  code: string;
  message: string;
}

export interface CallResult {
  status: SmpStatus;
  value: VariantValue;
}

type UnaryMethod = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: unknown) => void) => grpc.ClientUnaryCall;

/** gRPC status codes an older runner aborts with, as the §5 `Status.code` they stand for. */
const LEGACY_CODES: Partial<Record<grpc.status, string>> = {
  [grpc.status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [grpc.status.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
};

export class RunnerClient {
  readonly serverName: string;
  private readonly service: grpc.Client;
  private readonly health: grpc.Client;
  private pinnedLeaf: Uint8Array | undefined;
  private pinnedSpki: Uint8Array | undefined;
  private tlsFailure: string | undefined;
  private runnerCache: { at: number; view: RunnerView | null } | undefined;

  private readonly gatewayKey: { key: KeyObject; spkiDer: Uint8Array } | undefined;

  constructor(private readonly options: RunnerClientOptions) {
    this.serverName = runnerDnsName(options.modelId, options.domain);
    const verify = { checkServerIdentity: (_host: string, cert: PeerCertificate) => this.checkServer(cert) };
    if (options.gateway) {
      const key = createPrivateKey(options.gateway.keyPem);
      if (key.asymmetricKeyType !== 'rsa') throw new TypeError('Gateway mode signs with RSA keys only.');
      this.gatewayKey = { key, spkiDer: new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' })) };
    }
    // Gateway mode: TLS with the CA, no client key or certificate (the public client's ssl_channel_credentials()).
    const credentials = options.gateway
      ? grpc.credentials.createSsl(Buffer.from(options.caPem), null, null, verify)
      : grpc.credentials.createSsl(Buffer.from(options.caPem), Buffer.from(options.clientKeyPem), Buffer.from(options.clientCertPem), verify);
    const channelOptions: grpc.ChannelOptions = {
      'grpc.ssl_target_name_override': this.serverName,
      'grpc.default_authority': this.serverName,
      'grpc.max_receive_message_length': SMP_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': SMP_MAX_MESSAGE_BYTES,
    };
    const pkg = loadSmpPackage();
    this.service = new pkg.DynamicSubclassService(options.address, credentials, channelOptions);
    // The health client shares the channel, hence the connection and the pinned leaf.
    this.health = new pkg.Health(options.address, credentials, { ...channelOptions, channelOverride: this.service.getChannel() });
  }

  /** The runner's name by SAN (never by IP) under the CA, then the pin: the first leaf seen is the only one accepted. */
  private checkServer(cert: PeerCertificate): Error | undefined {
    const byName = checkServerIdentity(this.serverName, cert);
    if (byName) {
      this.tlsFailure = `the runner certificate is not for ${this.serverName}`;
      return byName;
    }
    const raw = new Uint8Array(cert.raw);
    if (this.pinnedLeaf === undefined) {
      this.pinnedLeaf = raw;
      this.pinnedSpki = spkiFromCertificate(raw);
    } else if (!bytesEqual(this.pinnedLeaf, raw)) {
      this.tlsFailure = 'the runner presented another certificate than the pinned one';
      return new Error(this.tlsFailure);
    }
    this.tlsFailure = undefined;
    return undefined;
  }

  /** SPKI DER of the pinned runner leaf (after the first call). */
  get pinnedSpkiDer(): Uint8Array | undefined {
    return this.pinnedSpki;
  }

  close(): void {
    this.service.close();
  }

  private async runnerOnChain(): Promise<RunnerView | null> {
    const ttl = this.options.chainCacheMs ?? 5000;
    const now = Date.now();
    if (this.runnerCache && now - this.runnerCache.at < ttl) return this.runnerCache.view;
    const view = (await this.options.chain.call('chain_getRunner', { competition_id: this.options.competitionId, model_id: this.options.modelId })).runner;
    this.runnerCache = { at: now, view };
    return view;
  }

  /** Forgets cached chain facts (the next call reads the chain). */
  refreshChainFacts(): void {
    this.runnerCache = undefined;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.gatewayKey) {
      const { key, spkiDer } = this.gatewayKey;
      const now = this.options.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
      for (const [k, v] of Object.entries(gatewayMetadata(this.options.modelId, now, { sign: (bytes) => rsaSign('sha256', bytes, key), spkiDer }))) md.set(k, v);
      return md;
    }
    if (this.options.v1) for (const [k, v] of Object.entries(smpMetadata(this.options.v1, 'coordinator'))) md.set(k, v);
    return md;
  }

  /** One unary call; the response counts only when the runner's initial metadata verifies. */
  private async unary(client: grpc.Client, method: string, request: unknown): Promise<unknown> {
    const started = performance.now();
    const report = (verdict: string): void => this.options.onCall?.({ modelId: this.options.modelId, method, verdict, durationMs: performance.now() - started });
    const runner = await this.runnerOnChain();
    if (!runner) {
      report('auth:1:wallet');
      throw new RunnerCallError('auth', '1:wallet', `No runner is registered on chain for model ${this.options.modelId}.`);
    }
    const fn = (client as unknown as Record<string, UnaryMethod>)[method]!.bind(client);
    let initial: grpc.Metadata | undefined;
    let response: unknown;
    try {
      response = await new Promise<unknown>((resolve, reject) => {
        const call = fn(request, this.metadata(), { deadline: Date.now() + (this.options.deadlineMs ?? 30_000) }, (error, value) => (error ? reject(error) : resolve(value)));
        call.on('metadata', (md: grpc.Metadata) => {
          initial = md;
        });
      });
    } catch (error) {
      const e = error as grpc.ServiceError;
      if (this.tlsFailure !== undefined && e.code === grpc.status.UNAVAILABLE) {
        report('tls');
        throw new RunnerCallError('tls', 'tls', this.tlsFailure, e.code);
      }
      report(`grpc:${grpc.status[e.code] ?? e.code}`);
      throw new RunnerCallError('grpc', grpc.status[e.code] ?? String(e.code), e.details || e.message, e.code);
    }
    let container: SmpContainer | undefined;
    try {
      container = initial ? smpContainerFromMetadata((k) => initial!.get(k), 'runner') : undefined;
    } catch {
      container = undefined;
    }
    if (!container || !this.pinnedSpki) {
      report('auth:0:metadata');
      throw new RunnerCallError('auth', '0:metadata', 'The runner sent no valid x-server-auth-* metadata.');
    }
    const verdict = verifySmp(container, {
      role: 'runner',
      expectedWallet: walletKeyFromB58(runner.wallet_b58),
      peerSpki: this.pinnedSpki,
      expectedHotkey: runner.smp_hotkey_b58,
      expectedModelId: this.options.modelId,
    });
    if (!verdict.valid) {
      report(`auth:${verdict.reason}`);
      throw new RunnerCallError('auth', verdict.reason, verdict.message);
    }
    report('ok');
    return response;
  }

  private async callWithStatus(method: 'Setup' | 'Call' | 'Rest', request: unknown): Promise<{ status: SmpStatus; methodResponse?: Variant }> {
    try {
      const r = (await this.unary(this.service, method, request)) as { status?: SmpStatus; methodResponse?: Variant };
      return { status: r.status ?? { code: 'SUCCESS', message: '' }, ...(r.methodResponse ? { methodResponse: r.methodResponse } : {}) };
    } catch (error) {
      // Older servers abort with gRPC codes instead of Status: accept both forms.
      if (!(error instanceof RunnerCallError) || error.kind !== 'grpc' || error.grpcCode === undefined) throw error;
      const legacy = LEGACY_CODES[error.grpcCode];
      if (legacy === undefined) throw error;
      return { status: { code: legacy, message: error.message } };
    }
  }

  /** `grpc.health.v1.Health/Check`: `SERVING`, `NOT_SERVING`, … (verified like every response). */
  async check(service = ''): Promise<string> {
    const r = (await this.unary(this.health, 'Check', { service })) as { status: string };
    return r.status;
  }

  async setup(className: string, args: readonly VariantValue[] = [], kwargs: Readonly<Record<string, VariantValue>> = {}): Promise<SmpStatus> {
    return (await this.callWithStatus('Setup', { className, instanceArguments: positional(args), instanceKwArguments: keywords(kwargs) })).status;
  }

  async call(methodName: string, args: readonly VariantValue[] = [], kwargs: Readonly<Record<string, VariantValue>> = {}): Promise<CallResult> {
    const r = await this.callWithStatus('Call', { methodName, methodArguments: positional(args), methodKwArguments: keywords(kwargs) });
    return { status: r.status, value: r.methodResponse ? decodeVariant(r.methodResponse) : null };
  }

  async rest(): Promise<SmpStatus> {
    return (await this.callWithStatus('Rest', {})).status;
  }
}

function positional(args: readonly VariantValue[]): { position: number; data: Variant }[] {
  return args.map((a, i) => ({ position: i + 1, data: encodeVariant(a) }));
}

function keywords(kwargs: Readonly<Record<string, VariantValue>>): { keyword: string; data: Variant }[] {
  return Object.entries(kwargs).map(([keyword, v]) => ({ keyword, data: encodeVariant(v) }));
}

export interface RoundResult {
  /** Per tick: the prediction the runner returned (null when its Status was not SUCCESS). */
  predictions: (VariantValue | null)[];
  statuses: string[];
}

/** §5 "a typical round": Setup(className), then per tick Call("tick", JSON) and Call("predict"). */
export async function driveRound(client: RunnerClient, className: string, ticks: readonly unknown[]): Promise<RoundResult> {
  const setup = await client.setup(className);
  const statuses = [`Setup:${setup.code}`];
  const predictions: (VariantValue | null)[] = [];
  if (setup.code !== 'SUCCESS') return { predictions, statuses };
  for (const tick of ticks) {
    const t = await client.call('tick', [{ json: tick }]);
    const p = await client.call('predict');
    statuses.push(`tick:${t.status.code}`, `predict:${p.status.code}`);
    predictions.push(p.status.code === 'SUCCESS' ? p.value : null);
  }
  return { predictions, statuses };
}
