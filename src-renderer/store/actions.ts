import type { AddNetworkInput, NetworksView } from '@shared/contract/networks';
import type { SettingsPatch } from '@shared/contract/settings';
import { onConnectionState, rpc, RpcError } from '../rpc';
import { useStore } from './store';
import { startNotifications } from '../features/notifications/notify-actions';

/** Plain functions that call core and put the answers in the store. */

export function errorText(error: unknown): string {
  if (error instanceof RpcError) return error.message;
  return 'Something went wrong. Try again; if it keeps happening, the Logs page has details.';
}

/**
 * An error toast in words, with the one action that fixes it when there is one: a locked wallet
 * asks to be unlocked, a missing one to be created.
 */
export function toastError(error: unknown): void {
  const code = error instanceof RpcError ? error.code : undefined;
  // Offline, the standing banner says it once; the state is read again when the connection returns.
  if (code === 'UNAVAILABLE' && useStore.getState().app.connection !== 'open') return;
  const action = code === 'VAULT_LOCKED' ? { label: 'Unlock your wallet', href: '#/wallet' } : code === 'VAULT_MISSING' ? { label: 'Create a wallet', href: '#/wallet' } : undefined;
  // About the wallet's state: gone once it is unlocked (a wallet made or unlocked meanwhile).
  useStore.getState().pushToast('error', errorText(error), action, action ? 'wallet' : undefined);
}

let started = false;

/** Connects, loads the first state and subscribes to pushed events. Safe to call twice. */
export function startApp(): void {
  if (started) return;
  started = true;
  const client = rpc();
  const store = useStore.getState();
  onConnectionState((connection) => {
    const previous = useStore.getState().app.connection;
    useStore.getState().setApp({ connection });
    if (connection !== 'open') return;
    void loadAll();
    // Back after a drop: events were missed meanwhile, so read the catalogue again too.
    if (previous !== 'connecting' && useStore.getState().competitions.view) void loadCompetitions(false);
  });
  client.on('settings.changed', (settings) => useStore.getState().setSettings(settings));
  client.on('logs.appended', (entry) => useStore.getState().appendLog(entry));
  client.on('networks.changed', (view) => {
    const previous = useStore.getState().networks;
    useStore.getState().setNetworks(view);
    // Another network, or the practice network just came up: the catalogue is another one.
    const switched = previous && (previous.selectedId !== view.selectedId || previous.practice.state !== view.practice.state);
    if (switched && useStore.getState().competitions.view) void loadCompetitions(false);
  });
  // Core says when any network's competitions change (a submission of a network not selected
  // now rests, for one): only the selected network's view is the page's.
  client.on('competitions.changed', (view) => {
    const selected = useStore.getState().networks?.selectedId;
    if (selected === undefined || view.networkId === selected) useStore.getState().setCompetitions({ view });
  });
  startNotifications();
  store.setApp({ connection: 'connecting' });
}

export async function loadAll(): Promise<void> {
  const client = rpc();
  try {
    // Health reads the chain for its earning check: it comes on its own, never holding up the first paint.
    void client.invoke('app.health', {}).then(
      (health) => useStore.getState().setApp({ health }),
      () => undefined,
    );
    const [info, settings, networks] = await Promise.all([client.invoke('app.info', {}), client.invoke('settings.get', {}), client.invoke('networks.list', {})]);
    const s = useStore.getState();
    s.setApp({ info, loadError: null });
    s.setSettings(settings);
    s.setNetworks(networks);
  } catch (error) {
    useStore.getState().setApp({ loadError: errorText(error) });
  }
}

export async function refreshHealth(): Promise<void> {
  try {
    useStore.getState().setApp({ health: await rpc().invoke('app.health', {}) });
  } catch (error) {
    toastError(error);
  }
}

export async function updateSettings(patch: SettingsPatch): Promise<boolean> {
  try {
    useStore.getState().setSettings(await rpc().invoke('settings.update', patch));
    return true;
  } catch (error) {
    toastError(error);
    return false;
  }
}

export async function loadLogs(minLevel: 'debug' | 'info' | 'warn' | 'error' = 'debug'): Promise<void> {
  try {
    const { entries } = await rpc().invoke('logs.tail', { limit: 500, minLevel });
    useStore.getState().setLogs(entries);
  } catch (error) {
    toastError(error);
  }
}

/** Runs a networks.* call and stores the view it returns; errors become a toast. */
async function networksCall(run: () => Promise<NetworksView>, done?: string): Promise<boolean> {
  try {
    useStore.getState().setNetworks(await run());
    if (done) useStore.getState().pushToast('info', done);
    return true;
  } catch (error) {
    toastError(error);
    return false;
  }
}

export const selectNetwork = (id: string, name: string) => networksCall(() => rpc().invoke('networks.select', { id }), `Switched to ${name}.`);
export const addNetwork = (input: { name: string; chainUrl: string; hubUrl: string }) => networksCall(() => rpc().invoke('networks.add', input), `Added ${input.name}.`);
export const addBittensorNetwork = (input: Extract<AddNetworkInput, { kind: 'bittensor' }>) => networksCall(() => rpc().invoke('networks.add', input), 'Added the Bittensor network after checking its chain.');
export const removeNetwork = (id: string, name: string) => networksCall(() => rpc().invoke('networks.remove', { id }), `Removed ${name}.`);

export async function loadCompetitions(refresh: boolean): Promise<void> {
  useStore.getState().setCompetitions({ loading: true });
  try {
    useStore.getState().setCompetitions({ view: await rpc().invoke('competitions.list', { refresh }), loading: false });
  } catch (error) {
    useStore.getState().setCompetitions({ loading: false });
    toastError(error);
  }
}

/** Join, leave or retry: the answer is the first state of the flow; progress arrives as events. */
export async function membershipAction(action: 'join' | 'leave' | 'retry', id: string): Promise<void> {
  try {
    await rpc().invoke(`competitions.${action}`, { id });
  } catch (error) {
    toastError(error);
  }
}
