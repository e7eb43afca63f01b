import { JOB_STATES, type JobErrorCode, type JobState, type JobStepId, type JobView } from '@shared/contract/inference';

/**
 * The Jobs page's data, kept apart from React so that it can be tested on its own: a Map by core
 * id plus the ids newest first. A `jobsChanged` batch costs O(batch) for updates and O(n) once
 * only when it brings new jobs (they go in front) — never O(n²) — and filtering with counts is
 * one pass over the ids.
 */
export const JOB_LIMIT = 20_000;
/**
 * The first load asks for JOB_FIRST_PAGE jobs (shown at once), then pages of JOB_PAGE back to
 * JOB_LIMIT: each call stays within the 50 ms page-query budget (tests/bench/jobs-list.ts).
 */
export const JOB_FIRST_PAGE = 500;
export const JOB_PAGE = 500;

export interface JobsIndex {
  byId: Map<string, JobView>;
  /** Core ids, newest received first. */
  order: string[];
}

export function emptyIndex(): JobsIndex {
  return { byId: new Map(), order: [] };
}

/** Core's ids are row numbers as text: a longer one is a later row. */
const idAfter = (a: string, b: string) => (a.length !== b.length ? a.length > b.length : a > b);
const newestFirst = (a: JobView, b: JobView) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : a.id === b.id ? 0 : idAfter(a.id, b.id) ? -1 : 1);

/** A fresh index from a page of `inference.jobs` (already newest first, but sorted again to be sure). */
export function indexFrom(jobs: readonly JobView[]): JobsIndex {
  const byId = new Map<string, JobView>();
  for (const job of jobs) byId.set(job.id, job);
  const order = [...byId.values()].sort(newestFirst).map((j) => j.id);
  return trim({ byId, order });
}

/**
 * Merges a batch into the index, in place (the caller bumps a version number so React re-renders).
 * A job already known is replaced unless the batch's copy is older (events can cross a reload).
 * Returns the number of jobs that were new.
 */
export function mergeBatch(index: JobsIndex, batch: readonly JobView[]): number {
  const fresh: JobView[] = [];
  for (const job of batch) {
    const known = index.byId.get(job.id);
    if (known) {
      if (job.updatedAt >= known.updatedAt) index.byId.set(job.id, job);
    } else {
      index.byId.set(job.id, job);
      fresh.push(job);
    }
  }
  if (fresh.length === 0) return 0;
  fresh.sort(newestFirst);
  const newestKnown = index.order.length > 0 ? index.byId.get(index.order[0] as string) : undefined;
  if (!newestKnown || newestFirst(fresh.at(-1) as JobView, newestKnown) < 0) {
    // The usual case: every new job is newer than what we hold.
    index.order = [...fresh.map((j) => j.id), ...index.order];
  } else {
    // A late arrival: one merge of two sorted lists, O(n).
    const merged: string[] = [];
    let i = 0;
    for (const id of index.order) {
      const job = index.byId.get(id) as JobView;
      while (i < fresh.length && newestFirst(fresh[i] as JobView, job) <= 0) merged.push((fresh[i++] as JobView).id);
      merged.push(id);
    }
    while (i < fresh.length) merged.push((fresh[i++] as JobView).id);
    index.order = merged;
  }
  trim(index);
  return fresh.length;
}

function trim(index: JobsIndex): JobsIndex {
  if (index.order.length > JOB_LIMIT) {
    for (const id of index.order.slice(JOB_LIMIT)) index.byId.delete(id);
    index.order = index.order.slice(0, JOB_LIMIT);
  }
  return index;
}

export interface JobsFilter {
  /** `competitionId` or '' for all. */
  competitionId: string;
  /** Empty: every state. */
  states: ReadonlySet<JobState>;
}

export function emptyCounts(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
}

/**
 * One pass: the ids that match the filter (newest first), and the count per state of the jobs that
 * match the competition filter (so that the state chips say what clicking them would show).
 */
export function applyFilter(index: JobsIndex, filter: JobsFilter): { ids: string[]; counts: Record<JobState, number>; total: number } {
  const counts = emptyCounts();
  const ids: string[] = [];
  let total = 0;
  for (const id of index.order) {
    const job = index.byId.get(id) as JobView;
    if (filter.competitionId !== '' && job.competitionId !== filter.competitionId) continue;
    counts[job.state] += 1;
    total += 1;
    if (filter.states.size === 0 || filter.states.has(job.state)) ids.push(id);
  }
  return { ids, counts, total };
}

export const STEP_IDS: readonly JobStepId[] = ['key', 'decrypt', 'run', 'encrypt', 'upload', 'report'];

export const STEP_WORDS: Record<JobStepId, string> = {
  key: 'Key',
  decrypt: 'Decrypt',
  run: 'Run',
  encrypt: 'Encrypt',
  upload: 'Upload',
  report: 'Report',
};

export const STATE_WORDS: Record<JobState, string> = {
  queued: 'Queued',
  key: 'Getting the key',
  decrypt: 'Decrypting',
  run: 'Running the model',
  encrypt: 'Encrypting',
  upload: 'Uploading',
  report: 'Reporting',
  reported: 'Reported',
  failed: 'Failed',
  withdrawn: 'Withdrawn',
};

/** Short words for the state chips. */
export const STATE_SHORT: Record<JobState, string> = {
  queued: 'Queued',
  key: 'Key',
  decrypt: 'Decrypt',
  run: 'Run',
  encrypt: 'Encrypt',
  upload: 'Upload',
  report: 'Report',
  reported: 'Reported',
  failed: 'Failed',
  withdrawn: 'Withdrawn',
};

/** Why a job failed, in a miner's words, with what to do next. */
export const ERROR_WORDS: Record<JobErrorCode, string> = {
  KEY_FORBIDDEN: "The router refused the key: this address is not on the session's allowed list. Check that you joined with the EVM address the session expects.",
  KEY_RETIRED: 'The router no longer holds the key version this prompt was encrypted with. Nothing to do: the router sends new work under the current key.',
  ENVELOPE_INVALID: 'The encrypted prompt was damaged or not meant for this session, so it was not decrypted and nothing reached the model.',
  MODEL_FAILED: 'The model container answered an error or could not start. The Runtime page shows its log.',
  LEASE_LOST: 'The job took longer than its lease and went to another miner. If this happens often, lower the concurrency.',
  DEADLINE_PASSED: 'The job passed its deadline before it was finished. If this happens often, lower the concurrency.',
  ROUTER_REFUSED: 'The router refused the job.',
  INTERNAL: 'Something went wrong inside Minerva. The Logs page has details.',
};

export function errorWords(error: NonNullable<JobView['error']>): string {
  const base = ERROR_WORDS[error.code] ?? ERROR_WORDS.INTERNAL;
  // The router's own code (ROUTER_REFUSED) or a detail the miner can act on; core never puts secrets here.
  return error.code === 'ROUTER_REFUSED' && error.message ? `${base} (${error.message})` : base;
}

/** Why a job ended without a result, in words; '' when it did not (or is still going). */
export function reasonWords(job: JobView): string {
  if (job.error) return errorWords(job.error);
  if (job.state === 'withdrawn') return 'The router withdrew the job: its caller stopped waiting. Nothing to do.';
  return '';
}

export function isEnd(state: JobState): boolean {
  return state === 'reported' || state === 'failed' || state === 'withdrawn';
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A jobs-per-minute rate as both the figure and the sessions table show it. */
export function formatRate(perMinute: number): string {
  return perMinute.toFixed(perMinute < 10 ? 1 : 0);
}
