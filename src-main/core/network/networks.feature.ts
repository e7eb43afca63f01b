import type { NetworksView } from '@shared/contract/networks';
import { defineFeature } from '../kernel/feature';
import { networksMigrations } from './networks.migrations';
import type { ChainRounds, NetworkClient } from './client';
import { BittensorConnections, createBittensorNetworkClient, notBittensor } from './bittensor-network';
import { connectBittensor, type BittensorClient } from './bittensor/bittensor-client';
import { NetworksService, type ActiveNetwork } from './networks.service';
import type { PracticeNetworkHost } from './practice';
import { createNetworkClient } from './practice-client';

/** Network profiles, the selected network, and the practice network's lifecycle. */
export interface NetworksApi {
  view(): NetworksView;
  /** The selected network's endpoints, once it can be reached (throws in words otherwise). */
  active(): Promise<ActiveNetwork>;
  /** The active network with its display name. */
  activeNamed(): Promise<ActiveNetwork & { name: string }>;
  clientFor(network: ActiveNetwork): NetworkClient & ChainRounds;
  /** The selected Bittensor network and its open connection; UNSUPPORTED (`not-bittensor`) when the selected network is another kind. */
  bittensor(): Promise<{ network: ActiveNetwork & { name: string }; client: BittensorClient }>;
  /** Stable for a host that attaches to or starts the practice network. */
  practiceHost: PracticeNetworkHost | undefined;
}

declare module '../kernel/feature' {
  interface FeatureApis {
    networks: NetworksApi;
  }
}

declare module '../kernel/domain-events' {
  interface DomainEventMap {
    /** Profiles, the selection or the practice network's state changed. */
    'networks.changed': NetworksView;
    /** A profile's settings changed (`networks.configure`); what is derived from them (the catalogue) is outdated. */
    'networks.configured': { id: string };
  }
}

export const networksFeature = defineFeature({
  name: 'networks',
  migrations: networksMigrations,
  create(ctx) {
    const settings = ctx.use('settings');
    const connections = new BittensorConnections(ctx.log);
    const networks = new NetworksService({
      db: ctx.db,
      audit: ctx.audit,
      log: ctx.log,
      practiceHost: ctx.host.practiceHost,
      selectedId: () => settings.get().network,
      select: (id) => settings.update({ network: id }),
      now: ctx.now,
      identify: async (options) => {
        const client = await connectBittensor({ ...options, log: ctx.log });
        const { chain, genesisHash, specName, specVersion, tokenSymbol, tokenDecimals, block } = client.identity;
        await client.disconnect().catch(() => undefined);
        return { chain, genesisHash, specName, specVersion, tokenSymbol, tokenDecimals, block };
      },
      onChange: (view) => {
        // A Bittensor connection stays open only while its network is selected.
        void connections.closeExcept(view.selectedId);
        ctx.ui.emit('networks.changed', view);
        ctx.domain.emit('networks.changed', view);
      },
    });
    const activeNamed = async () => {
      const active = await networks.active();
      return { ...active, name: networks.view().profiles.find((p) => p.id === active.id)?.name ?? active.id };
    };
    const api: NetworksApi = {
      view: () => networks.view(),
      active: () => networks.active(),
      activeNamed,
      clientFor: (network) => (network.kind === 'bittensor' ? createBittensorNetworkClient(network, connections, ctx.now) : createNetworkClient(network, ctx.now)),
      async bittensor() {
        if (networks.view().profiles.find((p) => p.id === networks.view().selectedId)?.kind !== 'bittensor') throw notBittensor();
        const network = await activeNamed();
        return { network, client: await connections.get(network) };
      },
      practiceHost: ctx.host.practiceHost,
    };
    return {
      api,
      handlers: {
        'networks.list': () => networks.view(),
        'networks.add': (input) => networks.add(input),
        'networks.remove': ({ id }) => networks.remove(id),
        'networks.select': ({ id }) => networks.select(id),
        'networks.configure': (input) => {
          const view = networks.configure(input);
          ctx.domain.emit('networks.configured', { id: input.id });
          return view;
        },
      },
      start() {
        // The practice network is the default: bring it up in the background when it is selected.
        if (networks.view().selectedId === 'practice') void networks.ensurePractice();
      },
      async close() {
        await connections.closeExcept(null);
        await networks.stop();
      },
    };
  },
});
