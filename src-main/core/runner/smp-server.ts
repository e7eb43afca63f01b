/**
 * The runner's gRPC server (PROTOCOLS §5): mutual TLS with the network CA as the only client root
 * (`requireClientAuth`: a certificate from anywhere else fails the handshake) — or, in gateway
 * mode, TLS without a client certificate and signed `x-gateway-auth-*` calls — serving
 * `dynamic_subclass.DynamicSubclassService` and `grpc.health.v1.Health`. Each call is authenticated
 * by `authenticate` (or not at all when it is null: the bench's baseline) before it can reach the
 * model; a refusal is UNAUTHENTICATED `unauthenticated` with no metadata. Every successful response
 * carries the runner's `x-server-auth-*` initial metadata. Model faults are `Status` codes, never
 * gRPC errors; gRPC INTERNAL only for a bug here.
 */
import * as grpc from '@grpc/grpc-js';
import { AppError } from '@shared/contract/errors';
import type { RunnerRefusalReason } from '@shared/contract/runner';
import type { TeeRecord } from '@shared/contract/runtime';
import { classNameMatches, SMP_MAX_MESSAGE_BYTES, SMP_SERVICE } from '@shared/protocol/smp.proto';
import { decodeVariant, encodeVariant, jsonToVariant, VariantError, variantToJson, type Variant } from '@shared/protocol/smp-variant';
import { gatewayModeAllowed, type AuthVerdict } from './auth';
import { smpServices } from './smp-proto';

export type SmpStatusCode = 'SUCCESS' | 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'BAD_IMPLEMENTATION';

/** What the server forwards to: the competition's model (a container, or a trivial one in the bench). */
export interface SmpModel {
  setup(input: { className: string; args: unknown[]; kwargs: Record<string, unknown> }): Promise<unknown>;
  call(input: { method: string; args: unknown[]; kwargs: Record<string, unknown> }): Promise<unknown>;
  reset(): Promise<unknown>;
}

/** A model refusal with its §5 Status code (the runtime reports the model's own code). */
export class ModelStatusError extends Error {
  constructor(
    readonly code: Exclude<SmpStatusCode, 'SUCCESS'>,
    message: string,
  ) {
    super(message);
  }
}

export interface SmpCallRecord {
  /** `Setup`, `Call:<method>`, `Rest`, `Health/Check`. */
  method: string;
  outcome: 'accepted' | 'refused';
  reason: RunnerRefusalReason | null;
  /** Logged for refusals (which check, never key material). */
  detail: string | null;
  status: string | null;
  ms: number;
  /** For Call: the decoded arguments and the answer (the module keeps predictions). */
  call?: { method: string; args: unknown[]; result: unknown };
}

export interface SmpServerOptions {
  caPem: string;
  certPem: string;
  keyPem: string;
  host: string;
  port: number;
  /** The base class the competition declares (bare or dotted): Setup accepts a name with the same last segment. */
  className: string;
  model: SmpModel;
  /** null = no coordinator authentication (the bench's baseline only). */
  authenticate: ((peerCertDer: Uint8Array | undefined, get: (key: string) => readonly unknown[]) => AuthVerdict) | null;
  /** The runner's `x-server-auth-*` for the next response (read per call: a rotation applies at once). */
  serverMetadata: () => Record<string, string>;
  onCall?: (record: SmpCallRecord) => void;
  /**
   * `mtls` (default): a client certificate chaining to `caPem` is required in the handshake.
   * `gateway` (issue 15): TLS with the runner's certificate but no client certificate asked for —
   * a TLS-terminating proxy (a Phala gateway) or a coordinator trusting the network CA connects
   * without one — and `authenticate` checks `x-gateway-auth-*` on every call (auth.ts
   * `authenticateGateway`). Allowed only when the runner's TEE check passed
   * (`gatewayModeAllowed`); otherwise `start` refuses with FORBIDDEN.
   */
  transport?: { kind: 'mtls' } | { kind: 'gateway'; tee: TeeRecord | null };
}

/**
 * The client certificate of a call's connection. Node parses the whole certificate on every
 * `getPeerCertificate()`, so the DER is kept per HTTP/2 session (one TLS connection: its peer
 * certificate cannot change, HTTP/2 forbids renegotiation). When grpc-js does not expose the
 * session where expected, every call asks the socket again — slower, never wrong.
 */
