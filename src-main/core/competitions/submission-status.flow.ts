import { isAppError } from '@shared/contract/errors';
import { TERMINAL_SUBMISSION_STATUSES } from '@shared/contract/competitions';
import type { FlowSpec, FlowStore, FlowWait, StepContext } from '../kernel/flow-engine';
import { classifyError } from '../kernel/retry';
import type { ScopedLogger } from '../log/logger';
import type { CatalogueEntry, NetworkClient } from '../network/client';
import type { ActiveNetwork } from '../network/networks.service';
import type { CompetitionsConfig } from './competitions.config';
import type { SubmissionRow } from './submissions.repo';

/**
 * Following a Platform challenge submission after the hub's first answer (docs/networks.md
 * "Platform"): one step, `check`, asks the hub where the evaluation stands
 * (`GET /v1/challenges/<slug>/submissions/<id>`, platform-bittensor.ts) and waits before asking
 * again — `statusPollBaseMs`, doubling after each answer up to `statusPollMaxMs` — until the
 * challenge gives a final status (completed, failed, rejected). The row is the flow's state, so a
 * restart resumes at `next_check_at`.
 *
 * It is bounded three ways: a final status ends it (`done`); `statusFollowMs` after the submission
 * it stops asking (`stopped`); a hub that does not answer `statusMaxFailures` times in a row
 * stops it too. A hub that does not answer never erases what it said before: the status, score
 * and reason stay the last known, and the error says in words what went wrong and what happens
 * next. A challenge that no longer knows the id (404) stops it at once.
 */
export const SUBMISSION_STATUS_FLOW = 'competitions.submission-status';

export interface SubmissionStatusFlowDeps {
  store: FlowStore<SubmissionRow>;
  log: ScopedLogger;
  config: CompetitionsConfig;
  activeNetwork: () => Promise<ActiveNetwork>;
  /** The competition in `network`'s catalogue (never another network's, were the selection to change meanwhile). */
  entry: (network: ActiveNetwork, competitionId: string) => Promise<CatalogueEntry>;
  clientFor: (network: ActiveNetwork) => NetworkClient;
  onChanged: (rows: SubmissionRow[]) => void;
}

/** The wait before the next question once the hub has answered `n` times (n ≥ 1) or failed `n` times. */
export function statusPollDelay(n: number, config: Pick<CompetitionsConfig, 'statusPollBaseMs' | 'statusPollMaxMs'>): number {
  return Math.min(config.statusPollMaxMs, config.statusPollBaseMs * 2 ** Math.min(Math.max(n - 1, 0), 30));
}

export function submissionStatusFlow(deps: SubmissionStatusFlowDeps): FlowSpec<SubmissionRow, 'check'> {
  const { config } = deps;
  const waitFor = (ctx: StepContext<SubmissionRow>, at: Date, patch: Partial<SubmissionRow>): FlowWait<SubmissionRow> =>
    ctx.wait(at, 'Asking the hub again about the submission later.', { ...patch, nextCheckAt: at.toISOString() });

  async function check(row: SubmissionRow, ctx: StepContext<SubmissionRow>): Promise<Partial<SubmissionRow> | FlowWait<SubmissionRow>> {
    const now = ctx.now();
    if (row.nextCheckAt && Date.parse(row.nextCheckAt) > now.getTime()) return waitFor(ctx, new Date(row.nextCheckAt), {});
    if (row.submissionId === null) return { following: 'stopped', nextCheckAt: null };
    // Another network is selected, or the selected one is not up (the practice network stopped):
    // its hub is not asked now (no next check: the flow rests, nothing is counted against the
    // hub); the service follows it again when its network is selected again or listed
    // (CompetitionsService.followSubmissions).
    const network = await deps.activeNetwork().catch(() => null);
    if (network?.id !== row.networkId) return { nextCheckAt: null };
    if (now.getTime() - Date.parse(row.followFrom ?? row.submittedAt) > config.statusFollowMs) {
      return {
        following: 'stopped',
        nextCheckAt: null,
        errorCode: 'TIMEOUT',
        errorMessage: `Minerva stopped asking ${hours(config.statusFollowMs)} after the submission: the challenge had not given a final status by then. Check again asks once more.`,
      };
    }
    try {
      const entry = await deps.entry(network, row.competitionId);
      const client = deps.clientFor(network);
      if (!client.submissionStatus) return { following: 'stopped', nextCheckAt: null, errorCode: 'UNSUPPORTED', errorMessage: 'This network cannot say where a submission stands.' };
      const answer = await client.submissionStatus(entry, row.submissionId);
      const checks = row.checks + 1;
      const known = { status: answer.status, score: answer.score, reason: answer.reason, checks, failures: 0, checkedAt: now.toISOString(), errorCode: null, errorMessage: null };
      if (TERMINAL_SUBMISSION_STATUSES.includes(answer.status)) return { ...known, following: 'done', nextCheckAt: null };
      return waitFor(ctx, new Date(now.getTime() + statusPollDelay(checks, config)), { ...known, following: 'following' });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const code = isAppError(error) ? error.code : 'INTERNAL';
      const words = isAppError(error) ? error.message : 'Something went wrong inside Minerva; see the log.';
      if (classifyError(error) !== 'retry') {
        deps.log.warn('submission status: stopped following', { submission: row.submissionId, code });
        return { following: 'stopped', nextCheckAt: null, errorCode: code, errorMessage: `${words} Minerva stopped asking; the status shown is the last one the hub gave.` };
      }
      const failures = row.failures + 1;
      if (failures >= config.statusMaxFailures) {
        deps.log.warn('submission status: hub did not answer; stopped following', { submission: row.submissionId, failures, code });
        return {
          following: 'stopped',
          failures,
          nextCheckAt: null,
          errorCode: code,
          errorMessage: `${words} Minerva asked ${failures} times in a row without an answer and stopped; the status shown is the last one the hub gave. Check again once the hub is back.`,
        };
      }
      return waitFor(ctx, new Date(now.getTime() + statusPollDelay(failures, config)), {
        failures,
        errorCode: code,
        errorMessage: `${words} The status shown is the last one the hub gave; Minerva asks again.`,
      });
    }
  }

  return {
    kind: SUBMISSION_STATUS_FLOW,
    store: deps.store,
    idOf: (row) => row.key,
    stepOf: (row) => (row.following === 'following' && row.nextCheckAt !== null ? 'check' : null),
    steps: { check },
    record: {
      failed: (_row, error) => ({
        following: 'stopped',
        nextCheckAt: null,
        errorCode: isAppError(error) ? error.code : 'INTERNAL',
        errorMessage: `${isAppError(error) ? error.message : 'Something went wrong inside Minerva; see the log.'} Minerva stopped asking; the status shown is the last one the hub gave.`,
      }),
    },
    onChanged: (rows) => deps.onChanged(rows),
    describeEnd: (row) => (row.following === 'done' ? { ok: true, detail: `Submission ${row.submissionId ?? ''} ${row.status ?? ''}` } : null),
  };
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 1 ? `${Number.isInteger(h) ? h : h.toFixed(1)} h` : `${Math.round(ms / 60_000)} min`;
}
