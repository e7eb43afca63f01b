import { join } from 'node:path';
import { AppError } from '@shared/contract/errors';
import { findResourcesDir } from './runtime.handlers';
import type { RuntimeService } from './runtime.service';

/** What a competition says about its model (a catalogue entry has both). */
export interface CompetitionModelSpec {
  requirements: { imageDigest: string | null };
  modelBundle?: string | null | undefined;
}

/**
 * The image a competition's model runs from: its pinned reference, or — on the practice network —
 * the demo bundle it names, built locally once per competition (a failed build is tried again on
 * the next call). Shared by the inference job loop and the model runner.
 */
export class CompetitionImages {
  private readonly images = new Map<string, Promise<string>>();

  constructor(private readonly runtime: Pick<RuntimeService, 'buildBundle'>) {}

  reference(competitionId: string, spec: CompetitionModelSpec): Promise<string> {
    let p = this.images.get(competitionId);
    if (!p) {
      p = this.resolve(spec);
      p.catch(() => this.images.delete(competitionId));
      this.images.set(competitionId, p);
    }
    return p;
  }

  private async resolve(spec: CompetitionModelSpec): Promise<string> {
    if (spec.requirements.imageDigest) return spec.requirements.imageDigest;
    const bundle = spec.modelBundle;
    if (!bundle || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(bundle)) throw new AppError('MODEL_FAILED', 'This competition names no model image to run.');
    const resources = findResourcesDir();
    if (!resources) throw new AppError('NOT_FOUND', 'The demo models were not found next to the app (resources/models). Reinstall Minerva or set MINERVA_RESOURCES_DIR.');
    return (await this.runtime.buildBundle(join(resources, 'models', bundle))).reference;
  }
}