const sessionPeers = new WeakMap<object, Uint8Array | null>();
function peerCertificateDer(call: grpc.ServerUnaryCall<unknown, unknown>): Uint8Array | undefined {
  // grpc-js hands the base call itself when the server has no interceptors, else the base call is
  // at the end of the `nextCall` chain.
  type Inner = { stream?: { session?: unknown }; nextCall?: Inner };
  let inner = (call as unknown as { call?: Inner }).call;
  for (let depth = 0; inner && !inner.stream && depth < 8; depth += 1) inner = inner.nextCall;
  const session = inner?.stream?.session;
  const key = typeof session === 'object' && session !== null ? session : undefined;
  if (key) {
    const hit = sessionPeers.get(key);
    if (hit !== undefined) return hit ?? undefined;
  }
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  const der = raw ? new Uint8Array(raw) : undefined;
  if (key) sessionPeers.set(key, der ?? null);
  return der;
}

/** A handler's answer: the response message, and for Call what the model saw and said (kept for predictions). */
interface Handled {
  response: unknown;
  call?: SmpCallRecord['call'];
}

type Unary = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

const ok = { code: 'SUCCESS', message: '' };

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function statusOf(code: SmpStatusCode, message: string): { code: string; message: string } {
  return { code, message };
}

/** Positional arguments sorted by position (1-based); a duplicate or position 0 is INVALID_ARGUMENT. */
function positional(list: unknown): unknown[] {
  const items = (Array.isArray(list) ? list : []) as { position?: number | string; data?: Variant }[];
  const seen = new Set<number>();
  const sorted = items.map((a) => ({ position: Number(a.position ?? 0), data: a.data })).sort((a, b) => a.position - b.position);
  for (const a of sorted) {
    if (!Number.isInteger(a.position) || a.position < 1) throw new ModelStatusError('INVALID_ARGUMENT', 'Argument positions start at 1.');
    if (seen.has(a.position)) throw new ModelStatusError('INVALID_ARGUMENT', `Argument position ${a.position} appears twice.`);
    seen.add(a.position);
  }
  return sorted.map((a) => variantArg(a.data));
}

function keywords(list: unknown): Record<string, unknown> {
  const items = (Array.isArray(list) ? list : []) as { keyword?: string; data?: Variant }[];
  const out: Record<string, unknown> = {};
  for (const k of items) {
    const name = str(k.keyword);
    if (name === '' || Object.prototype.hasOwnProperty.call(out, name)) throw new ModelStatusError('INVALID_ARGUMENT', `Keyword argument "${name}" is empty or repeated.`);
    out[name] = variantArg(k.data);
  }
  return out;
}

function variantArg(data: Variant | undefined): unknown {
  try {
    return variantToJson(decodeVariant(data));
  } catch (error) {
    if (error instanceof VariantError) throw new ModelStatusError('INVALID_ARGUMENT', error.message);
    throw error;
  }
}

export class SmpServer {
  private server: grpc.Server | undefined;
  private setUp = false;
  port = 0;

  constructor(private readonly o: SmpServerOptions) {}

