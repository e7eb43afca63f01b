import { defineFeature } from '../kernel/feature';
import type { WorkDone, WorkerActivity, WorkReporter } from '../module-deps';
import { RewardsService } from './rewards.service';

/** Rewards on the active network and the "why am I not earning?" checklist. */
export const rewardsFeature = defineFeature({
  name: 'rewards',
  create(ctx) {
    const networks = ctx.use('networks');
    const competitions = ctx.use('competitions');
    // Every feature that does a miner's work answers the checklist's two questions.
    const reporters: WorkReporter[] = [ctx.use('checkpoints'), ctx.use('inference'), ctx.use('runner')];
    const workerStatus = (id: string, kind: string): { running: boolean; detail: string } => {
      for (const r of reporters) {
        const state = r.workerState(id, kind);
        if (state) return state;
      }
      return { running: false, detail: `Minerva does not run ${kind} work yet in this version.` };
    };
    // The latest of: a checkpoint submission, an inference job, a coordinator call to the runner.
    const lastActivity = (): { ok: boolean | null; detail: string } => {
      const candidates = reporters.map((r) => r.lastActivity()).filter((a): a is WorkerActivity => a !== null);
      const latest = candidates.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
      if (!latest) return { ok: null, detail: 'No jobs or submissions yet.' };
      return { ok: latest.ok, detail: `${latest.detail} (${new Date(latest.at).toLocaleString()})` };
    };
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
    });
    return {
      handlers: { 'rewards.get': ({ range }) => rewards.get(range) },
      start: () => rewards.watch((change) => ctx.ui.emit('rewards.changed', change)),
      close: () => rewards.stop(),
    };
  },
});
