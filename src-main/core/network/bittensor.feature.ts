import type { BittensorOverview, ChainReceiptView, NeuronView, PowProgress, RegisterQuote, ServeQuote, SwapQuote } from '@shared/contract/bittensor';
import { AppError } from '@shared/contract/errors';
import { defineFeature } from '../kernel/feature';
import type { VaultCapabilities } from '../vault/capabilities';
import { formatTao, type BittensorClient, type TxReceipt } from './bittensor/bittensor-client';
import { checkAxonAddress } from './bittensor/axon-address';
import { solvePow } from './bittensor/pow';
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
  /** Our hotkey in the metagraph, for the Rewards page; null when the selected network is not Bittensor. */
  standing(): Promise<{ networkName: string; hotkey: string | null; neurons: NeuronView[] } | null>;
}

/** Reads an address's coldkey balance only: a quote is never signed. */
function addressOnly(address: string): ChainSigner {
  return {
    address,
    scheme: 'sr25519',
    sign: () => {
      throw new AppError('INTERNAL', 'A quote is never signed.');
    },
  };
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
    const service = new BittensorService(ctx.db, networks, vault, (action, detail) => ctx.audit.append({ at: ctx.now().toISOString(), actor: 'user', action, detail }), ctx.now, (progress) => ctx.ui.emit('bittensor.powProgressed', progress));
    return {
      api: {
        overview: () => service.overview(),
        standing: async () => {
          try {
            const o = await service.overview();
            return { networkName: o.name, hotkey: o.hotkey, neurons: o.neurons };
          } catch (error) {
            if (error instanceof AppError && (error.details as { reason?: string } | undefined)?.reason === 'not-bittensor') return null;
            throw error;
          }
        },
      },
      handlers: {
        'bittensor.overview': () => service.overview(),
        'bittensor.quoteRegister': ({ netuid }) => service.quoteRegister(netuid),
        'bittensor.register': ({ netuid, maxBurn }) => service.register(netuid, BigInt(maxBurn)),
        'bittensor.commit': ({ netuid, sha256 }) => service.commit(netuid, sha256),
        'bittensor.quoteServeAxon': ({ netuid, ip, port }) => service.quoteServeAxon(netuid, ip, port),
        'bittensor.serveAxon': ({ netuid, ip, port }) => service.serveAxon(netuid, ip, port),
        'bittensor.quoteSwapHotkey': ({ oldHotkey }) => service.quoteSwapHotkey(oldHotkey),
        'bittensor.swapHotkey': ({ oldHotkey, maxCost }) => service.swapHotkey(oldHotkey, BigInt(maxCost)),
        'bittensor.powRegister': ({ netuid }) => service.powRegister(netuid),
        'bittensor.cancelPow': () => service.cancelPow(),
      },
      close: () => {
        service.cancelPow();
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
    private readonly powProgressed: (progress: PowProgress) => void,
  ) {}

  /** The proof-of-work registration in progress (one at a time: it takes every core it gets). */
  private pow: { progress: PowProgress; abort: AbortController } | null = null;

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
      subnets: subnets.map((s) => ({ netuid: s.netuid, registrationOpen: s.registrationAllowed && s.netuid !== 0, powOpen: s.powRegistrationAllowed && s.netuid !== 0, difficulty: s.difficulty.toString(), burn: s.burn.toString(), burnText: this.tao(client, s.burn), neurons: s.neurons, maxNeurons: s.maxNeurons, tempo: s.tempo })),
      neurons,
      swaps: hotkey ? await this.pendingSwaps(client, network.id, hotkey, subnets.map((s) => s.netuid)) : [],
      pow: this.pow?.progress ?? null,
    };
  }

  /** Retired hotkeys of this wallet (and hotkeys Minerva registered before) that still hold UIDs here. */
  private async pendingSwaps(client: BittensorClient, networkId: string, current: string, netuids: number[]): Promise<BittensorOverview['swaps']> {
    const recorded = (this.db.prepare('SELECT DISTINCT hotkey FROM bittensor_registrations WHERE network_id = ?').all(networkId) as { hotkey: string }[]).map((r) => r.hotkey);
    const old = [...new Set([...(this.vault.hotkeys.retiredHotkeys?.() ?? []), ...recorded])].filter((h) => h !== current);
    const swaps: BittensorOverview['swaps'] = [];
    for (const oldHotkey of old) {
      const uids: { netuid: number; uid: number }[] = [];
      for (const netuid of netuids) {
        const uid = await client.uid(netuid, oldHotkey);
        if (uid !== null) uids.push({ netuid, uid });
      }
      if (uids.length > 0) swaps.push({ oldHotkey, newHotkey: current, uids });
    }
    return swaps;
  }

  async quoteServeAxon(netuid: number, ip: string, port: number): Promise<ServeQuote> {
    const { client } = await this.networks.bittensor();
    const hotkey = this.hotkeyAddress();
    if (!hotkey) throw new AppError('VAULT_LOCKED', 'Unlock your wallet first: the axon is published with its hotkey.');
    const address = checkAxonAddress(ip, port);
    const tx = await client.prepareServeAxon({ netuid, hotkey: addressOnly(hotkey), ip: address.ip, port: address.port });
    const balance = await client.balance(hotkey);
    return { netuid, hotkey, address: axonText(address.ip, address.ipType, address.port), fee: tx.fee.toString(), feeText: this.tao(client, tx.fee), balanceText: this.tao(client, balance.transferable) };
  }

  async serveAxon(netuid: number, ip: string, port: number): Promise<ChainReceiptView & { netuid: number; axon: string }> {
    const { network, client } = await this.networks.bittensor();
    const { hotkey } = this.signers();
    const tx = await client.prepareServeAxon({ netuid, hotkey, ip, port });
    const receipt = await tx.submit();
    const axon = await client.axon(netuid, hotkey.address);
    if (!axon) throw new AppError('INTERNAL', `The axon was sent in block ${receipt.blockNumber}, but the chain holds none for this hotkey. Refresh and check the subnet.`);
    const text = axonText(axon.ip, axon.ipType, axon.port);
    this.audit('bittensor.serveAxon', { networkId: network.id, netuid, hotkey: hotkey.address, axon: text, block: receipt.blockNumber });
    return { ...this.receipt(client, receipt), netuid, axon: text };
  }

  async quoteSwapHotkey(oldHotkey: string): Promise<SwapQuote> {
    const { client } = await this.networks.bittensor();
    const coldkey = this.vault.hotkeys.coldkeyAddress();
    const newHotkey = this.hotkeyAddress();
    if (!coldkey || !newHotkey) throw new AppError('VAULT_LOCKED', 'Unlock your wallet first: the swap is signed with its coldkey.');
    const tx = await client.prepareSwapHotkey({ oldHotkey, newHotkey, coldkey: addressOnly(coldkey) });
    const [balance, uids] = await Promise.all([client.balance(coldkey), this.uidsOf(client, oldHotkey)]);
    return { oldHotkey, newHotkey, uids, cost: tx.burn.toString(), costText: this.tao(client, tx.burn), feeText: this.tao(client, tx.fee), totalText: this.tao(client, tx.total), balanceText: this.tao(client, balance.transferable) };
  }

  async swapHotkey(oldHotkey: string, maxCost: bigint): Promise<ChainReceiptView & { newHotkey: string; uids: { netuid: number; uid: number }[] }> {
    const { network, client } = await this.networks.bittensor();
    const { coldkey, hotkey } = this.signers();
    const tx = await client.prepareSwapHotkey({ oldHotkey, newHotkey: hotkey.address, coldkey });
    if (tx.burn > maxCost) {
      throw new AppError('CONFLICT', `Swapping the hotkey costs ${this.tao(client, tx.burn)} now, more than the ${this.tao(client, maxCost)} you confirmed. Nothing was sent; confirm the new cost to go on.`, { details: { reason: 'cost-rose' } });
    }
    const receipt = await tx.submit();
    const uids = await this.uidsOf(client, hotkey.address);
    const insert = this.db.prepare('INSERT OR REPLACE INTO bittensor_registrations (network_id, netuid, hotkey, uid, block, block_hash, burn_rao, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const { netuid, uid } of uids) insert.run(network.id, netuid, hotkey.address, uid, receipt.blockNumber, receipt.blockHash, '0', this.now().toISOString());
    this.audit('bittensor.swapHotkey', { networkId: network.id, oldHotkey, newHotkey: hotkey.address, uids, block: receipt.blockNumber, costRao: tx.burn.toString() });
    return { ...this.receipt(client, receipt), newHotkey: hotkey.address, uids };
  }

  /**
   * Registers by proof of work: the challenge (block hash, hotkey, difficulty), the solve on a
   * worker thread with progress events, then `register` signed by the hotkey. The chain takes
   * work on its last 3 blocks only; when a solve outlives them (blocks every 12 s), it starts
   * over on a fresh block, up to a few times. Cancel stops the thread; nothing is sent.
   */
  async powRegister(netuid: number): Promise<ChainReceiptView & { netuid: number; uid: number }> {
    if (this.pow && (this.pow.progress.state === 'solving' || this.pow.progress.state === 'sending')) {
      throw new AppError('CONFLICT', `A proof-of-work registration on subnet ${this.pow.progress.netuid} is already running. Wait for it or cancel it first.`);
    }
    const { network, client } = await this.networks.bittensor();
    const { hotkey, coldkey } = this.signers();
    const abort = new AbortController();
    const first = await client.powChallenge(netuid, hotkey.address);
    const expected = first.difficulty;
    const run = { progress: this.powState(netuid, 'solving', 0, expected, 'Starting the proof of work…'), abort };
    this.pow = run;
    const update = (state: PowProgress['state'], attempts: number, detail: string, extra: Partial<PowProgress> = {}) => {
      run.progress = { ...this.powState(netuid, state, attempts, expected, detail), ...extra };
      this.powProgressed(run.progress);
    };
    update('solving', 0, `Solving: about ${expected.toLocaleString('en-US')} attempts expected.`);
    let done = 0;
    let seen = 0;
    try {
      for (let attempt = 1; ; attempt += 1) {
        const challenge = attempt === 1 ? first : await client.powChallenge(netuid, hotkey.address);
        const solution = await solvePow(
          challenge,
          (n) => {
            seen = done + n;
            update('solving', seen, `Solving: ${seen.toLocaleString('en-US')} of about ${expected.toLocaleString('en-US')} attempts.`);
          },
          abort.signal,
        );
        done += solution.attempts;
        seen = done;
        update('sending', done, `Solved after ${done.toLocaleString('en-US')} attempts; sending the registration…`);
        try {
          const tx = await client.preparePowRegister({ netuid, hotkey, coldkey: coldkey.address, solution });
          const receipt = await tx.submit();
          this.db
            .prepare('INSERT OR REPLACE INTO bittensor_registrations (network_id, netuid, hotkey, uid, block, block_hash, burn_rao, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
            .run(network.id, netuid, hotkey.address, receipt.uid, receipt.blockNumber, receipt.blockHash, '0', this.now().toISOString());
          this.audit('bittensor.powRegister', { networkId: network.id, netuid, hotkey: hotkey.address, uid: receipt.uid, block: receipt.blockNumber, attempts: done });
          update('registered', done, `Registered as UID ${receipt.uid} in block ${receipt.blockNumber}.`, { uid: receipt.uid, blockNumber: receipt.blockNumber, fraction: 1 });
          return { ...this.receipt(client, receipt), netuid, uid: receipt.uid };
        } catch (error) {
          // Work bound to a block the chain no longer accepts: solve again on a fresh one.
          const reason = error instanceof AppError ? (error.details as { reason?: string } | undefined)?.reason : undefined;
          if (reason !== 'InvalidWorkBlock' || attempt >= 3 || abort.signal.aborted) throw error;
        }
      }
    } catch (error) {
      const cancelled = abort.signal.aborted;
      update(cancelled ? 'cancelled' : 'failed', seen, cancelled ? `Cancelled after ${seen.toLocaleString('en-US')} attempts. Nothing was sent.` : error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  cancelPow(): { cancelled: boolean } {
    const run = this.pow;
    if (!run || run.progress.state !== 'solving') return { cancelled: false };
    run.abort.abort();
    return { cancelled: true };
  }

  private powState(netuid: number, state: PowProgress['state'], attempts: number, expected: bigint, detail: string): PowProgress {
    const fraction = expected > 0n ? Math.min(0.99, attempts / Number(expected)) : 0;
    return { netuid, state, attempts, expected: expected.toString(), fraction, detail, uid: null, blockNumber: null };
  }

  private async uidsOf(client: BittensorClient, hotkey: string): Promise<{ netuid: number; uid: number }[]> {
    const out: { netuid: number; uid: number }[] = [];
    for (const s of await client.subnets()) {
      const uid = await client.uid(s.netuid, hotkey);
      if (uid !== null) out.push({ netuid: s.netuid, uid });
    }
    return out;
  }

  async quoteRegister(netuid: number): Promise<RegisterQuote> {
    const { client } = await this.networks.bittensor();
    const coldkey = this.vault.hotkeys.coldkeyAddress();
    const hotkey = this.hotkeyAddress();
    if (!coldkey || !hotkey) throw new AppError('VAULT_LOCKED', 'Unlock your wallet first: registering needs its coldkey and hotkey.');
    // Pricing needs only the address; nothing is signed here.
    const tx = await client.prepareBurnedRegister({ netuid, hotkey, coldkey: addressOnly(coldkey) });
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
      emission: n?.emission === null || n?.emission === undefined ? null : n.emission.toString(),
      lastUpdate: n?.lastUpdate ?? null,
      registeredAt,
      axon: n?.axon ? axonText(n.axon.ip, n.axon.ipType, n.axon.port) : null,
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

function axonText(ip: string, ipType: number, port: number): string {
  return `${ipType === 6 ? `[${ip}]` : ip}:${port}`;
}
