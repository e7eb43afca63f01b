/**
 * A real HTTP proxy on 127.0.0.1 that forwards to one upstream (the practice router) and, on a
 * seeded share of the calls, misbehaves the way a flaky network or a struggling router does:
 *
 * - `5xx`     answers 502/503/504 with a JSON error body;
 * - `timeout` never answers: the socket stays open until the client gives up (or the proxy closes);
 * - `reset`   drops the TCP connection with a RST.
 *
 * Each fault happens either `before` the call reaches the upstream (the router never saw it) or
 * `after` it (the router acted — a job was leased, a result stored or reported — and the answer
 * is lost on the way back), so a client must both retry and be idempotent.
 *
 * Deterministic: decision n (the n-th call that is not exempt) is drawn from a PRNG seeded with
 * `seed`, so the same seed gives the same sequence of decisions. Which request is the n-th
 * depends on arrival order when calls are concurrent.
 *
 *   const proxy = await startFaultProxy({ target: router.url, seed: 7, rate: 0.2 });
 *   proxy.url          // point the client here
 *   proxy.counts()     // { calls, forwarded, faults: { '5xx:before': 3, … }, byPath: {…} }
 *   proxy.records()    // every call: method, path, the upstream's status and error code, the fault
 *   proxy.setRate(0)   // stop misbehaving (e.g. to let a run drain)
 *   await proxy.close();
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultKind = '5xx' | 'timeout' | 'reset';
export type FaultPhase = 'before' | 'after';
export type FaultName = `${FaultKind}:${FaultPhase}`;

export interface FaultProxyOptions {
  /** Upstream base URL, e.g. `http://127.0.0.1:4100`. */
  target: string;
  /** PRNG seed: the same seed gives the same sequence of decisions. */
  seed: number;
  /** Share of non-exempt calls that get a fault (default 0.2). */
  rate?: number;
  /** Which faults may be drawn (default all three kinds). */
  kinds?: readonly FaultKind[];
  /** Which phases may be drawn (default both). */
  phases?: readonly FaultPhase[];
  /** Calls that always pass untouched (default: `GET /health`, so that a liveness probe sees the upstream). */
  exempt?: (method: string, path: string) => boolean;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /**
   * A scripted fault for a given call, overriding the seeded draw (which still happens, so the
   * rest of the sequence is unchanged): return a fault, `null` for none, or `undefined` to keep
   * the draw. `nth` counts earlier calls with the same method and path (from 0).
   */
  script?: (call: { method: string; path: string; nth: number }) => FaultName | null | undefined;
}

export interface FaultCounts {
  /** Every call received (exempt ones included). */
  calls: number;
  /** Calls the upstream received. */
  forwarded: number;
  /** Calls answered as the upstream answered. */
  passed: number;
  faults: Record<FaultName, number>;
  /** Faults per `METHOD path-pattern` (ids and URNs replaced by `:id`), to see what was hit. */
  byPath: Record<string, number>;
  /** The upstream could not be reached (answered 502 UPSTREAM_DOWN). */
  upstreamErrors: number;
}

/** One call as the proxy saw it. */
export interface CallRecord {
  method: string;
  /** The path as sent (percent-encoding kept), without the query. */
  path: string;
  /** What the upstream answered (null: not forwarded, or no answer). */
  upstreamStatus: number | null;
  /** The upstream's `error.code` when it answered an error body. */
  upstreamCode: string | null;
  fault: FaultName | null;
  at: number;
}

export interface FaultProxy {
  url: string;
  port: number;
  counts(): FaultCounts;
  records(): CallRecord[];
  totalFaults(): number;
  /** Changes the fault share from the next call on (0 = a plain proxy). */
  setRate(rate: number): void;
  close(): Promise<void>;
}

/** mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

function pathPattern(method: string, path: string): string {
  const p = path
    .replace(/urn(:|%3A)cts(:|%3A)[^/?]+/gi, ':urn')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':id')
    .replace(/\/[0-9]+(?=\/|$)/g, '/:n');
  return `${method} ${p}`;
}

function errorCode(body: Buffer): string | null {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : null;
  } catch {
    return null;
  }
}

function emptyFaults(): Record<FaultName, number> {
  return { '5xx:before': 0, '5xx:after': 0, 'timeout:before': 0, 'timeout:after': 0, 'reset:before': 0, 'reset:after': 0 };
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed);
  let rate = options.rate ?? 0.2;
  const kinds = options.kinds ?? ['5xx', 'timeout', 'reset'];
  const phases = options.phases ?? ['before', 'after'];
  const exempt = options.exempt ?? ((method: string, path: string) => method === 'GET' && path === '/health');
  const counts: FaultCounts = { calls: 0, forwarded: 0, passed: 0, faults: emptyFaults(), byPath: {}, upstreamErrors: 0 };
  const log: CallRecord[] = [];
  const seen = new Map<string, number>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();

  /** One decision per non-exempt call, always three draws so the sequence does not depend on the outcome. */
  const decide = (): FaultName | null => {
    const hit = random() < rate;
    const kind = kinds[Math.floor(random() * kinds.length)]!;
    const phase = phases[Math.floor(random() * phases.length)]!;
    return hit ? `${kind}:${phase}` : null;
  };

  const reset = (req: IncomingMessage): void => {
    const socket = req.socket;
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  };

  const hang = (res: ServerResponse): void => {
    hanging.add(res);
    res.once('close', () => hanging.delete(res));
  };

  const answer5xx = (res: ServerResponse, draw: number): void => {
    const status = [502, 503, 504][draw % 3]!;
    const body = JSON.stringify({ error: { code: 'INJECTED_FAULT', message: `fault proxy answered ${status}` } });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  };

  const inflict = (fault: FaultName, req: IncomingMessage, res: ServerResponse, draw: number): void => {
    if (fault.startsWith('5xx')) answer5xx(res, draw);
    else if (fault.startsWith('timeout')) hang(res);
    else reset(req);
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer } | null> =>
    new Promise((resolve) => {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
      headers.host = target.host;
      headers['content-length'] = String(body.length);
      const up = httpRequest({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => resolve({ status: upRes.statusCode ?? 502, headers: upRes.headers, body: Buffer.concat(chunks) }));
        upRes.on('error', () => resolve(null));
      });
      // The client gave up (a long poll abandoned, a completion cancelled): so does the upstream call.
      const onGone = (): void => {
        if (!up.destroyed) up.destroy();
      };
      req.socket.once('close', onGone);
      up.on('close', () => req.socket.off('close', onGone));
      up.on('error', () => resolve(null));
      up.end(body);
    });

  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    counts.calls += 1;
    const isExempt = exempt(method, path);
    const draw = counts.calls;
    const drawn = isExempt ? null : decide();
    const key = `${method} ${path}`;
    const nth = seen.get(key) ?? 0;
    seen.set(key, nth + 1);
    const scripted = isExempt ? undefined : options.script?.({ method, path, nth });
    const fault = scripted === undefined ? drawn : scripted;
    const record: CallRecord = { method, path, upstreamStatus: null, upstreamCode: null, fault, at: Date.now() };
    if (!isExempt) log.push(record);
    if (fault) {
      counts.faults[fault] += 1;
      const pattern = pathPattern(method, path);
      counts.byPath[pattern] = (counts.byPath[pattern] ?? 0) + 1;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (fault?.endsWith(':before')) return inflict(fault, req, res, draw);
      counts.forwarded += 1;
      void forward(req, Buffer.concat(chunks)).then((up) => {
        if (up) {
          record.upstreamStatus = up.status;
          if (up.status >= 400) record.upstreamCode = errorCode(up.body);
        }
        if (res.destroyed || req.socket.destroyed) return;
        if (!up) {
          counts.upstreamErrors += 1;
          const body = JSON.stringify({ error: { code: 'UPSTREAM_DOWN', message: 'the fault proxy could not reach the upstream' } });
          res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        if (fault) return inflict(fault, req, res, draw);
        counts.passed += 1;
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
        headers['content-length'] = String(up.body.length);
        res.writeHead(up.status, headers);
        res.end(up.body);
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts: () => structuredClone(counts),
    records: () => log.map((r) => ({ ...r })),
    totalFaults: () => Object.values(counts.faults).reduce((a, b) => a + b, 0),
    setRate(next: number) {
      if (!(next >= 0 && next <= 1)) throw new RangeError('rate must be in [0, 1]');
      rate = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