  /** Binds (127.0.0.1 unless told otherwise) and serves; resolves with the port. */
  async start(): Promise<number> {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': SMP_MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': SMP_MAX_MESSAGE_BYTES });
    const services = smpServices();
    server.addService(services.DynamicSubclassService.service, {
      Setup: this.unary('Setup', true, (req) => this.setup(req)),
      Call: this.unary('Call', true, (req) => this.call(req)),
      Rest: this.unary('Rest', true, () => this.rest()),
    });
    server.addService(services.Health.service, {
      Check: this.unary('Health/Check', false, (req) => {
        const service = str(req.service);
        return Promise.resolve({ response: { status: service === '' || service === SMP_SERVICE ? 'SERVING' : 'SERVICE_UNKNOWN' } });
      }),
      Watch: (call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) => {
        const service = str(call.request.service);
        call.sendMetadata(this.metadata());
        call.write({ status: service === '' || service === SMP_SERVICE ? 'SERVING' : 'SERVICE_UNKNOWN' });
      },
    });
    let credentials: grpc.ServerCredentials;
    const transport = this.o.transport ?? { kind: 'mtls' };
    const keyCert = [{ private_key: Buffer.from(this.o.keyPem), cert_chain: Buffer.from(this.o.certPem) }];
    if (transport.kind === 'gateway') {
      const gate = gatewayModeAllowed(transport.tee);
      if (!gate.allowed) throw new AppError('FORBIDDEN', gate.why);
      credentials = grpc.ServerCredentials.createSsl(null, keyCert, false);
    } else {
      credentials = grpc.ServerCredentials.createSsl(Buffer.from(this.o.caPem), keyCert, true);
    }
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    this.port = await new Promise<number>((resolve, reject) => server.bindAsync(`${host}:${this.o.port}`, credentials, (error, port) => (error ? reject(error) : resolve(port))));
    this.server = server;
    return this.port;
  }

  /** Stops accepting calls; calls in flight finish (up to `graceMs`, then they are cut). */
  async stop(graceMs = 10_000): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.o.serverMetadata())) md.set(k, v);
    return md;
  }

  private unary(method: string, authenticated: boolean, handle: (request: Record<string, unknown>) => Promise<Handled>): Unary {
    return (call, callback) => {
      const started = performance.now();
      const request = call.request;
      const label = method === 'Call' ? `Call:${str(request.methodName)}` : method;
      if (authenticated && this.o.authenticate) {
        const verdict = this.o.authenticate(peerCertificateDer(call), (k) => call.metadata.get(k));
        if (!verdict.ok) {
          this.o.onCall?.({ method: label, outcome: 'refused', reason: verdict.reason, detail: verdict.detail, status: null, ms: performance.now() - started });
          callback({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
          return;
        }
      }
      handle(request).then(
        ({ response, call: detail }) => {
          call.sendMetadata(this.metadata());
          const status = (response as { status?: { code?: string } }).status?.code ?? null;
          const record: SmpCallRecord = { method: label, outcome: 'accepted', reason: null, detail: null, status, ms: performance.now() - started, ...(detail ? { call: detail } : {}) };
          callback(null, response);
          this.o.onCall?.(record);
        },
        (error: unknown) => {
          this.o.onCall?.({ method: label, outcome: 'accepted', reason: null, detail: null, status: 'INTERNAL', ms: performance.now() - started });
          callback({ code: grpc.status.INTERNAL, details: error instanceof Error ? error.message : 'runner error' });
        },
      );
    };
  }

  private async setup(req: Record<string, unknown>): Promise<Handled> {
    try {
      const className = str(req.className);
      if (!classNameMatches(this.o.className, className)) return { response: { status: statusOf('INVALID_ARGUMENT', `This runner serves the class ${this.o.className}.`) } };
      const args = positional(req.instanceArguments);
      const kwargs = keywords(req.instanceKwArguments);
      if (this.setUp) return { response: { status: ok } }; // idempotent until Rest
      await this.o.model.setup({ className, args, kwargs });
      this.setUp = true;
      return { response: { status: ok } };
    } catch (error) {
      return { response: { status: modelStatus(error) } };
    }
  }

  private async call(req: Record<string, unknown>): Promise<Handled> {
    const none = encodeVariant(null);
    try {
      const method = str(req.methodName);
      const args = positional(req.methodArguments);
      const kwargs = keywords(req.methodKwArguments);
      if (!this.setUp) return { response: { status: statusOf('FAILED_PRECONDITION', 'Call Setup first.'), methodResponse: none } };
      if (method === '') return { response: { status: statusOf('INVALID_ARGUMENT', 'No method named.'), methodResponse: none } };
      const result = await this.o.model.call({ method, args, kwargs });
      let methodResponse: Variant;
      try {
        methodResponse = jsonToVariant(result);
      } catch {
        return { response: { status: statusOf('BAD_IMPLEMENTATION', 'The model returned a value that cannot be encoded.'), methodResponse: none } };
      }
      return { response: { status: ok, methodResponse }, call: { method, args, result } };
    } catch (error) {
      return { response: { status: modelStatus(error), methodResponse: none } };
    }
  }

  private async rest(): Promise<Handled> {
    if (!this.setUp) return { response: { status: statusOf('FAILED_PRECONDITION', 'Nothing to rest: Setup was not called.') } };
    try {
      await this.o.model.reset();
      return { response: { status: ok } };
    } catch (error) {
      return { response: { status: modelStatus(error) } };
    } finally {
      this.setUp = false;
    }
  }
}

function modelStatus(error: unknown): { code: string; message: string } {
  if (error instanceof ModelStatusError) return statusOf(error.code, error.message);
  return statusOf('BAD_IMPLEMENTATION', error instanceof Error ? error.message.slice(0, 300) : 'The model failed.');
}
