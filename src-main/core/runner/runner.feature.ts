import { defineFeature } from '../kernel/feature';
import { runnerMigrations } from './runner.migrations';
import type { WorkReporter } from '../module-deps';
import { createRunnerModule, runnerConfig } from './runner.module';

/** The model runner: one mTLS gRPC runner per joined model-runner competition (docs/runner.md). */
declare module '../kernel/feature' {
  interface FeatureApis {
    runner: WorkReporter;
  }
}

export const runnerFeature = defineFeature({
  name: 'runner',
  migrations: runnerMigrations,
  config: runnerConfig,
  create(ctx) {
    const networks = ctx.use('networks');
    const competitions = ctx.use('competitions');
    const vault = ctx.use('vault');
    const runner = createRunnerModule(
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
      api: { workerState: (id, kind) => runner.workerState(id, kind), lastActivity: () => runner.lastActivity() },
      handlers: runner.handlers,
      start: () => runner.start(),
      close: () => runner.close(),
    };
  },
});
