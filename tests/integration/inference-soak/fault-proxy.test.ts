/**
 * The fault proxy (tests/helpers/fault-proxy.ts) against a tiny real HTTP server: it forwards
 * faithfully, injects each kind of fault at the configured share, counts what it did, is
 * deterministic from its seed, and an `after` fault really reaches the upstream first.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../../helpers/fault-proxy';

let upstream: Server;
let upstreamUrl: string;
let received = 0;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received += 1;
      const body = JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8'), auth: req.headers.authorization ?? null });
      res.writeHead(req.url?.startsWith('/created') ? 201 : 200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

type Outcome = { kind: 'answer'; status: number; body: string } | { kind: 'timeout' } | { kind: 'reset' } | { kind: 'error'; code: string };

/** One call with node:http (no pooling surprises), giving up after `timeoutMs`. */
function call(url: string, path: string, options: { method?: string; body?: string; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: options.method ?? 'GET', agent: false, headers: { authorization: 'Bearer t0ken', ...(options.body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ kind: 'answer', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ kind: 'reset' }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ kind: 'timeout' });
    }, options.timeoutMs ?? 300);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ECONNRESET' ? { kind: 'reset' } : { kind: 'error', code: error.code ?? 'unknown' });
    });
    req.on('close', () => clearTimeout(timer));
    req.end(options.body);
  });
}

describe('fault proxy', () => {
  it('at rate 0 forwards method, path, query, headers, body and status unchanged', async () => {
    const proxy = await startFaultProxy({ target: upstreamUrl, seed: 1, rate: 0 });
    try {
      const r = await call(proxy.url, '/created?x=1', { method: 'PUT', body: '{"a":1}' });
      expect(r).toMatchObject({ kind: 'answer', status: 201 });
      expect(JSON.parse((r as { body: string }).body)).toEqual({ method: 'PUT', url: '/created?x=1', body: '{"a":1}', auth: 'Bearer t0ken' });
      expect(proxy.counts()).toMatchObject({ calls: 1, forwarded: 1, passed: 1 });
      expect(proxy.totalFaults()).toBe(0);
      expect(proxy.records()).toMatchObject([{ method: 'PUT', path: '/created', upstreamStatus: 201, upstreamCode: null, fault: null }]);
    } finally {
      await proxy.close();
    }
  });

  it('injects 5xx, timeouts and resets on about the configured share, and counts each', async () => {
    const proxy = await startFaultProxy({ target: upstreamUrl, seed: 42, rate: 0.2 });
    try {
      const outcomes: Outcome[] = [];
      // In batches of 20 so the hung calls time out together.
      for (let b = 0; b < 10; b += 1) outcomes.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => call(proxy.url, `/x/${b * 20 + i}`)))));
      const c = proxy.counts();
      const faults = proxy.totalFaults();
      expect(c.calls).toBe(200);
      expect(faults).toBeGreaterThanOrEqual(25); // 20% of 200 = 40, with seeded spread
      expect(faults).toBeLessThanOrEqual(55);
      const answered5xx = outcomes.filter((o) => o.kind === 'answer' && o.status >= 500).length;
      const timeouts = outcomes.filter((o) => o.kind === 'timeout').length;
      const resets = outcomes.filter((o) => o.kind === 'reset').length;
      const ok = outcomes.filter((o) => o.kind === 'answer' && o.status === 200).length;
      expect(answered5xx).toBe(c.faults['5xx:before'] + c.faults['5xx:after']);
      expect(timeouts).toBe(c.faults['timeout:before'] + c.faults['timeout:after']);
      expect(resets).toBe(c.faults['reset:before'] + c.faults['reset:after']);
      expect(ok).toBe(200 - faults);
      expect(answered5xx).toBeGreaterThan(0);
      expect(timeouts).toBeGreaterThan(0);
      expect(resets).toBeGreaterThan(0);
      expect(c.passed).toBe(ok);
      expect(Object.values(c.byPath).reduce((a, b) => a + b, 0)).toBe(faults);
    } finally {
      await proxy.close();
    }
  });

  it('an "after" fault reaches the upstream; a "before" fault does not', async () => {
    for (const phase of ['before', 'after'] as const) {
      const proxy = await startFaultProxy({ target: upstreamUrl, seed: 3, rate: 1, kinds: ['reset'], phases: [phase] });
      try {
        const before = received;
        expect(await call(proxy.url, '/y', { method: 'POST', body: '{}' })).toEqual({ kind: 'reset' });
        expect(received - before).toBe(phase === 'after' ? 1 : 0);
        expect(proxy.counts().forwarded).toBe(phase === 'after' ? 1 : 0);
        expect(proxy.records()).toMatchObject([{ path: '/y', fault: `reset:${phase}`, upstreamStatus: phase === 'after' ? 200 : null }]);
      } finally {
        await proxy.close();
      }
    }
  });

  it('the same seed gives the same decisions; /health is exempt', async () => {
    const run = async (): Promise<string[]> => {
      const proxy = await startFaultProxy({ target: upstreamUrl, seed: 99, rate: 0.5, kinds: ['5xx'] });
      try {
        const seen: string[] = [];
        for (let i = 0; i < 30; i += 1) {
          const r = await call(proxy.url, '/z');
          seen.push(r.kind === 'answer' ? String(r.status) : r.kind);
        }
        for (let i = 0; i < 10; i += 1) expect(await call(proxy.url, '/health')).toMatchObject({ kind: 'answer', status: 200 });
        return seen;
      } finally {
        await proxy.close();
      }
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a.filter((s) => s !== '200').length).toBeGreaterThan(5);
  });

  it('a script picks the fault of chosen calls', async () => {
    const proxy = await startFaultProxy({ target: upstreamUrl, seed: 5, rate: 0, script: ({ path, nth }) => (path === '/s' && nth === 1 ? '5xx:after' : undefined) });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push(((await call(proxy.url, '/s')) as { status: number }).status);
      expect(statuses[0]).toBe(200);
      expect(statuses[1]).toBeGreaterThanOrEqual(502);
      expect(statuses[2]).toBe(200);
      expect(proxy.records().map((r) => r.fault)).toEqual([null, '5xx:after', null]);
    } finally {
      await proxy.close();
    }
  });

  it('close() ends hung calls and refuses new ones', async () => {
    const proxy = await startFaultProxy({ target: upstreamUrl, seed: 5, rate: 1, kinds: ['timeout'] });
    const hung = call(proxy.url, '/hang', { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    await proxy.close();
    expect((await hung).kind).not.toBe('timeout');
    expect((await call(proxy.url, '/after-close')).kind).toBe('error');
  });
});
