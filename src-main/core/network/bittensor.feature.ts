import type { BittensorOverview, ChainReceiptView, NeuronView, RegisterQuote } from '@shared/contract/bittensor';
import { AppError } from '@shared/contract/errors';
import { defineFeature } from '../kernel/feature';
import type { VaultCapabilities } from '../vault/capabilities';
import { formatTao, type BittensorClient, type TxReceipt } from './bittensor/bittensor-client';
import type { ChainSigner } from './bittensor/signer';
import type { NetworksApi } from './networks.feature';
import type { Db } from '../db/open';

/**
 * The selected Bittensor network's own actions: balance and subnets with their burn cost,
 * registration by burn (a quote first, then the miner's confirmation of that burn), commitments,
 * and the metagraph of our hotkey for the Networks card and the Rewards checklist. The chain side
 * is the adapter in ./bittensor/; this feature adds the vault's signers, the audit trail and the
 * record of registrations (so "deregistered" can be told from "never registered").
 */
export interface BittensorApi {
  /** Our hotkey on the selected Bittensor network (throws UNSUPPORTED `not-bittensor` on another kind). */
  overview(): Promise<BittensorOverview>;
}

declare module '../kernel/feature' {
  interface FeatureApis {
    bittensor: BittensorApi;
  }
}

export const bittensorFeature = defineFeature({
  name: 'bittensor',
  create(ctx) {
    const networks = ctx.use('networks');
    const vault = ctx.use('vault');
    const service = new BittensorService(ctx.db, networks, vault, (action, detail) => ctx.audit.append({ at: ctx.now().toISOString(), actor: 'user', action, detail }), ctx.now);
    return {
      api: { overview: () => service.overview() },
      handlers: {
        'bittensor.overview': () => service.overview(),
        'bittensor.quoteRegister': ({ netuid }) => service.quoteRegister(netuid),
        'bittensor.register': ({ netuid, maxBurn }) => service.register(netuid, BigInt(maxBurn)),
        'bittensor.commit': ({ netuid, sha256 }) => service.commit(netuid, sha256),
      },
    };
  },
});

class BittensorService {
  constructor(
    private readonly db: Db,
    private readonly networks: NetworksApi,
    private readonly vault: VaultCapabilities,
    private readonly audit: (action: string, detail: Record<string, unknown>) => void,
    private readonly now: () => Date,
  ) {}

  async overview(): Promise<BittensorOverview> {
    const { network, client } = await this.networks.bittensor();
    const profile = this.networks.view().profiles.find((p) => p.id === network.id);
    const coldkey = this.vault.hotkeys.coldkeyAddress();
    const hotkey = this.hotkeyAddress();
    const [block, subnets, balance] = await Promise.all([client.bestBlock(), client.subnets(), coldkey ? client.balance(coldkey) : Promise.resolve(null)]);
    const neurons: NeuronView[] = [];
    if (hotkey) {
      const before = new Set(this.registeredNetuids(network.id, hotkey));
      const uids = await Promise.all(subnets.map(async (s) => ((await client.uid(s.netuid, hotkey)) === null ? null : s.netuid)));
      const netuids = [...new Set([...before, ...uids.filter((n): n is number => n !== null)])].sort((a, b) => a - b);
      for (const netuid of netuids) neurons.push(await this.neuron(client, netuid, hotkey, before.has(netuid)));
    }
    return {
      networkId: network.id,
      name: network.name,
      chain: profile?.chain ?? null,
      block,
      coldkey,
      hotkey,
      balanceText: balance ? this.tao(client, balance.transferable) : null,
      subnets: subnets.map((s) => ({ netuid: s.netuid, registrationOpen: s.registrationAllowed && s.netuid !== 0, burn: s.burn.toString(), burnText: this.tao(client, s.burn), neurons: s.neurons, maxNeurons: s.maxNeurons, tempo: s.tempo })),
      neurons,
    };
  }

  async quoteRegister(netuid: number): Promise<RegisterQuote> {
    const { client } = await this.networks.bittensor();
    const coldkey = this.vault.hotkeys.coldkeyAddress();
    const hotkey = this.hotkeyAddress();
    if (!coldkey || !hotkey) throw new AppError('VAULT_LOCKED', 'Unlock your wallet first: registering needs its coldkey and hotkey.');
    // Pricing needs only the address; nothing is signed here.
    const addressOnly: ChainSigner = { address: coldkey, scheme: 'sr25519', sign: () => {
        throw new AppError('INTERNAL', 'A quote is never signed.');
      } };
    const tx = await client.prepareBurnedRegister({ netuid, hotkey, coldkey: addressOnly });
    const balance = await client.balance(coldkey);
    return { netuid, hotkey, coldkey, burn: tx.burn.toString(), burnText: this.tao(client, tx.burn), fee: tx.fee.toString(), feeText: this.tao(client, tx.fee), totalText: this.tao(client, tx.total), balanceText: this.tao(client, balance.transferable) };
  }

