import type { MethodName } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import type { WorkerModuleDeps, WorkerState } from '../module-deps';
import type { HandlerGroup } from '../rpc/handlers';

/** The `inference.*` share of the contract and the workers behind it. (Skeleton: being built.) */
export type InferenceMethod = Extract<MethodName, `inference.${string}`>;

export interface InferenceModule {
  handlers: HandlerGroup<InferenceMethod>;
  /** Workers for joined competitions of this kind, or null for another kind. */
  workerState(competitionId: string, kind: string): WorkerState | null;
  start(): void;
  close(): Promise<void>;
}

export function createInferenceModule(_deps: WorkerModuleDeps): InferenceModule {
  const notYet = (): never => {
    throw new AppError('UNAVAILABLE', 'This part of Minerva is not built yet.');
  };
  const handlers: HandlerGroup<InferenceMethod> = {
    'inference.status': notYet,
    'inference.jobs': notYet,
    'inference.setConcurrency': notYet,
    'inference.playgroundSend': notYet,
  };
  return { handlers, workerState: () => null, start: () => undefined, close: () => Promise.resolve() };
}
