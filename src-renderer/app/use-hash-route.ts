import { useSyncExternalStore } from 'react';
import { routeFromHash, type RouteDef } from './routes';

function subscribe(callback: () => void): () => void {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

export function useHashRoute(): RouteDef {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return routeFromHash(hash);
}

/** The whole hash (`#/settings?show=bittensor`), for what a page reads beyond its route. */
export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}
