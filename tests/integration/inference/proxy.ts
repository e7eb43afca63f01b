/**
 * A loopback HTTP proxy in front of the real router, whose behaviour per call the test sets:
 * pass, answer 503, drop the connection, or hold the request until released. The hub advertises
 * it as the router (through the practice network's state file), so core reaches the router
 * only through it.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { recordParties } from '@devnet/state';

export type ProxyMode = 'pass' | '503' | 'drop' | 'hold';

export interface RouterProxy {
  url: string;
  /** The mode for calls whose `METHOD path` matches (first rule wins); default pass. */
  rule(match: RegExp, mode: ProxyMode): void;
  clear(): void;
  /** Calls seen, as `METHOD path`. */
  seen: string[];
  /** Requests held so far. */
  held(): number;
  /** Lets held requests through. */
  release(): void;
  /** Drops held requests (their callers see a cut connection; the router never sees them). */
  dropHeld(): void;
  /** Makes the hub advertise this proxy as the router. */
  advertise(dataDir: string): void;
  close(): Promise<void>;
}

export async function startRouterProxy(target: string): Promise<RouterProxy> {
  const rules: { match: RegExp; mode: ProxyMode }[] = [];
  const holding: { go: () => void; drop: () => void }[] = [];
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const t = new URL(target);
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
    res.on('close', () => up.destroy());
  };
  const server: Server = createServer((req, res) => {
    const line = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    seen.push(line);
    const mode = rules.find((r) => r.match.test(line))?.mode ?? 'pass';
    if (mode === 'pass') return forward(req, res);
    if (mode === '503') {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'injected' } }));
      return;
    }
    if (mode === 'drop') return void req.socket.destroy();
    holding.push({ go: () => forward(req, res), drop: () => req.socket.destroy() });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    rule: (match, mode) => rules.unshift({ match, mode }),
    clear: () => rules.splice(0),
    held: () => holding.length,
    release: () => holding.splice(0).forEach((h) => h.go()),
    dropHeld: () => holding.splice(0).forEach((h) => h.drop()),
    advertise: (dataDir) => recordParties(dataDir, { router: { url, pid: process.pid, started_at: new Date().toISOString() } }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
