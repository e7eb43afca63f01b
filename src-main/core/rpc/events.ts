import type { EventName, EventPayload } from '@shared/contract';

export interface PushedEvent {
  event: EventName;
  payload: unknown;
}

/** Typed server-push events; transports subscribe with `onAny` and forward to their clients. */
export class EventBus {
  private readonly listeners = new Set<(message: PushedEvent) => void>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) {
      try {
        listener({ event, payload });
      } catch {
        // one transport's failure must not stop the others
      }
    }
  }

  onAny(listener: (message: PushedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
