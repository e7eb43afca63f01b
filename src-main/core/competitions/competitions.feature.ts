import type { CompetitionsView } from '@shared/contract/competitions';
import { defineFeature } from '../kernel/feature';
import { competitionsConfig } from './competitions.config';
import { competitionsMigrations } from './competitions.migrations';
import { CompetitionsService, type MinerKeys } from './competitions.service';
import { minerKeysFrom } from './vault-keys';

/** The catalogue of the active network, and joining and leaving competitions. */
export type CompetitionsApi = Pick<CompetitionsService, 'activeMemberships' | 'entry' | 'list'> & {
  /** The miner's keys for competition work; undefined while there is no wallet at all. */
  keys(): MinerKeys | undefined;
};

declare module '../kernel/feature' {
  interface FeatureApis {
    competitions: CompetitionsApi;
  }
}

declare module '../kernel/domain-events' {
  interface DomainEventMap {
    /** Memberships or the catalogue of a network changed. */
    'competitions.changed': CompetitionsView;
  }
}

export const competitionsFeature = defineFeature({
  name: 'competitions',
  config: competitionsConfig,
  migrations: competitionsMigrations,
  create(ctx) {
    const networks = ctx.use('networks');
    const vault = ctx.use('vault');
    const minerKeys = minerKeysFrom(vault);
    const keys = (): MinerKeys | undefined => (vault.exists() ? minerKeys : undefined);
    const competitions = new CompetitionsService({
      db: ctx.db,
      audit: ctx.audit,
      log: ctx.log,
      activeNetwork: () => networks.active(),
      clientFor: (network) => networks.clientFor(network),
      keys,
      onHotkeyRotated: (listener) => minerKeys.onHotkeyRotated(listener),
      onKeysUsable: (listener) => vault.gate.onChange((usable) => usable && listener()),
      now: ctx.now,
      flows: ctx.flows,
      config: ctx.config,
      onChange: (view) => {
        ctx.ui.emit('competitions.changed', view);
        ctx.domain.emit('competitions.changed', view);
      },
    });
    ctx.domain.on('networks.configured', ({ id }) => competitions.networkConfigured(id));
    ctx.domain.on('networks.changed', (view) => competitions.networkSelected(view));
    return {
      api: {
        activeMemberships: () => competitions.activeMemberships(),
        entry: (id) => competitions.entry(id),
        list: (refresh) => competitions.list(refresh),
        keys,
      },
      handlers: {
        'competitions.list': ({ refresh }) => competitions.list(refresh),
        'competitions.join': ({ id }) => competitions.join(id),
        'competitions.leave': ({ id }) => competitions.leave(id),
        'competitions.retry': ({ id }) => competitions.retry(id),
        'competitions.submit': (input) => competitions.submit(input),
        'competitions.checkSubmission': (input) => competitions.checkSubmission(input),
      },
      start: () => competitions.start(),
      close: () => competitions.close(),
    };
  },
});