  async register(netuid: number, maxBurn: bigint): Promise<ChainReceiptView & { netuid: number; uid: number }> {
    const { network, client } = await this.networks.bittensor();
    const { coldkey, hotkey } = this.signers();
    const tx = await client.prepareBurnedRegister({ netuid, hotkey: hotkey.address, coldkey, maxBurn });
    if (tx.burn > maxBurn) {
      throw new AppError('CONFLICT', `The registration cost on subnet ${netuid} rose from ${this.tao(client, maxBurn)} to ${this.tao(client, tx.burn)} since it was shown. Nothing was sent; confirm the new cost to go on.`, { details: { reason: 'burn-rose' } });
    }
    const receipt = await tx.submit();
    this.db
      .prepare('INSERT OR REPLACE INTO bittensor_registrations (network_id, netuid, hotkey, uid, block, block_hash, burn_rao, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(network.id, netuid, hotkey.address, receipt.uid, receipt.blockNumber, receipt.blockHash, tx.burn.toString(), this.now().toISOString());
    this.audit('bittensor.register', { networkId: network.id, netuid, hotkey: hotkey.address, uid: receipt.uid, block: receipt.blockNumber, burnRao: tx.burn.toString() });
    return { ...this.receipt(client, receipt), netuid, uid: receipt.uid };
  }

  async commit(netuid: number, sha256: string): Promise<ChainReceiptView & { netuid: number }> {
    const { network, client } = await this.networks.bittensor();
    const { hotkey } = this.signers();
    const tx = await client.prepareSetCommitment({ netuid, hotkey, fields: [{ kind: 'sha256', hex: sha256 }] });
    const receipt = await tx.submit();
    this.audit('bittensor.commit', { networkId: network.id, netuid, hotkey: hotkey.address, sha256: sha256.replace(/^0x/, '').toLowerCase(), block: receipt.blockNumber });
    return { ...this.receipt(client, receipt), netuid };
  }

  private async neuron(client: BittensorClient, netuid: number, hotkey: string, registeredBefore: boolean): Promise<NeuronView> {
    const [metagraph, commitment] = await Promise.all([client.metagraph(netuid, [hotkey]), client.commitment(netuid, hotkey)]);
    const n = metagraph.neurons[0];
    const unit = (v: bigint | null | undefined) => (v === null || v === undefined ? null : n?.stakeUnit === 'alpha' ? `${formatTao(v, 'α', client.identity.tokenDecimals)}` : this.tao(client, v));
    const registeredAt = n?.registeredAt ?? null;
    return {
      netuid,
      hotkey,
      uid: n?.uid ?? null,
      registeredBefore,
      stakeText: unit(n?.stake),
      trust: n?.trust ?? null,
      incentive: n?.incentive ?? null,
      consensus: n?.consensus ?? null,
      dividends: n?.dividends ?? null,
      emissionText: unit(n?.emission),
      lastUpdate: n?.lastUpdate ?? null,
      registeredAt,
      axon: n?.axon ? `${n.axon.ipType === 6 ? `[${n.axon.ip}]` : n.axon.ip}:${n.axon.port}` : null,
      epochsSinceRegistration: registeredAt !== null && n?.uid !== null ? Math.floor((metagraph.block - registeredAt) / (metagraph.tempo + 1)) : null,
      commitment: commitment ? { fields: commitment.fields, block: commitment.block } : null,
    };
  }

  private registeredNetuids(networkId: string, hotkey: string): number[] {
    return (this.db.prepare('SELECT netuid FROM bittensor_registrations WHERE network_id = ? AND hotkey = ?').all(networkId, hotkey) as { netuid: number }[]).map((r) => r.netuid);
  }

  private hotkeyAddress(): string | null {
    try {
      return this.vault.hotkeys.hotkey('sr25519').address;
    } catch {
      return null; // no wallet, or locked before the first unlock
    }
  }

  /** Nothing is signed without the wallet unlocked. */
  private signers(): { coldkey: ChainSigner; hotkey: ChainSigner } {
    if (!this.vault.gate.isUnlocked()) throw new AppError('VAULT_LOCKED', 'Unlock your wallet first: this transaction is signed with your keys.');
    return { coldkey: this.vault.hotkeys.coldkey(), hotkey: this.vault.hotkeys.hotkey('sr25519') };
  }

  private tao(client: BittensorClient, rao: bigint): string {
    return formatTao(rao, client.identity.tokenSymbol, client.identity.tokenDecimals);
  }

  private receipt(client: BittensorClient, r: TxReceipt): ChainReceiptView {
    return { action: r.action, blockNumber: r.blockNumber, blockHash: r.blockHash, txHash: r.txHash, feePaidText: r.feePaid === null ? null : this.tao(client, r.feePaid) };
  }
}
