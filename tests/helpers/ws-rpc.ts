import { request } from 'node:http';
import WebSocket from 'ws';

/** A contract client over `minerva serve`'s WebSocket, authenticated like a browser (cookie + Origin). */
export interface WsRpc {
  call<T>(method: string, input?: unknown): Promise<T>;
  /** Resolves with the first pushed event of this name whose payload passes `check`. */
  waitFor<T>(event: string, check: (payload: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): void;
}

/** Session cookies this process got, by the login address it traded (an address works once). */
const cookies = new Map<string, Promise<string>>();

/**
 * Trades a one-time login address for the session cookie, as a browser's first request does
 * (`name=value`). Cached per address, so one address serves every connection of a test.
 */
export function loginCookie(loginUrl: string): Promise<string> {
  let cookie = cookies.get(loginUrl);
  if (!cookie) {
    cookie = new Promise<string>((resolve, reject) => {
      const url = new URL(loginUrl);
      const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'GET' }, (res) => {
        res.resume();
        const set = res.headers['set-cookie']?.[0];
        if (res.statusCode !== 303 || !set) return reject(new Error(`login address refused (${res.statusCode}): ${loginUrl.replace(/token=\w+/, 'token=…')}`));
        resolve(set.split(';')[0] ?? '');
      });
      req.on('error', reject);
      req.end();
    });
    cookie.catch(() => cookies.delete(loginUrl));
    cookies.set(loginUrl, cookie);
  }
  return cookie;
}

export async function connectRpc(loginUrl: string): Promise<WsRpc> {
  const url = new URL(loginUrl);
  const ws = new WebSocket(`ws://${url.host}/rpc`, { headers: { Origin: `http://${url.host}`, Cookie: await loginCookie(loginUrl) } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, (reply: { ok: boolean; result?: unknown; error?: { code: string; message: string } }) => void>();
  const listeners = new Set<(event: string, payload: unknown) => void>();
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { type: string; id?: number; reply?: never; event?: string; payload?: unknown };
    if (message.type === 'reply' && typeof message.id === 'number') pending.get(message.id)?.(message.reply as never);
    if (message.type === 'event' && message.event) for (const l of listeners) l(message.event, message.payload);
  });
  return {
    call<T>(method: string, input: unknown = {}) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, (reply) => {
          pending.delete(id);
          if (reply.ok) resolve(reply.result as T);
          else reject(new Error(`${method}: ${reply.error?.code} ${reply.error?.message}`));
        });
        ws.send(JSON.stringify({ id, method, input }));
      });
    },
    waitFor<T>(event: string, check: (payload: T) => boolean, timeoutMs = 90_000) {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => (listeners.delete(listener), reject(new Error(`timed out waiting for ${event}`))), timeoutMs);
        const listener = (name: string, payload: unknown) => {
          if (name === event && check(payload as T)) {
            clearTimeout(timer);
            listeners.delete(listener);
            resolve(payload as T);
          }
        };
        listeners.add(listener);
      });
    },
    close: () => ws.terminate(),
  };
}
