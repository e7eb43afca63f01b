import type { RpcBridge, RpcEventMessage, RpcReply } from '@shared/contract';

/**
 * 'connecting' before the first connection; 'closed' while Minerva does not answer (retrying);
 * 'signed-out' when it answers but this browser's session is gone (still retrying: signing in
 * from another tab with `minerva open` brings this one back too).
 */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'signed-out';

/** Longest wait between two tries: a restart on this machine is back within seconds. */
const MAX_BACKOFF_MS = 5_000;

/**
 * The headless transport: the same envelopes as Electron IPC, over a same-origin WebSocket
 * authenticated by the HttpOnly cookie. Reconnects with backoff; calls made while disconnected
 * wait for the connection (and fail with UNAVAILABLE after a timeout); calls in flight when it
 * drops fail at once (Minerva may or may not have done them: the UI reloads its state on return).
 */
export function createWebSocketBridge(options: { url?: string; callTimeoutMs?: number } = {}): RpcBridge & {
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Skips the rest of the backoff and tries now. */
  retryNow(): void;
} {
  const url = options.url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`;
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const pending = new Map<number, { resolve: (reply: RpcReply) => void; timer: ReturnType<typeof setTimeout> }>();
  const eventListeners = new Set<(message: RpcEventMessage) => void>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  /** Calls waiting for the connection, in order (a call that times out leaves it: it is never sent late). */
  const queue = new Map<number, string>();
  let socket: WebSocket | undefined;
  const sent = new Set<number>();
  let nextId = 1;
  let attempt = 0;
  let everOpen = false;
  let state: ConnectionState = 'connecting';
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const setState = (next: ConnectionState) => {
    if (next === state && next !== 'open') return;
    state = next;
    stateListeners.forEach((l) => l(next));
  };

  /** Why the socket would not open: Minerva down (fetch fails) or this browser signed out (401). */
  async function diagnose(): Promise<ConnectionState> {
    try {
      const res = await fetch('/healthz', { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
      return res.status === 401 ? 'signed-out' : 'closed';
    } catch {
      return 'closed';
    }
  }

  function failInFlight(): void {
    for (const id of sent) {
      const call = pending.get(id);
      if (!call) continue;
      clearTimeout(call.timer);
      pending.delete(id);
      call.resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'The connection to Minerva dropped before it answered. It may or may not have done this; check, then try again.' } });
    }
    sent.clear();
  }

  function connect(): void {
    retryTimer = undefined;
    if (!everOpen) setState('connecting');
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      everOpen = true;
      setState('open');
      for (const [id, frame] of queue) {
        ws.send(frame);
        sent.add(id);
      }
      queue.clear();
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
          sent.delete(data.id);
          call.resolve(data.reply);
        }
      } else if (data.type === 'event' && typeof data.event === 'string') {
        const event: RpcEventMessage = { event: data.event, payload: data.payload };
        eventListeners.forEach((l) => l(event));
      }
    };
    ws.onclose = () => {
      // Say so first, so that the calls failed below meet an offline UI (the banner, not a toast each).
      if (state === 'open') setState('closed');
      failInFlight();
      attempt += 1;
      void diagnose().then((why) => {
        if (socket !== ws) return;
        setState(why);
        const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 5)) * (0.75 + Math.random() * 0.5);
        retryTimer = setTimeout(connect, delay);
      });
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
          queue.delete(id);
          sent.delete(id);
          resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'Minerva did not answer. Check that `minerva serve` is still running, then reload.' } });
        }, callTimeoutMs);
        pending.set(id, { resolve, timer });
        if (socket?.readyState === WebSocket.OPEN) {
          socket.send(frame);
          sent.add(id);
        } else queue.set(id, frame);
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
    retryNow() {
      if (retryTimer === undefined) return;
      clearTimeout(retryTimer);
      connect();
    },
  };
}
