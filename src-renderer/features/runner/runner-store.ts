import { create } from 'zustand';
import type { RemoteRunnerView, RunnerCallView, RunnerStatus, RunnerView } from '@shared/contract/runner';

/**
 * The model runner in the renderer (a feature-local store, like the runtime's and inference's):
 * each runner's enrolment, address, certificate, hotkey, call counts and predictions, the recent
 * calls of each runner, and the TEE-hosted runners. Public facts only — never a key.
 */
export interface RunnerViewState {
  runners: RunnerView[];
  remote: RemoteRunnerView[];
  /** Loaded once (an empty list before that means "not asked yet"). */
  loaded: boolean;
  /** Words when core could not give the status (e.g. not available in this build). */
  statusError: string | null;
  /** Recent coordinator calls per competition, newest first. */
  calls: Record<string, RunnerCallView[]>;
  setStatus: (status: RunnerStatus) => void;
  setStatusError: (message: string | null) => void;
  /** A runner.changed event or a method's answer: replaces that runner (or adds it). */
  upsertRunner: (runner: RunnerView) => void;
  /** A runner.changed event for a stopped runner (left, or another network): it leaves the page. */
  removeRunner: (competitionId: string) => void;
  upsertRemote: (remote: RemoteRunnerView) => void;
  /** Calls from `runner.calls` or carried by a runner.changed event: merged by id, the 50 newest kept. */
  addCalls: (competitionId: string, calls: RunnerCallView[]) => void;
}

/** Recent calls kept per runner (what the page's table shows). */
export const CALLS_SHOWN = 50;

export const useRunnerStore = create<RunnerViewState>()((set) => ({
  runners: [],
  remote: [],
  loaded: false,
  statusError: null,
  calls: {},
  setStatus: (status) => set({ runners: status.runners, remote: status.remote, loaded: true, statusError: null }),
  setStatusError: (statusError) => set({ statusError }),
  upsertRunner: (runner) =>
    set((s) => {
      const i = s.runners.findIndex((r) => r.competitionId === runner.competitionId);
      if (i < 0) return { runners: [...s.runners, runner] };
      const runners = s.runners.slice();
      runners[i] = runner;
      return { runners };
    }),
  removeRunner: (competitionId) =>
    set((s) => {
      const calls = { ...s.calls };
      delete calls[competitionId];
      return { runners: s.runners.filter((r) => r.competitionId !== competitionId), calls };
    }),
  upsertRemote: (remote) =>
    set((s) => {
      const i = s.remote.findIndex((r) => r.id === remote.id);
      if (i < 0) return { remote: [...s.remote, remote] };
      const list = s.remote.slice();
      list[i] = remote;
      return { remote: list };
    }),
  addCalls: (competitionId, calls) => set((s) => ({ calls: { ...s.calls, [competitionId]: mergeCalls(s.calls[competitionId] ?? [], calls) } })),
}));

/**
 * Newest first, each call once. A list fetched while events arrive may miss the newest calls or
 * repeat some an event carried: merging by id makes the order of arrival irrelevant.
 */
export function mergeCalls(known: readonly RunnerCallView[], incoming: readonly RunnerCallView[]): RunnerCallView[] {
  const byId = new Map<number, RunnerCallView>();
  for (const c of [...known, ...incoming]) byId.set(c.id, c);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, CALLS_SHOWN);
}
