/**
 * A real core driven in this process, as the integration tests do: a router call that throws the
 * reply's code and words, and the next UI event that matches.
 */
import type { RpcReply } from '@shared/contract';
import type { Core } from '@core/create-core';

export async function call<T>(core: Core, method: string, input: unknown = {}): Promise<T> {
  const reply: RpcReply = await core.router.call(method, input, { transport: 'test', clientId: 't' });
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
}

/** Resolves with the first `event` (sent after this call) whose payload passes `check`; rejects after `timeoutMs`. */
export function waitFor<T>(core: Core, event: string, check: (payload: T) => boolean, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${event}`))), timeoutMs);
    const off = core.events.onAny((m) => {
      if (m.event === event && check(m.payload as T)) {
        clearTimeout(timer);
        off();
        resolve(m.payload as T);
      }
    });
  });
}
