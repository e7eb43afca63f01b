import { defaultsOf, numberField, type ConfigSchema, type ConfigValues } from '../kernel/config';

/** The join/leave flow's tuning (printed by `minerva config --json`). */
export const competitionsConfig = {
  backoffBaseMs: numberField({ default: 1000, min: 1, max: 60_000, env: 'MINERVA_COMPETITIONS_BACKOFF_BASE_MS', doc: 'First backoff after a chain or hub fault during a join or leave (ms).' }),
  backoffMaxMs: numberField({ default: 30_000, min: 1, max: 600_000, env: 'MINERVA_COMPETITIONS_BACKOFF_MAX_MS', doc: 'Longest backoff between attempts of a join or leave (ms).' }),
  maxAttempts: numberField({ default: 8, min: 1, max: 1000, int: true, env: 'MINERVA_COMPETITIONS_MAX_ATTEMPTS', doc: 'Attempts of one step before a join or leave is shown as failed (with a Retry button).' }),
  txPollMs: numberField({ default: 500, min: 1, max: 60_000, env: 'MINERVA_COMPETITIONS_TX_POLL_MS', doc: 'How often a sent registration is checked for inclusion (ms).' }),
  txTimeoutMs: numberField({ default: 60_000, min: 100, max: 3_600_000, env: 'MINERVA_COMPETITIONS_TX_TIMEOUT_MS', doc: 'How long a registration may stay pending before it counts as a failed attempt (ms; it is followed again, never re-sent).' }),
  catalogueTtlMs: numberField({ default: 60_000, min: 0, max: 86_400_000, env: 'MINERVA_COMPETITIONS_CATALOGUE_TTL_MS', doc: 'How long the competitions list is used from the cache before it is fetched again (ms).' }),
  statusPollBaseMs: numberField({ default: 5000, min: 10, max: 3_600_000, env: 'MINERVA_COMPETITIONS_STATUS_POLL_BASE_MS', doc: 'First wait before a Platform submission’s status is asked again; each later wait doubles (ms).' }),
  statusPollMaxMs: numberField({ default: 300_000, min: 10, max: 86_400_000, env: 'MINERVA_COMPETITIONS_STATUS_POLL_MAX_MS', doc: 'Longest wait between two questions about a Platform submission’s status (ms).' }),
  statusFollowMs: numberField({ default: 172_800_000, min: 1000, max: 2_592_000_000, env: 'MINERVA_COMPETITIONS_STATUS_FOLLOW_MS', doc: 'How long after sending a Platform submission Minerva keeps asking for its final status (ms; then “Check again” asks once more).' }),
  statusMaxFailures: numberField({ default: 20, min: 1, max: 1000, int: true, env: 'MINERVA_COMPETITIONS_STATUS_MAX_FAILURES', doc: 'Unanswered status questions in a row after which Minerva stops asking about a Platform submission (the last known status stays).' }),
} satisfies ConfigSchema;

export type CompetitionsConfig = ConfigValues<typeof competitionsConfig>;

/** The defaults (for tests and for cores built without the kernel's resolution). */
export const COMPETITIONS_DEFAULTS: CompetitionsConfig = defaultsOf(competitionsConfig);
