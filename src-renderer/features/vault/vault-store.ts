import { create } from 'zustand';
import type { VaultOverview } from '@shared/contract/vault';

/**
 * The wallet's view in the renderer: lock state, addresses and warnings — never a key, seed or
 * password. (A feature-local store: the recovery phrase shown during onboarding lives only in the
 * wizard component's state and is dropped when it unmounts.)
 */
export interface VaultViewState {
  overview: VaultOverview | null;
  loadError: string | null;
  setOverview: (overview: VaultOverview) => void;
  setLoadError: (message: string | null) => void;
  /** Which form under "Wallet actions" is open (a warning's fix may open one). */
  actionsPanel: string | null;
  openActionsPanel: (panel: string | null) => void;
}

export const useVaultStore = create<VaultViewState>()((set) => ({
  overview: null,
  loadError: null,
  setOverview: (overview) => set({ overview, loadError: null }),
  setLoadError: (loadError) => set({ loadError }),
  actionsPanel: null,
  openActionsPanel: (actionsPanel) => set({ actionsPanel }),
}));
