import { stringField, type ConfigSchema } from '../kernel/config';
import { defineFeature } from '../kernel/feature';
import { createRuntimeModule } from './runtime.handlers';
import type { RuntimeService } from './runtime.service';

/** Model containers on the local Docker Engine, isolation reports and TEE checks. */
declare module '../kernel/feature' {
  interface FeatureApis {
    runtime: RuntimeService;
  }
}

export const runtimeConfig = {
  baseImage: stringField({ default: null, env: 'MINERVA_MODEL_BASE_IMAGE', doc: 'Base image the demo model bundles are built on (default: one built from this machine\'s node binary).' }),
  resourcesDir: stringField({ default: null, env: 'MINERVA_RESOURCES_DIR', doc: 'Folder holding models/ (demo bundles); found next to the app when unset.' }),
} satisfies ConfigSchema;

export const runtimeFeature = defineFeature({
  name: 'runtime',
  config: runtimeConfig,
  create(ctx) {
    const runtime = createRuntimeModule({
      dataDir: ctx.dataDir,
      log: ctx.log,
      events: ctx.ui,
      redact: (text) => ctx.logger.redactor.text(text),
      developerMode: () => ctx.settings().developerMode,
      onCompetitionsChanged: (listener) => ctx.domain.on('competitions.changed', listener),
      ...(ctx.config.resourcesDir ? { resourcesDir: ctx.config.resourcesDir } : {}),
      ...(ctx.config.baseImage ? { service: { baseImage: ctx.config.baseImage } } : {}),
    });
    return {
      api: runtime.service,
      handlers: runtime.handlers,
      start: () => void runtime.start(),
      close: () => runtime.close(),
    };
  },
});
