import type { z } from 'zod';
import { AppError } from '@shared/contract/errors';
import type { KeyRequestBody } from '@shared/protocol/key-request';
import { KEY_ENDPOINTS, parseKeyResponse } from '@shared/protocol/key-request';
import { minerRequestMessage } from '@shared/protocol/miner-request';
import { scopeFor, type ScopeType } from '@shared/protocol/hkdf-keys';
import { uuidV4 } from '@shared/protocol/urn';
import {
  jobOutcomeAnswerSchema,
  jobStateAnswerSchema,
  leaseAnswerSchema,
  minerJobsSchema,
  offchainPutAnswerSchema,
  ROUTER_PATHS,
  routerErrorSchema,
  type JobStateWire,
  type MinerJobWire,
} from '@shared/protocol/router-api';

/**
 * The miner's side of the router (PROTOCOLS §2.3, §2.5, §2.6): every job-API and offchain call
 * signed with the EOA's §2.6 headers, key requests with the EIP-191 signature of the scope.
 * Signing happens in the vault; this client only sees addresses and signatures. Request and
 * answer bodies are never logged (they carry keys and ciphertext).
 */
export interface EoaSigner {
  /** The EOA's EIP-55 address (known after lock). Throws VAULT_MISSING when there is none. */
  address(): string;
  /** EIP-191 personal_sign, `0x`-hex. Throws VAULT_LOCKED while the wallet is locked. */
  sign(message: string): string;
}

