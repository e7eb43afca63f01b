/**
 * The baseline miner of tests/bench/inference.ts, run as its own process (like the app) so that
 * neither shares an event loop with the router: the same router calls as Minerva's job loop —
 * long poll, GET input, key (cached per scope and version), decrypt, the same model container,
 * encrypt, PUT, report — with no database, no state machine, no events around them.
 *
 * Env: BENCH_ROUTER_URL, BENCH_EOA_KEY (hex), BENCH_IMAGE_ID, BENCH_SCOPE, BENCH_CONCURRENCY, BENCH_JOBS,
 * BENCH_POLL_WAIT_S (the long poll's `wait`, as the app's MINERVA_INFERENCE_POLL_WAIT_S).
 * Prints `ready` once the model answers, then one JSON line
 * `{"jobs":[{"job_id","receivedMs","reportedMs"}]}` after BENCH_JOBS reports, and exits.
 */
import * as nodeCrypto from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { connectEngine } from '@core/runtime/engine';
import { currentOwner } from '@core/runtime/container-spec';
import { ModelContainer } from '@core/runtime/model-container';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { parsePrivateKey } from '@shared/protocol/eip191';
import { decryptEnvelope, encryptEnvelope, envelopeScope, parseEnvelopeJson, type JsonObject } from '@shared/protocol/envelope';
import { scopeFor } from '@shared/protocol/hkdf-keys';
import { buildKeyRequest, parseKeyResponse } from '@shared/protocol/key-request';
import { signMinerRequest } from '@shared/protocol/miner-request';

useNodeCryptoAesGcm(nodeCrypto);

const base = process.env.BENCH_ROUTER_URL!;
const privateKey = parsePrivateKey(process.env.BENCH_EOA_KEY!);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 1);
const total = Number(process.env.BENCH_JOBS ?? 100);
const pollWaitS = Number(process.env.BENCH_POLL_WAIT_S ?? 1);
/** The same mapping as the app's (src-main/core/inference/model-port.ts): `{...params, prompt}` in, `completion` out. */
function modelParams(data: JsonObject): JsonObject {
  const params = data.params !== null && typeof data.params === 'object' && !Array.isArray(data.params) ? (data.params as JsonObject) : {};
  return { ...params, prompt: data.prompt ?? '' };
}
function modelResult(raw: unknown): JsonObject {
  const r = raw as { completion: string; tokens: number };
  return { output: r.completion, model: 'text-ngram', usage: { tokens: r.tokens } };
}
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

async function signed(method: string, pathAndQuery: string, body?: string): Promise<{ status: number; text: string }> {
  const bytes = body === undefined ? undefined : new TextEncoder().encode(body);
  const path = pathAndQuery.split('?')[0]!;
  const headers = { ...signMinerRequest(privateKey, { method, path, ...(bytes ? { body: bytes } : {}) }), ...(bytes ? { 'content-type': 'application/json' } : {}) };
  const res = await fetch(`${base}${pathAndQuery}`, { method, headers, ...(bytes ? { body: Buffer.from(bytes) } : {}) });
  return { status: res.status, text: await res.text() };
}

const keys = new Map<string, Promise<Uint8Array>>();
function keyFor(scopeType: 'session' | 'task', sessionId: number, taskId: number | null, keyVersion: string): Promise<Uint8Array> {
  const scope = scopeFor(scopeType, sessionId, taskId);
  const id = `${scope}@${keyVersion}`;
  let key = keys.get(id);
  if (!key) {
    key = (async () => {
      const { endpoint, body } = buildKeyRequest(privateKey, sessionId, scopeType === 'task' ? taskId : null, keyVersion);
      const res = await fetch(`${base}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`key ${id}: ${res.status}`);
      return parseKeyResponse(await res.json(), { scopeType, scope }).key;
    })();
    keys.set(id, key);
  }
  return key;
}

async function main(): Promise<void> {
  const engine = connectEngine();
  const model = new ModelContainer({
    docker: engine.docker,
    spec: { imageId: process.env.BENCH_IMAGE_ID!, owner: currentOwner(process.env.BENCH_SCOPE!, randomUUID()), role: { job: 'bench-baseline' } },
    redact: (s) => s,
    healthIntervalMs: 0,
  });
  await model.start();
  for (let i = 0; i < 20; i += 1) await model.call('infer', modelParams({ prompt: `warm up ${i}`, params: {} }));
  console.log('ready');

  const done: { job_id: string; receivedMs: number; reportedMs: number }[] = [];
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const finished = (): void => {
    inFlight -= 1;
    wake?.();
  };
  const runJob = async (job: { job_id: string; input_urn: string }, receivedMs: number): Promise<void> => {
    const input = await signed('GET', `/api/v2/offchain/${encodeURIComponent(job.input_urn)}`);
    const envelope = parseEnvelopeJson(input.text);
    if (envelope.payload_type !== 'encrypted') throw new Error('plain input');
    const scope = envelopeScope(envelope);
    const key = await keyFor(scope.scopeType, scope.sessionId, scope.taskId, scope.keyVersion);
    const data = await decryptEnvelope(key, envelope);
    const result = modelResult(await model.call('infer', modelParams(data)));
    const sealed = await encryptEnvelope(key, scope, result);
    const put = await signed('PUT', '/api/v2/offchain', JSON.stringify(sealed));
    if (put.status !== 201) throw new Error(`PUT ${put.status}`);
    const urn = (JSON.parse(put.text) as { urn: string }).urn;
    const rep = await signed('POST', `/api/v2/miner/jobs/${job.job_id}/result`, JSON.stringify({ result_urn: urn }));
    if (rep.status !== 200) throw new Error(`report ${rep.status}`);
    done.push({ job_id: job.job_id, receivedMs, reportedMs: now() });
  };

  // One poller with up to `concurrency` jobs in flight, as the app's worker does.
  let received = 0;
  while (received < total) {
    if (inFlight >= concurrency) {
      await new Promise<void>((r) => (wake = r));
      wake = null;
      continue;
    }
    const r = await signed('GET', `/api/v2/miner/jobs?wait=${pollWaitS}&max=${Math.min(concurrency - inFlight, total - received)}`);
    if (r.status !== 200) continue;
    const receivedMs = now();
    for (const job of (JSON.parse(r.text) as { jobs: { job_id: string; input_urn: string }[] }).jobs) {
      received += 1;
      inFlight += 1;
      runJob(job, receivedMs).then(finished, (error: unknown) => {
        console.error(`baseline job failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      });
    }
  }
  while (inFlight > 0) {
    await new Promise<void>((r) => (wake = r));
    wake = null;
  }
  await model.stop();
  console.log(JSON.stringify({ jobs: done }));
}

await main();
