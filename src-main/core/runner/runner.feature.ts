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
    const runner = createRunnerModule(
      {
        db: ctx.db,
        audit: ctx.audit,
        log: ctx.log,
        ui: ctx.ui,
        domain: ctx.domain,
        flows: ctx.flows,
        networks: ctx.use('networks'),
        competitions: ctx.use('competitions'),
        vault: ctx.use('vault'),
        runtime: ctx.use('runtime'),
        now: ctx.now,
      },
      ctx.config,
    );
    return {
      api: { workerState: (id, kind) => runner.workerState(id, kind), lastActivity: () => runner.lastActivity(), workDone: (networkId, id, kind, since, until) => runner.workDone(networkId, id, kind, since, until) },
      handlers: runner.handlers,
      start: () => runner.start(),
      close: () => runner.close(),
    };
  },
});
