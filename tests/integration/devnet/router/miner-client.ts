/**
 * A miner as the router sees one, written against PROTOCOLS §2 only (no app code): signed job API
 * calls, scoped keys fetched per (scope, key_version), decrypt, a trivial "model", encrypt under
 * the input's scope and version, upload, report.
 */
import { buildKeyRequest, parseKeyResponse } from '@shared/protocol/key-request';
import { decryptEnvelope, encryptEnvelope, envelopeScope, parseEnvelope, type EncryptedEnvelope } from '@shared/protocol/envelope';
import { evmAddressOf } from '@shared/protocol/eip191';
import { scopeFor } from '@shared/protocol/hkdf-keys';
import { signMinerRequest } from '@shared/protocol/miner-request';

export interface Reply {
  status: number;
  json: Record<string, unknown> & { error?: { code: string; message: string } };
}

export interface JobWire {
  job_id: string;
  session_id: number;
  task_id: number;
  input_urn: string;
  lease_expires_at: string;
  deadline: string;
}

/** What the test's "model" answers: the prompt reversed, and its length. */
export function model(prompt: string): { output: string; model: string; usage: { chars: number } } {
  return { output: [...prompt].reverse().join(''), model: 'reverse-1', usage: { chars: prompt.length } };
}

export class TestMiner {
  readonly address: string;
  private readonly keys = new Map<string, Uint8Array>();

  constructor(
    readonly baseUrl: string,
    private readonly privateKey: Uint8Array,
  ) {
    this.address = evmAddressOf(privateKey);
  }

  /** A signed call; `path` may carry a query (not signed). */
  async call(method: string, pathAndQuery: string, body?: unknown, options: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Reply> {
    const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const path = pathAndQuery.split('?')[0]!;
    const headers = { ...signMinerRequest(this.privateKey, { method, path, ...(bytes ? { body: bytes } : {}) }), ...(bytes ? { 'content-type': 'application/json' } : {}), ...options.headers };
    const res = await fetch(`${this.baseUrl}${pathAndQuery}`, { method, headers, ...(bytes ? { body: Buffer.from(bytes) } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    const text = await res.text();
    return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Reply['json']) };
  }

  async key(sessionId: number, taskId: number | null, keyVersion?: string): Promise<Reply & { key?: Uint8Array }> {
    const { endpoint, body } = buildKeyRequest(this.privateKey, sessionId, taskId, keyVersion);
    const res = await fetch(`${this.baseUrl}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as Reply['json'];
    if (res.status !== 200) return { status: res.status, json };
    const scopeType = taskId === null ? 'session' : 'task';
    return { status: 200, json, key: parseKeyResponse(json, { scopeType, scope: scopeFor(scopeType, sessionId, taskId) }).key };
  }

  async poll(wait = 0, max = 1, signal?: AbortSignal): Promise<{ status: number; jobs: JobWire[] }> {
    const r = await this.call('GET', `/api/v2/miner/jobs?wait=${wait}&max=${max}`, undefined, signal ? { signal } : {});
    return { status: r.status, jobs: r.status === 200 ? (r.json.jobs as JobWire[]) : [] };
  }

  async getEnvelope(urn: string): Promise<unknown> {
    const r = await this.call('GET', `/api/v2/offchain/${encodeURIComponent(urn)}`);
    if (r.status !== 200) throw new Error(`GET ${urn}: ${r.status}`);
    return r.json;
  }

  /** The scope's key for an envelope, cached per (scope, version). */
  async keyFor(envelope: EncryptedEnvelope): Promise<Uint8Array> {
    const s = envelopeScope(envelope);
    const id = `${scopeFor(s.scopeType, s.sessionId, s.taskId)}@${s.keyVersion}`;
    let key = this.keys.get(id);
    if (!key) {
      const r = await this.key(s.sessionId, s.scopeType === 'task' ? s.taskId : null, s.keyVersion);
      if (!r.key) throw new Error(`key ${id}: ${r.status} ${r.json.error?.code}`);
      key = r.key;
      this.keys.set(id, key);
    }
    return key;
  }

  /** Decrypts (or reads) a job's input, runs the model, uploads the result; returns its URN. */
  async compute(job: JobWire): Promise<string> {
    const input = parseEnvelope(await this.getEnvelope(job.input_urn));
    let result: unknown;
    let query = '';
    if (input.payload_type === 'encrypted') {
      const key = await this.keyFor(input);
      const data = await decryptEnvelope(key, input);
      result = await encryptEnvelope(key, envelopeScope(input), model(String(data.prompt)));
    } else {
      result = { version: 'v2', payload_type: 'plain', data: model(String(input.data.prompt)) };
      query = `?session_id=${job.session_id}`;
    }
    const put = await this.call('PUT', `/api/v2/offchain${query}`, result);
    if (put.status !== 201) throw new Error(`PUT result: ${put.status} ${put.json.error?.code}`);
    return put.json.urn as string;
  }

  report(jobId: string, resultUrn: string): Promise<Reply> {
    return this.call('POST', `/api/v2/miner/jobs/${jobId}/result`, { result_urn: resultUrn });
  }

  /**
   * Serves jobs until `signal` aborts; returns how many it reported. A poll in flight is not
   * aborted (a job leased to a vanished poll would wait for its lease to run out): the loop
   * stops after it, within a second.
   */
  async loop(signal: AbortSignal): Promise<number> {
    let done = 0;
    while (!signal.aborted) {
      const { jobs } = await this.poll(1, 4);
      for (const job of jobs) {
        const r = await this.report(job.job_id, await this.compute(job));
        if (r.status === 200) done += 1;
      }
    }
    return done;
  }
}
