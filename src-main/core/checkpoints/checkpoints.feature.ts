import { join } from 'node:path';
import type { CheckpointSubmissionView } from '@shared/contract/checkpoints';
import { defineFeature } from '../kernel/feature';
import { checkpointsConfig } from './checkpoints.config';
import { checkpointsMigrations } from './checkpoints.migrations';
import type { WorkerActivity, WorkReporter } from '../module-deps';
import { CheckpointsService } from './checkpoints.service';
import { assertPublishable } from './publishable';
import { trainDemoCheckpoint } from './demo-trainer';
import { parseReceipt, verifyReceiptOnNetwork } from './receipt';
import { connitoId } from '../network/connito-bittensor';

/** Two-phase checkpoint submission (hash → commit → publish → submit → verdict → receipt). */
export type CheckpointsApi = WorkReporter;

declare module '../kernel/feature' {
  interface FeatureApis {
    checkpoints: CheckpointsApi;
  }
}

declare module '../kernel/domain-events' {
  interface DomainEventMap {
    /** A submission moved a step, made progress or reached its verdict. */
    'checkpoints.changed': CheckpointSubmissionView;
  }
}

export const checkpointsFeature = defineFeature({
  name: 'checkpoints',
  config: checkpointsConfig,
  migrations: checkpointsMigrations,
  create(ctx) {
    const networks = ctx.use('networks');
    const competitions = ctx.use('competitions');
    const runtime = ctx.use('runtime');
    const checkpoints = new CheckpointsService({
      db: ctx.db,
      audit: ctx.audit,
      log: ctx.log,
      activeNetwork: () => networks.active(),
      clientFor: (network) => networks.clientFor(network),
      competitions,
      keys: () => competitions.keys(),
      now: ctx.now,
      flows: ctx.flows,
      config: ctx.config,
      onChange: (view) => {
        ctx.ui.emit('checkpoints.changed', view);
        ctx.domain.emit('checkpoints.changed', view);
      },
      uploadsDir: join(ctx.dataDir, 'uploads'),
    });
    const lastActivity = (): WorkerActivity | null => {
      const last = checkpoints.list()[0];
      if (!last) return null;
      const ok = last.state === 'accepted' ? true : last.state === 'rejected' || last.state === 'failed' ? false : null;
      const words = ok === null ? 'in progress' : (last.verdict?.words ?? last.error?.message ?? last.state);
      return { at: last.updatedAt, ok, detail: `${last.fileName}: ${words}` };
    };
    return {
      api: {
        lastActivity,
        // Checkpoints need no background worker (the miner submits them from the Checkpoints page).
        workerState: (_id, kind) => (kind === 'checkpoint' ? { running: true, detail: 'Checkpoints are submitted from the Checkpoints page.' } : null),
        workDone: (networkId, id, kind, since, until) => (kind === 'checkpoint' ? { count: checkpoints.acceptedCount(networkId, id, since, until), one: 'checkpoint accepted', many: 'checkpoints accepted' } : null),
      },
      handlers: {
        'checkpoints.list': async () => ({ submissions: checkpoints.list(), rounds: await checkpoints.rounds() }),
        'checkpoints.submitFile': async (input) => {
          // Never publish what must stay private (the vault, system files, key material).
          await assertPublishable(input.path, ctx.dataDir);
          return checkpoints.submitFile(input);
        },
        'checkpoints.previewPublish': async (input) => {
          await assertPublishable(input.path, ctx.dataDir);
          return checkpoints.previewPublish(input);
        },
        'checkpoints.trainDemo': async ({ competitionId, steps, expertGroup }) => {
          await checkpoints.assertCanSubmit(competitionId);
          const path = await trainDemoCheckpoint({
            runtime,
            dataDir: ctx.dataDir,
            competitionId,
            steps,
            onProgress: (p) => ctx.ui.emit('checkpoints.trainingProgressed', { competitionId, steps, ...p }),
          });
          // Made by Minerva from its public demo data: nothing private to confirm.
          return checkpoints.submitFile({ competitionId, path, expertGroup }, { ownCheckpoint: true });
        },
        'checkpoints.retry': ({ id }) => checkpoints.retry(id),
        'checkpoints.exportReceipt': ({ id }) =>
          checkpoints.receipt(id, (networkId, competitionId) => {
            const profile = networks.view().profiles.find((p) => p.id === networkId);
            const c = profile?.kind === 'bittensor' ? profile.settings?.connito : null;
            if (!c || connitoId(c.netuid) !== competitionId) return undefined;
            return { kind: 'bittensor', netuid: c.netuid, genesis_hash: profile?.chain?.genesisHash ?? null, round_blocks: c.roundBlocks, commit_blocks: c.commitBlocks };
          }),
        'checkpoints.verifyReceipt': ({ content }) => verifyReceiptOnNetwork(networks, parseReceipt(content)),
      },
      start: () => checkpoints.start(),
      close: () => checkpoints.close(),
    };
  },
});
