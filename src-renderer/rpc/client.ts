import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput, RpcBridge } from '@shared/contract';
import type { AppErrorCode } from '@shared/contract/errors';

/** An error reply from core, with the code and miner-facing message only. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RpcClient {
  invoke<K extends MethodName>(method: K, input: MethodInput<K>): Promise<MethodOutput<K>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The typed client over whichever bridge the host provides (Electron preload or WebSocket). */
export function createRpcClient(bridge: RpcBridge): RpcClient {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  bridge.onEvent((message) => {
    for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
  });
  return {
    async invoke(method, input) {
      const reply = await bridge.invoke(method, input);
      if (reply.ok) return reply.result as never;
      throw new RpcError(reply.error.code, reply.error.message);
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
}
