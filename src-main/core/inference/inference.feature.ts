import { defineFeature } from '../kernel/feature';
import { inferenceMigrations } from './inference.migrations';
import type { WorkReporter } from '../module-deps';
import { createInferenceModule, inferenceConfig } from './inference.module';

/** Private inference: one job worker per joined private-inference competition (docs/inference.md). */
declare module '../kernel/feature' {
  interface FeatureApis {
    inference: WorkReporter;
  }
}

export const inferenceFeature = defineFeature({
  name: 'inference',
  migrations: inferenceMigrations,
  config: inferenceConfig,
  create(ctx) {
    const networks = ctx.use('networks');
    const competitions = ctx.use('competitions');
    const vault = ctx.use('vault');
    const inference = createInferenceModule(
      {
        dataDir: ctx.dataDir,
        db: ctx.db,
        audit: ctx.audit,
        log: ctx.log,
        events: ctx.ui,
        domain: ctx.domain,
        networks,
        activeNetwork: () => networks.active(),
        clientFor: (network) => networks.clientFor(network),
        competitions,
        vault,
        keys: () => competitions.keys(),
        runtime: ctx.use('runtime'),
        practiceHost: ctx.host.practiceHost,
        now: ctx.now,
      },
      ctx.config,
    );
    return {
      api: { workerState: (id, kind) => inference.workerState(id, kind), lastActivity: () => inference.lastActivity() },
      handlers: inference.handlers,
      start: () => inference.start(),
      close: () => inference.close(),
    };
  },
});
