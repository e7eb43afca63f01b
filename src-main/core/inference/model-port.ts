import type { JsonObject } from '@shared/protocol/envelope';
import type { CatalogueEntry } from '../network/client';
import type { CompetitionImages } from '../runtime/competition-images';
import type { RuntimeService } from '../runtime/runtime.service';
import type { ModelPort } from './job-flow';

/** The runtime key of a competition's model container. */
export function modelKey(competitionId: string): string {
  return `inference:${competitionId}`;
}

/**
 * A competition's model as the job flow sees it: `infer` starts the container once (kept warm)
 * and calls it with the input's params and prompt; the answer is read as §2.4's output object.
 */
export function modelFor(runtime: RuntimeService, images: CompetitionImages, competitionId: string, entry: CatalogueEntry, timeoutMs: number): ModelPort {
  const key = modelKey(competitionId);
  // One start at a time: concurrent jobs share it (the runtime would otherwise create one
  // container per caller and lose track of all but the last).
  let starting: Promise<unknown> | null = null;
  const ready = async (reference: string): Promise<void> => {
    if (runtime.model(key)?.state === 'ready') return;
    starting ??= runtime.ensureRunning({ key, role: { job: key }, image: reference, keepWarm: true, competitionId }).finally(() => (starting = null));
    await starting;
  };
  return {
    async infer(data: JsonObject) {
      const reference = await images.reference(competitionId, entry);
      await ready(reference);
      const params = data.params !== null && typeof data.params === 'object' && !Array.isArray(data.params) ? (data.params as JsonObject) : {};
      const result = await runtime.call(key, 'infer', { ...params, prompt: data.prompt }, { timeoutMs });
      return readAnswer(result, entry.modelBundle ?? reference);
    },
  };
}

/** The model's answer: `{completion, tokens}` (the demo bundles), `{output, model, usage}`, or anything as the output. */
function readAnswer(result: unknown, fallbackModel: string): Awaited<ReturnType<ModelPort['infer']>> {
  const r = (result ?? {}) as JsonObject;
  if (typeof r.completion === 'string') {
    const usage: Record<string, unknown> = {};
    if (typeof r.tokens === 'number') usage.tokens = r.tokens;
    return { output: r.completion, model: fallbackModel, usage };
  }
  if (Object.prototype.hasOwnProperty.call(r, 'output')) {
    return { output: r.output, model: typeof r.model === 'string' ? r.model : fallbackModel, usage: r.usage !== null && typeof r.usage === 'object' ? (r.usage as Record<string, unknown>) : null };
  }
  return { output: result, model: fallbackModel, usage: null };
}