/** Why a router call did not succeed: `status` null for a network fault (refused, reset, timeout). */
export class RouterCallError extends Error {
  override readonly name = 'RouterCallError';
  constructor(
    readonly status: number | null,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** Worth trying again later: the router was unreachable, overloaded or failed inside. */
  get retryable(): boolean {
    return this.status === null || this.status >= 500 || this.status === 429 || this.code === 'NONCE_REPLAYED' || this.code === 'STALE_TIMESTAMP';
  }
}

export interface RouterClientOptions {
  baseUrl: string;
  signer: EoaSigner;
  now: () => Date;
  /** Per-call timeout (default 10 s); the long poll's is its wait plus this, at most 5 s more (a hung poll holds up new jobs). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const enc = new TextEncoder();

export class RouterClient {
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: RouterClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.doFetch = options.fetch ?? fetch;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  private headers(method: string, path: string, body: Uint8Array | undefined): Record<string, string> {
    const address = this.options.signer.address();
    const nonce = uuidV4();
    const timestamp = String(Math.floor(this.options.now().getTime() / 1000));
    const signature = this.options.signer.sign(minerRequestMessage({ method, path, address, nonce, timestamp, ...(body ? { body } : {}) }));
    return { 'X-Miner-Address': address, 'X-Miner-Timestamp': timestamp, 'X-Miner-Nonce': nonce, 'X-Miner-Signature': signature };
  }

  /** One HTTP exchange; the answer's text (never logged) or a RouterCallError. */
  private async exchange(method: string, pathAndQuery: string, init: { headers: Record<string, string>; body?: Uint8Array; timeoutMs: number; signal?: AbortSignal }): Promise<{ status: number; text: string }> {
    // One controller per call, tied to the caller's signal by a listener removed afterwards (no
    // AbortSignal.any on the worker's long-lived signal, which would keep every call reachable).
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, init.timeoutMs);
    const onAbort = (): void => ctl.abort();
    if (init.signal?.aborted) ctl.abort();
    else init.signal?.addEventListener('abort', onAbort, { once: true });
    const cut = (what: string): RouterCallError => {
      if (init.signal?.aborted) return new RouterCallError(null, 'ABORTED', 'The call was stopped.');
      if (timedOut) return new RouterCallError(null, 'TIMEOUT', 'The router did not answer in time.');
      return new RouterCallError(null, 'NETWORK_ERROR', what);
    };
    let res: Response;
    let text: string;
    try {
      try {
        res = await this.doFetch(`${this.options.baseUrl}${pathAndQuery}`, {
          method,
          headers: { ...init.headers, ...(init.body ? { 'content-type': 'application/json' } : {}) },
          ...(init.body ? { body: Buffer.from(init.body) } : {}),
          signal: ctl.signal,
        });
      } catch {
        throw cut('The router cannot be reached.');
      }
      try {
        text = await res.text();
      } catch {
        throw cut('The router’s answer was cut off.');
      }
    } finally {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onAbort);
    }
    if (res.status >= 400) {
      let code = `HTTP_${res.status}`;
      let message = `The router answered ${res.status}.`;
      try {
        const parsed = routerErrorSchema.safeParse(JSON.parse(text));
        if (parsed.success) {
          code = parsed.data.error.code;
          message = parsed.data.error.message;
        }
      } catch {
        // not JSON: keep the status
      }
      throw new RouterCallError(res.status, code, message);
    }
    return { status: res.status, text };
  }

  private async signed(method: string, pathAndQuery: string, body?: unknown, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ status: number; text: string; sentBytes: number }> {
    const bytes = body === undefined ? undefined : typeof body === 'string' ? enc.encode(body) : enc.encode(JSON.stringify(body));
    const path = pathAndQuery.split('?')[0]!;
    const headers = this.headers(method, path, bytes);
    const r = await this.exchange(method, pathAndQuery, { headers, ...(bytes ? { body: bytes } : {}), timeoutMs: options.timeoutMs ?? this.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
    return { ...r, sentBytes: bytes?.length ?? 0 };
  }

  private parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RouterCallError(200, 'ANSWER_MALFORMED', `The router's ${what} answer is not JSON.`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new RouterCallError(200, 'ANSWER_MALFORMED', `The router's ${what} answer is malformed.`);
    return parsed.data;
  }

  /** §2.6 long poll: leased jobs, or [] when none arrived within `waitS`. */
  async poll(waitS: number, max: number, signal?: AbortSignal): Promise<MinerJobWire[]> {
    const r = await this.signed('GET', `${ROUTER_PATHS.jobs}?wait=${waitS}&max=${max}`, undefined, { timeoutMs: waitS * 1000 + Math.min(this.timeoutMs, 5_000), ...(signal ? { signal } : {}) });
    if (r.status === 204 || r.text === '') return [];
    return this.parse(minerJobsSchema, r.text, 'job list').jobs;
  }

  async lease(jobId: string, signal?: AbortSignal): Promise<string> {
    const r = await this.signed('POST', ROUTER_PATHS.job(jobId, 'lease'), undefined, signal ? { signal } : {});
    return this.parse(leaseAnswerSchema, r.text, 'lease').lease_expires_at;
  }

  /** §2.5 an envelope as JSON text (parsed by the caller, strictly). */
  async getEnvelope(urn: string, signal?: AbortSignal): Promise<string> {
    return (await this.signed('GET', ROUTER_PATHS.offchainUrn(urn), undefined, signal ? { signal } : {})).text;
  }

  /** §2.5 stores an envelope; its URN and the size sent. */
  async putEnvelope(envelopeJson: string, signal?: AbortSignal): Promise<{ urn: string; bytes: number }> {
    const r = await this.signed('PUT', ROUTER_PATHS.offchain, envelopeJson, signal ? { signal } : {});
    return { urn: this.parse(offchainPutAnswerSchema, r.text, 'offchain store').urn, bytes: r.sentBytes };
  }

  /**
   * Stores an envelope under a URN this miner chose and recorded first (Minerva's extension): the
   * same URN again is 200, so an upload whose answer was lost (or whose process died) is never
   * stored twice. A router without the extension (404/405) gets the plain §2.5 PUT.
   */
  async putEnvelopeAt(urn: string, envelopeJson: string, signal?: AbortSignal): Promise<{ urn: string; bytes: number }> {
    try {
      const r = await this.signed('PUT', ROUTER_PATHS.offchainUrn(urn), envelopeJson, signal ? { signal } : {});
      const stored = this.parse(offchainPutAnswerSchema, r.text, 'offchain store').urn;
      if (stored.toLowerCase() !== urn.toLowerCase()) throw new RouterCallError(200, 'ANSWER_MALFORMED', 'The router stored the result under another URN.');
      return { urn: stored, bytes: r.sentBytes };
    } catch (error) {
      if (error instanceof RouterCallError && (error.status === 405 || (error.status === 404 && error.code !== 'UNKNOWN_SESSION'))) return this.putEnvelope(envelopeJson, signal);
      throw error;
    }
  }

  /** Whether the router holds an envelope under `urn` (§2.5 GET; 404 is "no"). */
  async hasEnvelope(urn: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.signed('GET', ROUTER_PATHS.offchainUrn(urn), undefined, signal ? { signal } : {});
      return true;
    } catch (error) {
      if (error instanceof RouterCallError && error.status === 404 && error.code === 'NOT_FOUND') return false;
      throw error;
    }
  }

  /**
   * What the router holds for a job (Minerva's extension, `GET /api/v2/miner/jobs/<id>`); null from
   * a router without it (404 that is not `UNKNOWN_JOB`, or 405).
   */
  async jobState(jobId: string, signal?: AbortSignal): Promise<JobStateWire | null> {
    try {
      const r = await this.signed('GET', ROUTER_PATHS.jobState(jobId), undefined, signal ? { signal } : {});
      return this.parse(jobStateAnswerSchema, r.text, 'job state');
    } catch (error) {
      if (error instanceof RouterCallError && (error.status === 405 || (error.status === 404 && error.code !== 'UNKNOWN_JOB'))) return null;
      throw error;
    }
  }

  /** The jobs leased to this miner whose lease still runs (Minerva's extension); [] from a router without it. */
  async leases(signal?: AbortSignal): Promise<MinerJobWire[]> {
    try {
      const r = await this.signed('GET', ROUTER_PATHS.leases, undefined, signal ? { signal } : {});
      return this.parse(minerJobsSchema, r.text, 'lease list').jobs;
    } catch (error) {
      if (error instanceof RouterCallError && (error.status === 404 || error.status === 405)) return [];
      throw error;
    }
  }

  async report(jobId: string, resultUrn: string, signal?: AbortSignal): Promise<void> {
    const r = await this.signed('POST', ROUTER_PATHS.job(jobId, 'result'), { result_urn: resultUrn }, signal ? { signal } : {});
    this.parse(jobOutcomeAnswerSchema, r.text, 'result');
  }

  async fail(jobId: string, code: string, message: string, signal?: AbortSignal): Promise<void> {
    const r = await this.signed('POST', ROUTER_PATHS.job(jobId, 'fail'), { code, message }, signal ? { signal } : {});
    this.parse(jobOutcomeAnswerSchema, r.text, 'failure');
  }

  /** §2.3 the scoped key for (scope, version): the EOA signs the scope string. */
  async key(scopeType: ScopeType, sessionId: number, taskId: number | null, keyVersion: string, signal?: AbortSignal): Promise<Uint8Array> {
    const scope = scopeFor(scopeType, sessionId, taskId);
    const address = this.options.signer.address();
    const signature = this.options.signer.sign(scope);
    const body: KeyRequestBody = { address, signature, session_id: sessionId, key_version: keyVersion };
    if (scopeType === 'task') body.task_id = taskId!;
    const r = await this.exchange('POST', KEY_ENDPOINTS[scopeType], { headers: {}, body: enc.encode(JSON.stringify(body)), timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) });
    try {
      const parsed = parseKeyResponse(JSON.parse(r.text), { scopeType, scope });
      if (parsed.keyVersion !== keyVersion) throw new AppError('VALIDATION', 'The key response is for another key version.');
      return parsed.key;
    } catch (error) {
      throw new RouterCallError(200, 'ANSWER_MALFORMED', error instanceof AppError ? error.message : 'The key response is malformed.');
    }
  }
}
