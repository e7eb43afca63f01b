/**
 * The miner's router client against a real loopback HTTP server: §2.6 headers that the router's
 * own verifier accepts, the key request's EIP-191 signature, and every failure as a typed
 * RouterCallError (network, timeout, 5xx, error bodies, malformed answers).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouterCallError} from '@core/inference/router-client';
import { RouterClient, type EoaSigner } from '@core/inference/router-client';
import { eip191Recover, eip191Sign, evmAddressOf, parsePrivateKey } from '@shared/protocol/eip191';
import { verifyMinerRequest } from '@shared/protocol/miner-request';
import { minerJobsSchema } from '@shared/protocol/router-api';

const KEY = parsePrivateKey(`0x${'11'.repeat(32)}`);
const signer: EoaSigner = { address: () => evmAddressOf(KEY), sign: (m) => eip191Sign(KEY, m).signature };
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void): Promise<RouterClient> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return new RouterClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, signer, now: () => new Date(), timeoutMs: 500 });
}

const job = { job_id: '0a1b2c3d-1111-4222-8333-444455556666', session_id: 101, task_id: 7, input_urn: 'urn:cts:payload:v2:101:0a1b2c3d-1111-4222-8333-444455556666', lease_expires_at: new Date().toISOString(), deadline: new Date().toISOString() };

describe('router client', () => {
  it('signs job calls so that the router’s verifier accepts them (path without query, body hash)', async () => {
    const seen: string[] = [];
    const client = await serve((req, body, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      seen.push(verifyMinerRequest(req.headers, { method: req.method ?? '', path, body }, { nowSeconds: Math.floor(Date.now() / 1000) }));
      res.writeHead(200).end(JSON.stringify(path === '/api/v2/miner/jobs' ? { jobs: [job] } : { job_id: job.job_id, state: 'done' }));
    });
    expect(await client.poll(0, 3)).toEqual([job]);
    await client.report(job.job_id, job.input_urn);
    expect(seen).toEqual([signer.address(), signer.address()]);
  });

  it('sends the key request with the EIP-191 signature of the scope and checks the answer’s scope and version', async () => {
    let body: Record<string, unknown> = {};
    const client = await serve((_req, raw, res) => {
      body = JSON.parse(raw.toString()) as Record<string, unknown>;
      res.writeHead(200).end(JSON.stringify({ payload_enc_key: 'ab'.repeat(32), key_version: body.key_version === 'v2' ? 'v2' : 'v3', scope: '101:9', scope_type: 'task' }));
    });
    const key = await client.key('task', 101, 9, 'v2');
    expect(key).toHaveLength(32);
    expect(body).toMatchObject({ session_id: 101, task_id: 9, key_version: 'v2' });
    expect(eip191Recover('101:9', body.signature)).toBe(signer.address());
    await expect(client.key('task', 101, 9, 'v1')).rejects.toMatchObject({ code: 'ANSWER_MALFORMED' });
  });

  it('types every failure: error bodies, 5xx, non-JSON, malformed answers, timeouts and refused connections', async () => {
    let mode = '403';
    const client = await serve((_req, _body, res) => {
      if (mode === '403') res.writeHead(403).end(JSON.stringify({ error: { code: 'NOT_ALLOWED', message: 'no' } }));
      else if (mode === '503') res.writeHead(503).end('busy');
      else if (mode === 'bad') res.writeHead(200).end(JSON.stringify({ jobs: [{ ...job, job_id: 'not-a-uuid' }] }));
      else setTimeout(() => res.writeHead(204).end(), 2000);
    });
    const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as RouterCallError);
    const forbidden = await failure(client.lease(job.job_id));
    expect(forbidden).toMatchObject({ status: 403, code: 'NOT_ALLOWED', retryable: false });
    mode = '503';
    expect(await failure(client.lease(job.job_id))).toMatchObject({ status: 503, code: 'HTTP_503', retryable: true });
    mode = 'bad';
    expect(await failure(client.poll(0, 1))).toMatchObject({ code: 'ANSWER_MALFORMED' });
    mode = 'slow';
    expect(await failure(client.lease(job.job_id))).toMatchObject({ status: null, code: 'TIMEOUT', retryable: true });
    const gone = new RouterClient({ baseUrl: 'http://127.0.0.1:9', signer, now: () => new Date() });
    expect(await failure(gone.lease(job.job_id))).toMatchObject({ status: null, code: 'NETWORK_ERROR', retryable: true });
    const stop = new AbortController();
    const pending = failure(client.poll(5, 1, stop.signal));
    stop.abort();
    expect(await pending).toMatchObject({ code: 'ABORTED' });
  });

  it('the job-list schema refuses what a router must not send', () => {
    expect(minerJobsSchema.safeParse({ jobs: [job] }).success).toBe(true);
    expect(minerJobsSchema.safeParse({ jobs: [{ ...job, session_id: '101' }] }).success).toBe(false);
    expect(minerJobsSchema.safeParse({ jobs: [{ ...job, input_urn: 'urn:other' }] }).success).toBe(false);
    expect(minerJobsSchema.safeParse({ jobs: Array.from({ length: 101 }, () => job) }).success).toBe(false);
  });
});
