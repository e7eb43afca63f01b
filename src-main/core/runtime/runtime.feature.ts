import { defineFeature } from '../kernel/feature';
import { createRuntimeModule } from './runtime.handlers';
import type { RuntimeService } from './runtime.service';

/** Model containers on the local Docker Engine, isolation reports and TEE checks. */
declare module '../kernel/feature' {
  interface FeatureApis {
    runtime: RuntimeService;
  }
}

export const runtimeFeature = defineFeature({
  name: 'runtime',
  create(ctx) {
    const runtime = createRuntimeModule({ dataDir: ctx.dataDir, log: ctx.log, events: ctx.ui, redact: (text) => ctx.logger.redactor.text(text), developerMode: () => ctx.settings().developerMode });
    return {
      api: runtime.service,
      handlers: runtime.handlers,
      start: () => void runtime.start(),
      close: () => runtime.close(),
    };
  },
});
