import { AppError } from '@shared/contract/errors';
import { formatAmount } from '@shared/protocol/chain-api';
import type { ScopedLogger } from '../log/logger';
import { connectBittensor, type BittensorClient, type ConnectOptions } from './bittensor/bittensor-client';
import type { CatalogueEntry, ChainRounds, NetworkClient } from './client';
import { connitoEntry, connitoId, connitoRounds } from './connito-bittensor';
import type { ActiveNetwork } from './networks.service';
import { isPlatformId, platformCatalogue, platformRegistered, platformSubmissionStatus, platformSubmit } from './platform-bittensor';

/**
 * The NetworkClient of a Bittensor profile, and the one connection per profile it reads through.
 *
 * Bittensor has no practice hub: no signed joins, no reward ledger. The competitions it knows are
 * the profile's Connito one (connito-bittensor.ts) and the challenges of the profile's Platform hub
 * (platform-bittensor.ts), if configured; for both, joining is holding a UID on the subnet. What
 * maps (the balance) is read from the chain; what the app asks that
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
  return formatAmount(rao, decimals);
}

export function createBittensorNetworkClient(network: ActiveNetwork, connections: BittensorConnections, now: () => Date = () => new Date()): NetworkClient & ChainRounds {
  const chain = () => connections.get(network);
  const refuse = (what: string) => () => Promise.reject(notOnThisNetwork(what));
  // The profile's Connito competition (connito-bittensor.ts), when its settings name one.
  const settings = network.settings;
  const connito = settings?.connito ? connitoRounds(settings.connito, chain) : null;
  const isConnito = (id: string): boolean => settings?.connito !== null && settings?.connito !== undefined && id === connitoId(settings.connito.netuid);
  const platform = settings?.platform ?? null;
  const isPlatform = (id: string): boolean => isPlatformId(platform, id);
  const onlyHere = (what: string) => (id: string) => ((connito && isConnito(id)) || isPlatform(id) ? Promise.resolve() : Promise.reject(notOnThisNetwork(what)));
  const registerFirst = (netuid: number | undefined) =>
    new AppError('FORBIDDEN', `Register your hotkey on subnet ${netuid} first: Settings → Bittensor shows the cost and asks before it spends TAO. Then join again.`, { details: { permanent: true } });
  return {
    // The profile's Connito competition and Platform challenges, if configured; else an empty
    // catalogue, not an error, so that pages listing competitions say "none here".
    async catalogue(): Promise<CatalogueEntry[]> {
      if (!settings?.connito && !platform) return [];
      const symbol = (await chain()).identity.tokenSymbol;
      const entries = settings?.connito ? [connitoEntry(settings, settings.connito, symbol)] : [];
      if (settings && platform) entries.push(...(await platformCatalogue(settings, platform, symbol)));
      return entries;
    },
    participants: refuse('Counting competition participants'),
    // Joining the Connito competition or a Platform challenge is being registered on its subnet:
    // the membership flow skips its register step when the hotkey holds a UID, and the join tells
    // nobody (the public Platform hub has no join request; it checks the metagraph per request).
    isRegistered: (id, hotkey) =>
      connito && isConnito(id) ? connito.isRegistered(hotkey) : platform && isPlatform(id) ? platformRegistered(platform, chain, hotkey) : Promise.reject(notOnThisNetwork('Competition registration')),
    async register(id, hotkey) {
      if (connito && isConnito(id)) throw registerFirst(settings?.connito?.netuid);
      if (!platform || !isPlatform(id)) throw notOnThisNetwork('Registering for a practice competition');
      // UID 0 is the subnet owner's: registered, but the public hub refuses it ("blocked uid").
      if ((await (await chain()).uid(platform.netuid, hotkey.address)) === 0) {
        throw new AppError('FORBIDDEN', `Your hotkey holds UID 0 on subnet ${platform.netuid}, the subnet owner's place, which the Platform hub refuses. Use another hotkey for mining.`, { details: { permanent: true } });
      }
      throw registerFirst(platform.netuid);
    },
    deregister: refuse('Leaving a practice competition'),
    txStatus: (txId) => (connito ? connito.txStatus(txId) : Promise.reject(notOnThisNetwork('Following a practice transaction'))),
    join: (entry) => onlyHere('Joining a competition')(entry.id),
    leave: (entry) => onlyHere('Leaving a competition')(entry.id),
    submit: (entry, hotkey, file) => (platform && isPlatform(entry.id) ? platformSubmit(platform, entry, hotkey, file, now, network.expect?.profile) : Promise.reject(notOnThisNetwork('Sending a challenge submission'))),
    submissionStatus: (entry, submissionId) =>
      platform && isPlatform(entry.id) ? platformSubmissionStatus(platform, entry.slug, submissionId) : Promise.reject(notOnThisNetwork('Reading a challenge submission’s status')),
    async balance(address) {
      const client = await chain();
      const balance = await client.balance(address);
      return { amount: taoAmount(balance.free, client.identity.tokenDecimals), symbol: client.identity.tokenSymbol };
    },
    // Emission on Bittensor accrues as stake on the hotkey, not as ledger payments to the coldkey:
    // the Rewards page reads it from the metagraph (bittensor.overview), so there is no entry here.
    rewards: () => Promise.resolve([]),
    round: (id) => (connito ? connito.round(id) : Promise.reject(notOnThisNetwork('Checkpoint rounds'))),
    waitForBlock: (n, timeoutMs) => (connito ? connito.waitForBlock(n, timeoutMs) : Promise.reject(notOnThisNetwork('Waiting for a checkpoint round'))),
    commitHash: (id, hotkey, group, hash) => (connito ? connito.commitHash(id, hotkey, group, hash) : Promise.reject(notOnThisNetwork('The practice checkpoint commit'))),
    commitment: (id, hotkey, group, round) => (connito ? connito.commitment(id, hotkey, group, round) : Promise.reject(notOnThisNetwork('The practice checkpoint commitment'))),
  };
}
