import type { RpcBridge } from '@shared/contract';
import { createRpcClient, type RpcClient } from './client';
import { createWebSocketBridge, type ConnectionState } from './ws-bridge';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser served by `minerva serve`. */
    minerva?: RpcBridge & {
      /** The path of a dropped or chosen file on this machine ('' when it has none). */
      pathForFile?: (file: File) => string;
    };
  }
}

let client: RpcClient | undefined;
let retry: (() => void) | undefined;
const stateListeners = new Set<(state: ConnectionState) => void>();

/** The app's single RPC client: Electron's preload bridge when present, else the WebSocket. */
export function rpc(): RpcClient {
  if (!client) {
    if (window.minerva) {
      client = createRpcClient(window.minerva);
      queueMicrotask(() => stateListeners.forEach((l) => l('open')));
    } else {
      const bridge = createWebSocketBridge();
      bridge.onState((state) => stateListeners.forEach((l) => l(state)));
      retry = () => bridge.retryNow();
      client = createRpcClient(bridge);
    }
  }
  return client;
}

/** Tries to reconnect at once instead of waiting out the backoff (the banner's "Try now"). */
export function reconnectNow(): void {
  retry?.();
}

export function onConnectionState(listener: (state: ConnectionState) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

export { RpcError } from './client';
export type { RpcClient } from './client';
export type { ConnectionState } from './ws-bridge';
