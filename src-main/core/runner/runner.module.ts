import type { MethodName } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import type { WorkerModuleDeps, WorkerState } from '../module-deps';
import type { HandlerGroup } from '../rpc/handlers';

/** The `runner.*` share of the contract and the workers behind it. (Skeleton: being built.) */
export type RunnerMethod = Extract<MethodName, `runner.${string}`>;

export interface RunnerModule {
  handlers: HandlerGroup<RunnerMethod>;
  /** Workers for joined competitions of this kind, or null for another kind. */
  workerState(competitionId: string, kind: string): WorkerState | null;
  start(): void;
  close(): Promise<void>;
}

export function createRunnerModule(_deps: WorkerModuleDeps): RunnerModule {
  const notYet = (): never => {
    throw new AppError('UNAVAILABLE', 'This part of Minerva is not built yet.');
  };
  const handlers: HandlerGroup<RunnerMethod> = {
    'runner.status': notYet,
    'runner.calls': notYet,
    'runner.setPolicy': notYet,
    'runner.setListen': notYet,
    'runner.rotateHotkey': notYet,
    'runner.renewCertificate': notYet,
    'runner.addRemote': notYet,
  };
  return { handlers, workerState: () => null, start: () => undefined, close: () => Promise.resolve() };
}
