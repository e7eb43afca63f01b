/**
 * Typed in-process events between features ("a membership changed", "the wallet locked"). They
 * are not the UI's events (rpc/events.ts pushes those to renderers): features never listen to UI
 * events or compare event-name strings. Each feature adds its events to `DomainEventMap` by
 * declaration merging, next to the code that emits them:
 *
 *   declare module '../kernel/domain-events' {
 *     interface DomainEventMap { 'competitions.membershipsChanged': { networkId: string } }
 *   }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface DomainEventMap {}

export type DomainEventName = keyof DomainEventMap;

export class DomainEvents {
  private readonly listeners = new Map<string, Set<(payload: never) => void>>();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => undefined) {}

  emit<E extends DomainEventName>(event: E, payload: DomainEventMap[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (p: DomainEventMap[E]) => void)(payload);
      } catch (error) {
        this.onListenerError(event, error);
      }
    }
  }

  on<E extends DomainEventName>(event: E, listener: (payload: DomainEventMap[E]) => void): () => void {
    const erased = listener as (payload: never) => void;
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(erased);
    return () => set.delete(erased);
  }
}
