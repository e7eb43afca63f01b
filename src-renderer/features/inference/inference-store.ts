import { create } from 'zustand';
import type { InferenceStatus, JobView } from '@shared/contract/inference';
import { emptyIndex, indexFrom, mergeBatch, type JobsIndex } from './jobs-model';

/**
 * Private inference in the renderer (a feature-local store, like the vault's and the runtime's):
 * the workers' status and figures, and the jobs. The jobs index is mutated in place by a batch and
 * `version` bumps, so that a batch of 10 jobs among 10,000 costs 10 map writes, not a copy.
 * Jobs carry ids, URNs, states and timings only — never a prompt, an output or a key.
 */
export interface InferenceViewState {
  status: InferenceStatus | null;
  /** Words when core could not give the status (e.g. not available in this build). */
  statusError: string | null;
  jobs: JobsIndex;
  /** Bumps on every change of `jobs`. */
  version: number;
  /** The jobs list was loaded once (events alone would miss the jobs from before). */
  loaded: boolean;
  /** How many jobs core holds for no filter (may exceed what is loaded). */
  totalInCore: number;
  /** New jobs seen since the live region last spoke, and end states reached. */
  pendingNews: { received: number; reported: number; failed: number };
  setStatus: (status: InferenceStatus) => void;
  setStatusError: (message: string | null) => void;
  replaceJobs: (jobs: JobView[], total: number) => void;
  mergeJobs: (jobs: JobView[]) => void;
  /** Older jobs from a following page of the first load (no news: they are not new). */
  addOlderJobs: (jobs: JobView[]) => void;
  takeNews: () => { received: number; reported: number; failed: number };
}

export const useInferenceStore = create<InferenceViewState>()((set, get) => ({
  status: null,
  statusError: null,
  jobs: emptyIndex(),
  version: 0,
  loaded: false,
  totalInCore: 0,
  pendingNews: { received: 0, reported: 0, failed: 0 },
  setStatus: (status) => set({ status, statusError: null }),
  setStatusError: (statusError) => set({ statusError }),
  replaceJobs: (jobs, total) => set((s) => ({ jobs: indexFrom(jobs), version: s.version + 1, loaded: true, totalInCore: total })),
  mergeJobs: (batch) => {
    const s = get();
    let reported = 0;
    let failed = 0;
    for (const job of batch) {
      const before = s.jobs.byId.get(job.id)?.state;
      if (before !== job.state) {
        if (job.state === 'reported') reported += 1;
        else if (job.state === 'failed') failed += 1;
      }
    }
    const received = mergeBatch(s.jobs, batch);
    const news = s.pendingNews;
    set({
      version: s.version + 1,
      totalInCore: s.totalInCore + received,
      pendingNews: { received: news.received + received, reported: news.reported + reported, failed: news.failed + failed },
    });
  },
  addOlderJobs: (jobs) => {
    const s = get();
    mergeBatch(s.jobs, jobs);
    set({ version: s.version + 1 });
  },
  takeNews: () => {
    const news = get().pendingNews;
    set({ pendingNews: { received: 0, reported: 0, failed: 0 } });
    return news;
  },
}));
