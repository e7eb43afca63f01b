import { rpc, onConnectionState } from '../../rpc';
import { errorText, toastError } from '../../store/actions';
import { JOB_FIRST_PAGE, JOB_LIMIT, JOB_PAGE } from './jobs-model';
import { useInferenceStore } from './inference-store';

/** Plain functions that call `inference.*` and keep the inference view current. */

export async function refreshInferenceStatus(): Promise<void> {
  try {
    useInferenceStore.getState().setStatus(await rpc().invoke('inference.status', {}));
  } catch (error) {
    useInferenceStore.getState().setStatusError(errorText(error));
  }
}

let loading: Promise<void> | null = null;

/**
 * Loads the newest jobs (up to the list's limit), a page at a time: the first page shows at once,
 * older ones follow through core's keyset paging (`before`), so no single call holds core's event
 * loop for long (README "Performance": jobs page query). Events keep them current afterwards.
 */
export function loadJobs(): Promise<void> {
  loading ??= (async () => {
    try {
      const first = await rpc().invoke('inference.jobs', { limit: JOB_FIRST_PAGE });
      const store = useInferenceStore.getState();
      store.replaceJobs(first.jobs, first.total);
      let held = first.jobs.length;
      let oldest = first.jobs.at(-1)?.id;
      while (oldest !== undefined && held < Math.min(first.total, JOB_LIMIT)) {
        const page = await rpc().invoke('inference.jobs', { limit: Math.min(JOB_PAGE, JOB_LIMIT - held), before: oldest });
        if (page.jobs.length === 0) break;
        store.addOlderJobs(page.jobs);
        held += page.jobs.length;
        oldest = page.jobs.at(-1)?.id;
      }
    } catch (error) {
      useInferenceStore.getState().setStatusError(errorText(error));
    } finally {
      loading = null;
    }
  })();
  return loading;
}

let started = false;

/** Subscribes to the inference events once; reloads after a reconnection. Safe to call twice. */
export function startInference(): void {
  if (started) return;
  started = true;
  const client = rpc();
  client.on('inference.jobsChanged', ({ jobs }) => useInferenceStore.getState().mergeJobs(jobs));
  client.on('inference.statusChanged', (status) => useInferenceStore.getState().setStatus(status));
  onConnectionState((state) => {
    if (state !== 'open') return;
    void refreshInferenceStatus();
    if (useInferenceStore.getState().loaded) void loadJobs();
  });
  void refreshInferenceStatus();
}

export async function setConcurrency(competitionId: string, concurrency: number): Promise<boolean> {
  try {
    useInferenceStore.getState().setStatus(await rpc().invoke('inference.setConcurrency', { competitionId, concurrency }));
    return true;
  } catch (error) {
    toastError(error);
    return false;
  }
}
