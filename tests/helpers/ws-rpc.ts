import WebSocket from 'ws';

/** A contract client over `minerva serve`'s WebSocket, authenticated like a browser (cookie + Origin). */
export interface WsRpc {
  call<T>(method: string, input?: unknown): Promise<T>;
  /** Resolves with the first pushed event of this name whose payload passes `check`. */
  waitFor<T>(event: string, check: (payload: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): void;
}

export async function connectRpc(loginUrl: string): Promise<WsRpc> {
  const url = new URL(loginUrl);
  const token = url.searchParams.get('token') ?? '';
  const ws = new WebSocket(`ws://${url.host}/rpc`, { headers: { Origin: `http://${url.host}`, Cookie: `minerva_token=${token}` } });
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
