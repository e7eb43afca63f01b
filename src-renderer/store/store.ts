import { create, type StateCreator } from 'zustand';
import type { AppHealth, AppInfo } from '@shared/contract/app';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { LogEntry } from '@shared/contract/logs';
import type { NetworksView } from '@shared/contract/networks';
import type { Settings } from '@shared/contract/settings';
import type { ConnectionState } from '../rpc';

/**
 * The renderer's state: slices combined once (STYLE.md, "State in the renderer"). Components
 * always select (`useStore((s) => s.app.info)`); actions that call the RPC client live in
 * ./actions.ts. Nothing secret is ever kept here, and nothing is persisted.
 */
export interface AppSlice {
  app: { info: AppInfo | null; health: AppHealth | null; connection: ConnectionState; loadError: string | null };
  setApp: (patch: Partial<AppSlice['app']>) => void;
}

export interface SettingsSlice {
  settings: Settings | null;
  setSettings: (settings: Settings) => void;
}

const LOG_LIMIT = 2000;

export interface LogsSlice {
  logs: { entries: LogEntry[] };
  setLogs: (entries: LogEntry[]) => void;
  appendLog: (entry: LogEntry) => void;
}

export interface NetworksSlice {
  networks: NetworksView | null;
  setNetworks: (view: NetworksView) => void;
}

export interface CompetitionsSlice {
  competitions: { view: CompetitionsView | null; loading: boolean };
  setCompetitions: (patch: Partial<CompetitionsSlice['competitions']>) => void;
}

export interface ToastAction {
  label: string;
  href: string;
}

/**
 * What a toast is about, when it only holds while some state lasts: 'wallet' says the wallet is
 * missing or locked, and is dropped the moment it is unlocked (vault-actions.ts), so "Create or
 * import a wallet first" never stands next to an unlocked wallet.
 */
export type ToastTopic = 'wallet';

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
  action?: ToastAction;
  topic?: ToastTopic;
}

export interface ToastSlice {
  toasts: Toast[];
  /**
   * Shows a message. The same message again replaces the one on screen (three Join clicks without
   * a wallet say it once, with a fresh timer); at most four are shown, the oldest goes first.
   */
  pushToast: (kind: Toast['kind'], text: string, action?: ToastAction, topic?: ToastTopic) => void;
  dismissToast: (id: number) => void;
  /** Drops every toast about `topic`: what it said no longer holds. */
  dropToasts: (topic: ToastTopic) => void;
}

export type Store = AppSlice & SettingsSlice & LogsSlice & NetworksSlice & CompetitionsSlice & ToastSlice;

const appSlice: StateCreator<Store, [], [], AppSlice> = (set) => ({
  app: { info: null, health: null, connection: 'connecting', loadError: null },
  setApp: (patch) => set((s) => ({ app: { ...s.app, ...patch } })),
});

const settingsSlice: StateCreator<Store, [], [], SettingsSlice> = (set) => ({
  settings: null,
  setSettings: (settings) => set({ settings }),
});

const logsSlice: StateCreator<Store, [], [], LogsSlice> = (set) => ({
  logs: { entries: [] },
  setLogs: (entries) => set({ logs: { entries } }),
  appendLog: (entry) =>
    set((s) => {
      const last = s.logs.entries.at(-1);
      if (last && entry.seq <= last.seq) return s;
      const entries = [...s.logs.entries, entry];
      return { logs: { entries: entries.length > LOG_LIMIT ? entries.slice(-LOG_LIMIT) : entries } };
    }),
});

const networksSlice: StateCreator<Store, [], [], NetworksSlice> = (set) => ({
  networks: null,
  setNetworks: (networks) => set({ networks }),
});

const competitionsSlice: StateCreator<Store, [], [], CompetitionsSlice> = (set) => ({
  competitions: { view: null, loading: false },
  setCompetitions: (patch) => set((s) => ({ competitions: { ...s.competitions, ...patch } })),
});

let toastSeq = 0;
const toastSlice: StateCreator<Store, [], [], ToastSlice> = (set) => ({
  toasts: [],
  pushToast: (kind, text, action, topic) =>
    set((s) => {
      const others = s.toasts.filter((t) => t.kind !== kind || t.text !== text || t.action?.href !== action?.href);
      return { toasts: [...others.slice(-3), { id: (toastSeq += 1), kind, text, ...(action ? { action } : {}), ...(topic ? { topic } : {}) }] };
    }),
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
  dropToasts: (topic) => set((s) => (s.toasts.some((t) => t.topic === topic) ? { toasts: s.toasts.filter((t) => t.topic !== topic) } : s)),
});

export const useStore = create<Store>()((...a) => ({
  ...appSlice(...a),
  ...settingsSlice(...a),
  ...logsSlice(...a),
  ...networksSlice(...a),
  ...competitionsSlice(...a),
  ...toastSlice(...a),
}));
