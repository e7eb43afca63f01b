import { create } from 'zustand';
import type { IsolationReport, ModelLogLine, RuntimeContainer, RuntimeImage, RuntimeStatus, TeeRecord } from '@shared/contract/runtime';

/**
 * The Runtime page's view: engine status, images, containers, the selected container's isolation
 * report and logs, TEE checks. Never a model input or output.
 */
export interface RuntimeViewState {
  status: RuntimeStatus | null;
  images: RuntimeImage[];
  containers: RuntimeContainer[];
  tee: TeeRecord[];
  selected: string | null;
  isolation: IsolationReport | null;
  logs: ModelLogLine[];
  busy: string | null;
  /** The pull in progress: latest status per layer. */
  pull: { reference: string; layers: Record<string, string>; last: string } | null;
  loadError: string | null;
  set: (patch: Partial<Omit<RuntimeViewState, 'set'>>) => void;
}

export const useRuntimeStore = create<RuntimeViewState>()((set) => ({
  status: null,
  images: [],
  containers: [],
  tee: [],
  selected: null,
  isolation: null,
  logs: [],
  busy: null,
  pull: null,
  loadError: null,
  set: (patch) => set(patch),
}));
