/**
 * The competition's model as the runner's gRPC server sees it (SmpModel): the runtime's container
 * `runner:<competition>` (started on demand, kept warm), its failures mapped to §5 Status codes.
 */
import { AppError } from '@shared/contract/errors';
import type { CatalogueEntry } from '../network/client';
import type { CompetitionImages } from '../runtime/competition-images';
import type { RuntimeService } from '../runtime/runtime.service';
import { ModelStatusError, type SmpModel } from './smp-server';

export const modelKey = (competitionId: string): string => `runner:${competitionId}`;

export function runnerModel(runtime: Pick<RuntimeService, 'ensureRunning' | 'call'>, images: CompetitionImages, competitionId: string, entry: CatalogueEntry, timeoutMs: number): SmpModel & { ensure(): Promise<void> } {
  const key = modelKey(competitionId);
  const ensure = async (): Promise<void> => {
    await runtime.ensureRunning({ key, role: { runner: competitionId }, image: await images.reference(competitionId, entry), keepWarm: true, competitionId });
  };
  const call = async (method: string, params: unknown): Promise<unknown> => {
    try {
      return await runtime.call(key, method, params, { timeoutMs });
    } catch (error) {
      const modelCode = (error as AppError).details?.modelCode;
      if (modelCode === 'INVALID_ARGUMENT' || modelCode === 'FAILED_PRECONDITION') throw new ModelStatusError(modelCode, (error as Error).message);
      if (error instanceof AppError && error.code === 'NOT_FOUND') {
        // The container went away (pruned, Docker restarted): start it again once.
        await ensure();
        return runtime.call(key, method, params, { timeoutMs });
      }
      throw new ModelStatusError('BAD_IMPLEMENTATION', error instanceof Error ? error.message : 'The model failed.');
    }
  };
  return {
    ensure,
    setup: (input) => call('setup', input),
    call: (input) => call('call', input),
    reset: () => call('reset', {}),
  };
}
