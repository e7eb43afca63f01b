/**
 * A runner's enrolment row as the flow engine sees it: the step list stored in
 * `runner_enrolments.steps_json` (RunnerRepo), the FlowStore over that table, and the pure
 * helpers that move a step. No new table: the engine's progress is the step list itself.
 */
import type { RunnerEnrolStepId } from '@shared/contract/runner';
import type { FlowStore } from '../kernel/flow-engine';
import { freshSteps, STEP_ORDER, type EnrolmentRow, type RunnerRepo, type StepRow, type StepState } from './runner.repo';

/** The flow kind of runner enrolment. */
export const ENROLMENT_FLOW = 'runner.enrolment';

/** Shown on a step that waits for the wallet (the engine's one wait-for-unlock). */
export const WAITING_FOR_UNLOCK = 'Waiting for your wallet to be unlocked.';

/** A flow id names one row: (network, competition). JSON keeps any character of either id. */
export function enrolmentId(networkId: string, competitionId: string): string {
  return JSON.stringify([networkId, competitionId]);
}

function parseId(id: string): [string, string] {
  return JSON.parse(id) as [string, string];
}

/** The step a row is at: the first one not done, or null once every step is. */
export function currentStep(row: EnrolmentRow): RunnerEnrolStepId | null {
  for (const id of STEP_ORDER) if (row.steps.find((s) => s.id === id)?.state !== 'done') return id;
  return null;
}

/** The step list with one step moved (the others as they are). */
export function withStep(steps: readonly StepRow[], id: RunnerEnrolStepId, state: StepState, detail: string | null): StepRow[] {
  const known = steps.some((s) => s.id === id);
  const all = known ? steps : [...steps, { id, state: 'pending' as const, detail: null }];
  return all.map((s) => (s.id === id ? { id, state, detail } : s));
}

/** The step list with these steps to run again. */
export function resetSteps(steps: readonly StepRow[], ids: readonly RunnerEnrolStepId[]): StepRow[] {
  return steps.map((s) => (ids.includes(s.id) ? { ...s, state: 'pending' } : s));
}

export function newEnrolment(networkId: string, competitionId: string, modelId: string, now: Date): EnrolmentRow {
  return {
    networkId,
    competitionId,
    modelId,
    steps: freshSteps(),
    policy: 'either',
    mode: 'mtls',
    modeTeeJson: null,
    listenHost: '127.0.0.1',
    listenPort: null,
    beyondLoopback: false,
    tlsKeySealed: null,
    tlsSpkiSha256: null,
    certPem: null,
    caPem: null,
    certNotBefore: null,
    certNotAfter: null,
    smpHotkey: null,
    smpIndex: null,
    registeredAddress: null,
    messageJson: null,
    errorCode: null,
    errorMessage: null,
    updatedAt: now.toISOString(),
  };
}

/**
 * The row a runner starts from in this process. Steps that were running when the app stopped run
 * again; so do the steps that hold something only in memory or outside this app: `tls-key` (the
 * key is opened into memory), `listen` (the server), and `chain` (it sends nothing when the chain
 * already names this runner, but after a leave and a new join the hub has taken it off the chain).
 * Another model id in the catalogue means enrolling again (the key stays).
 */
export function rowForStart(existing: EnrolmentRow | undefined, ids: { networkId: string; competitionId: string; modelId: string }, now: Date): EnrolmentRow {
  const row = existing ?? newEnrolment(ids.networkId, ids.competitionId, ids.modelId, now);
  if (row.modelId !== ids.modelId) {
    row.modelId = ids.modelId;
    row.steps = freshSteps();
    row.certPem = null;
    row.messageJson = null;
  }
  row.steps = row.steps.map((s) => (s.state === 'running' || s.id === 'tls-key' || s.id === 'listen' || s.id === 'chain' ? { ...s, state: 'pending' } : s));
  return row;
}

/** The engine's FlowStore over `runner_enrolments` (every save is one upsert of the row). */
export function enrolmentStore(repo: RunnerRepo, now: () => Date): FlowStore<EnrolmentRow> {
  return {
    get: (id) => {
      const [networkId, competitionId] = parseId(id);
      return repo.get(networkId, competitionId);
    },
    unfinished: () => repo.all().filter((r) => currentStep(r) !== null),
    save: (id, patch) => {
      const [networkId, competitionId] = parseId(id);
      const row = repo.get(networkId, competitionId);
      if (!row) throw new Error(`no runner enrolment ${id}`);
      const next: EnrolmentRow = { ...row, ...patch, networkId, competitionId, updatedAt: now().toISOString() };
      repo.save(next);
      return next;
    },
  };
}
