/**
 * Runner enrolment as a flow of the kernel's engine (kernel/flow-engine.ts): tls-key → chain →
 * certificate → message → listen, progress in `runner_enrolments.steps_json`. The engine drives
 * the steps, waits at the unlock gate when a step needs the locked wallet, retries with backoff
 * and jitter, and batches the changed rows into `runner.changed`. This file only says how the
 * engine's decisions read in the step list; the steps are in enrolment-steps.ts.
 */
import { isAppError } from '@shared/contract/errors';
import type { RunnerEnrolStepId } from '@shared/contract/runner';
import { permanent, type FlowSpec, type FlowStore, type StepFn } from '../kernel/flow-engine';
import type { ErrorClass } from '../kernel/retry';
import { currentStep, ENROLMENT_FLOW, enrolmentId, WAITING_FOR_UNLOCK, withStep } from './enrolment';
import { ENROLMENT_STEPS, type EnrolmentHost } from './enrolment-steps';
import { STEP_ORDER, type EnrolmentRow, type StepState } from './runner.repo';

/** Errors a later attempt cannot fix by itself (anything else is retried: the chain, the certificate service or the model may be busy). */
const PERMANENT: ReadonlySet<string> = new Set(['CONFLICT', 'CERT_INVALID', 'VAULT_MISSING', 'VALIDATION', 'FORBIDDEN', 'INTERNAL', 'DECRYPT_FAILED']);

export function classifyEnrolmentError(error: unknown): ErrorClass {
  if (!isAppError(error)) return 'fail';
  if (error.code === 'VAULT_LOCKED') return 'unlock';
  if (PERMANENT.has(error.code) || error.details?.permanent === true) return 'fail';
  return 'retry';
}

export interface EnrolmentFlowOptions {
  store: FlowStore<EnrolmentRow>;
  /** The runner a flow belongs to (absent once it stopped). */
  host(id: string): EnrolmentHost | undefined;
  /** First retry delay; later ones double, with jitter, up to 8×. */
  retryMs: number;
  onChanged(rows: EnrolmentRow[]): void;
}

export function enrolmentFlow(o: EnrolmentFlowOptions): FlowSpec<EnrolmentRow, RunnerEnrolStepId> {
  /** The step each flow ran last: the engine's decisions are written on it (a failing step may have reset earlier ones). */
  const ran = new Map<string, RunnerEnrolStepId>();
  const idOf = (row: EnrolmentRow): string => enrolmentId(row.networkId, row.competitionId);
  /** A patch moving the step that ran, computed from the stored row (never from a stale copy). */
  const mark = (row: EnrolmentRow, state: StepState, detail: string | null, extra: Partial<EnrolmentRow>): Partial<EnrolmentRow> => {
    const id = idOf(row);
    const stored = o.store.get(id) ?? row;
    const step = ran.get(id) ?? currentStep(stored);
    return step ? { steps: withStep(stored.steps, step, state, detail), ...extra } : extra;
  };
  const failure = (row: EnrolmentRow, error: unknown): Partial<EnrolmentRow> => {
    const message = isAppError(error) ? error.message : 'An unexpected error stopped the runner.';
    return mark(row, 'failed', message, { errorCode: isAppError(error) ? error.code : 'INTERNAL', errorMessage: message });
  };
  const run =
    (step: RunnerEnrolStepId): StepFn<EnrolmentRow> =>
    async (_row, ctx) => {
      const host = o.host(ctx.id);
      if (!host) throw permanent('INTERNAL', 'This runner has stopped.');
      ran.set(ctx.id, step);
      const started = ctx.save({ steps: withStep(host.row().steps, step, 'running', null) });
      const detail = await ENROLMENT_STEPS[step](host, ctx, started);
      // Written from the stored row: what the step saved (and any reset made meanwhile) stays.
      return { steps: withStep(host.row().steps, step, 'done', detail), errorCode: null, errorMessage: null };
    };
  return {
    kind: ENROLMENT_FLOW,
    store: o.store,
    idOf,
    stepOf: currentStep,
    steps: Object.fromEntries(STEP_ORDER.map((s) => [s, run(s)])) as Record<RunnerEnrolStepId, StepFn<EnrolmentRow>>,
    retry: { baseMs: o.retryMs, maxMs: o.retryMs * 8, maxAttempts: 8 },
    classify: (error) => classifyEnrolmentError(error),
    record: {
      failed: failure,
      retrying: (row, { error }) => failure(row, error),
      waitingUnlock: (row) => mark(row, 'pending', WAITING_FOR_UNLOCK, { errorCode: null, errorMessage: null }),
      resumed: () => ({ errorCode: null, errorMessage: null }),
    },
    onChanged: (rows) => o.onChanged(rows),
  };
}
