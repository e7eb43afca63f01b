import type { RpcBridge, RpcEventMessage, RpcReply } from '@shared/contract';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/**
 * The headless transport: the same envelopes as Electron IPC, over a same-origin WebSocket
 * authenticated by the HttpOnly cookie. Reconnects with backoff; calls made while disconnected
 * wait for the connection (and fail with UNAVAILABLE after a timeout).
 */
export function createWebSocketBridge(options: { url?: string; callTimeoutMs?: number } = {}): RpcBridge & {
  onState(listener: (state: ConnectionState) => void): () => void;
} {
  const url = options.url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`;
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const pending = new Map<number, { resolve: (reply: RpcReply) => void; timer: ReturnType<typeof setTimeout> }>();
  const eventListeners = new Set<(message: RpcEventMessage) => void>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const queue: string[] = [];
  let socket: WebSocket | undefined;
  let nextId = 1;
  let attempt = 0;

  const setState = (state: ConnectionState) => stateListeners.forEach((l) => l(state));

  function connect(): void {
    setState('connecting');
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('open');
      for (const frame of queue.splice(0)) ws.send(frame);
    };
    ws.onmessage = (message) => {
      let data: { type?: string; id?: number; reply?: RpcReply; event?: string; payload?: unknown };
      try {
        data = JSON.parse(String(message.data)) as typeof data;
      } catch {
        return;
      }
      if (data.type === 'reply' && typeof data.id === 'number' && data.reply) {
        const call = pending.get(data.id);
        if (call) {
          clearTimeout(call.timer);
          pending.delete(data.id);
          call.resolve(data.reply);
        }
      } else if (data.type === 'event' && typeof data.event === 'string') {
        const event: RpcEventMessage = { event: data.event, payload: data.payload };
        eventListeners.forEach((l) => l(event));
      }
    };
    ws.onclose = () => {
      setState('closed');
      attempt += 1;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6)) * (0.75 + Math.random() * 0.5);
      setTimeout(connect, delay);
    };
  }
  connect();

  return {
    invoke(method, input) {
      const id = nextId++;
      const frame = JSON.stringify({ id, method, input });
      return new Promise<RpcReply>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'Minerva did not answer. Check that `minerva serve` is still running, then reload.' } });
        }, callTimeoutMs);
        pending.set(id, { resolve, timer });
        if (socket?.readyState === WebSocket.OPEN) socket.send(frame);
        else queue.push(frame);
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
  };
}
