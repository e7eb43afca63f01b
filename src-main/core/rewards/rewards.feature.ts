import { formatClock } from '@shared/format/time';
import { defineFeature } from '../kernel/feature';
import type { WorkDone, WorkReporter } from '../module-deps';
import { RewardsService } from './rewards.service';
import { latestActivity } from './earning';

declare module '../kernel/domain-events' {
  interface DomainEventMap {
    /** The chain paid this miner (presence updates its "earned in the last 24 hours"). */
    'rewards.paid': { networkId: string; block: number };
  }
}

/** Rewards on the active network and the "why am I not earning?" checklist. */
export const rewardsFeature = defineFeature({
  name: 'rewards',
  create(ctx) {
    const networks = ctx.use('networks');
    const competitions = ctx.use('competitions');
    const bittensor = ctx.use('bittensor');
    // Every feature that does a miner's work answers the checklist's two questions.
    const reporters: WorkReporter[] = [ctx.use('checkpoints'), ctx.use('inference'), ctx.use('runner')];
    // Where each reporter's work is shown, so a failed last job links to its own page.
    const pages = new Map<WorkReporter, string>([
      [reporters[0]!, '#/checkpoints'],
      [reporters[1]!, '#/jobs'],
      [reporters[2]!, '#/runner'],
    ]);
    const workerStatus = (id: string, kind: string): { running: boolean; detail: string } => {
      for (const r of reporters) {
        const state = r.workerState(id, kind);
        if (state) return state;
      }
      return { running: false, detail: `Minerva does not run ${kind} work yet in this version.` };
    };
    // The latest of: a checkpoint submission, an inference job, a coordinator call to the runner.
    const lastActivity = (): { ok: boolean | null; detail: string; href: string } =>
      latestActivity(
        reporters.flatMap((r) => {
          const activity = r.lastActivity();
          return activity ? [{ ...activity, href: pages.get(r) ?? '#/dashboard' }] : [];
        }),
        (iso) => formatClock(iso),
      );
    const workDone = (networkId: string, id: string, kind: string, since: Date, until: Date): WorkDone | null => {
      for (const r of reporters) {
        const done = r.workDone(networkId, id, kind, since, until);
        if (done) return done;
      }
      return null;
    };
    const rewards = new RewardsService({
      log: ctx.log,
      activeNetwork: () => networks.activeNamed(),
      clientFor: (network) => networks.clientFor(network),
      keys: () => competitions.keys(),
      competitions,
      workerStatus,
      lastActivity,
      workDone,
      now: ctx.now,
      bittensorStanding: () => bittensor.standing(),
    });
    return {
      handlers: { 'rewards.get': ({ range }) => rewards.get(range) },
      start: () =>
        rewards.watch((change) => {
          ctx.ui.emit('rewards.changed', change);
          ctx.domain.emit('rewards.paid', change);
        }),
      close: () => rewards.stop(),
    };
  },
});
