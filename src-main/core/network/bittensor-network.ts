import { AppError } from '@shared/contract/errors';
import type { ScopedLogger } from '../log/logger';
import { connectBittensor, formatTao, type BittensorClient, type ConnectOptions } from './bittensor/bittensor-client';
import type { CatalogueEntry, ChainRounds, NetworkClient } from './client';
import type { ActiveNetwork } from './networks.service';

/**
 * The NetworkClient of a Bittensor profile, and the one connection per profile it reads through.
 *
 * Bittensor has no practice hub: no catalogue of competitions, no signed joins, no reward ledger,
 * no checkpoint rounds. What maps (the balance) is read from the chain; what the app asks that
 * only the practice network has comes back as UNSUPPORTED with `details.reason =
 * 'not-on-this-network'`, in words. Registration by burn, the metagraph and commitments are the
 * bittensor feature's own calls (bittensor.feature.ts), since they cost TAO and need a confirmation.
 */

/** One open connection per Bittensor profile; reopened when it dropped, closed when the profile is left. */
export class BittensorConnections {
  private readonly open = new Map<string, { key: string; client: Promise<BittensorClient> }>();

  constructor(
    private readonly log: ScopedLogger,
    private readonly connect: (options: ConnectOptions) => Promise<BittensorClient> = connectBittensor,
  ) {}

  get(network: ActiveNetwork): Promise<BittensorClient> {
    if (network.kind !== 'bittensor') return Promise.reject(notBittensor());
    const key = `${network.chainUrl}|${network.expect?.genesisHash ?? ''}`;
    const current = this.open.get(network.id);
    if (current && current.key === key) {
      return current.client.then((client) => {
        if (client.api.isConnected) return client;
        if (this.open.get(network.id) === current) this.open.delete(network.id);
        void client.disconnect().catch(() => undefined);
        return this.get(network);
      });
    }
    if (current) void this.close(network.id);
    const client = this.connect({ endpoint: network.chainUrl, expect: network.expect, log: this.log });
    const entry = { key, client };
    this.open.set(network.id, entry);
    // A failed connection is not kept: the next call tries again.
    client.catch(() => {
      if (this.open.get(network.id) === entry) this.open.delete(network.id);
    });
    return client;
  }

  /** Closes every connection but the one of `keepId`. */
  async closeExcept(keepId: string | null): Promise<void> {
    await Promise.all([...this.open.keys()].filter((id) => id !== keepId).map((id) => this.close(id)));
  }

  private async close(id: string): Promise<void> {
    const entry = this.open.get(id);
    this.open.delete(id);
    const client = await entry?.client.catch(() => undefined);
    await client?.disconnect().catch(() => undefined);
  }
}

export function notBittensor(): AppError {
  return new AppError('UNSUPPORTED', 'The network in use is not a Bittensor network. Add or switch to one in Settings → Networks first.', { details: { reason: 'not-bittensor' } });
}

function notOnThisNetwork(what: string): AppError {
  return new AppError('UNSUPPORTED', `${what} is not available on Bittensor networks yet: it is a practice-network feature. Switch to the practice network in Settings → Networks to use it.`, {
    details: { reason: 'not-on-this-network' },
  });
}

/** rao → decimal whole TAO ("1.5"), exact. */
export function taoAmount(rao: bigint, decimals = 9): string {
  return formatTao(rao, '', decimals).trim();
}

export function createBittensorNetworkClient(network: ActiveNetwork, connections: BittensorConnections): NetworkClient & ChainRounds {
  const chain = () => connections.get(network);
  const refuse = (what: string) => () => Promise.reject(notOnThisNetwork(what));
  return {
    // Minerva knows no competitions on Bittensor yet: an empty catalogue, not an error, so that
    // pages listing competitions say "none here".
    catalogue: (): Promise<CatalogueEntry[]> => Promise.resolve([]),
    participants: refuse('Counting competition participants'),
    isRegistered: refuse('Competition registration'),
    register: refuse('Registering for a practice competition'),
    deregister: refuse('Leaving a practice competition'),
    txStatus: refuse('Following a practice transaction'),
    join: refuse('Joining a competition'),
    leave: refuse('Leaving a competition'),
    async balance(address) {
      const client = await chain();
      const balance = await client.balance(address);
      return { amount: taoAmount(balance.free, client.identity.tokenDecimals), symbol: client.identity.tokenSymbol };
    },
    // Emission on Bittensor accrues as stake on the hotkey, not as ledger payments to the coldkey:
    // the Rewards page reads it from the metagraph (bittensor.overview), so there is no entry here.
    rewards: () => Promise.resolve([]),
    round: refuse('Checkpoint rounds'),
    waitForBlock: refuse('Waiting for a checkpoint round'),
    commitHash: refuse('The practice checkpoint commit'),
    commitment: refuse('The practice checkpoint commitment'),
  };
}
