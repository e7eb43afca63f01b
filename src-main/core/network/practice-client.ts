import { AppError } from '@shared/contract/errors';
import { txSigningBytes, type ChainMethod, type ChainParams, type ChainResult } from '@shared/protocol/chain-api';
import { to0xHex } from '@shared/protocol/encoding';
import { catalogueSchema, type CatalogueEntryWire } from '@shared/protocol/hub-api';
import { actionCanonical, actionNonce } from '@shared/protocol/miner-action';
import type { CatalogueEntry, ChainRounds, KeySigner, NetworkClient } from './client';
import { chainCall } from './chain-call';
import { httpError, httpJson } from './http';
import type { ActiveNetwork } from './networks.service';

/**
 * The client of the practice network's chain (JSON-RPC) and hub (HTTP), docs/practice-network.md.
 * A network added by endpoint is expected to speak the same API.
 */
/** One transaction at a time per signer and chain, so two flows never take the same nonce. */
const signerQueues = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, run: () => Promise<T>): Promise<T> {
  const previous = signerQueues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(run);
  signerQueues.set(key, next);
  void next.finally(() => {
    if (signerQueues.get(key) === next) signerQueues.delete(key);
  }).catch(() => undefined);
  return next;
}

export class PracticeNetworkClient implements NetworkClient, ChainRounds {
  private info: Promise<ChainResult<'chain_info'>> | undefined;

  constructor(
    private readonly network: ActiveNetwork,
    /** The app's clock: signed actions carry its time (a wrong clock is what the hub refuses). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  private chain<M extends ChainMethod>(method: M, params: ChainParams<M>): Promise<ChainResult<M>> {
    return chainCall(this.network.chainUrl, method, params);
  }

  private chainInfo(): Promise<ChainResult<'chain_info'>> {
    this.info ??= this.chain('chain_info', {}).catch((error: unknown) => {
      this.info = undefined;
      throw error;
    });
    return this.info;
  }

  private hub(path: string): string {
    return `${this.network.hubUrl.replace(/\/$/, '')}${path}`;
  }

  async catalogue(): Promise<CatalogueEntry[]> {
    const answer = await httpJson('hub', this.hub('/v1/competitions'), { method: 'GET' });
    if (answer.status !== 200) throw httpError('hub', answer);
    const parsed = catalogueSchema.safeParse(answer.json);
    if (!parsed.success) throw new AppError('NETWORK_ERROR', 'The hub sent a catalogue Minerva cannot read. It may be a newer version; update Minerva.');
    return parsed.data.competitions.map(toEntry);
  }

  async participants(competitionId: string): Promise<number> {
    const answer = await httpJson('hub', this.hub(`/v1/competitions/${encodeURIComponent(competitionId)}/participants`), { method: 'GET' });
    if (answer.status !== 200) throw httpError('hub', answer);
    const list = (answer.json as { participants?: unknown[] }).participants;
    return Array.isArray(list) ? list.length : 0;
  }

  async isRegistered(competitionId: string, hotkey: string): Promise<boolean> {
    const reply = await this.chain('chain_getHotkey', { competition_id: competitionId, hotkey });
    return reply.registered;
  }

  private sendTx(kind: string, args: Record<string, unknown>, signer: KeySigner): Promise<{ txId: string }> {
    return serialised(`${this.network.chainUrl}|${signer.address}`, async () => {
      const info = await this.chainInfo();
      for (let attempt = 1; ; attempt += 1) {
        const { next_nonce: nonce } = await this.chain('chain_getNonce', { signer: signer.address });
        const unsigned = { kind, args_json: JSON.stringify(args), signer: signer.address, nonce };
        const tx = { ...unsigned, scheme: signer.scheme, signature: to0xHex(signer.sign(txSigningBytes(info.genesis_hash, unsigned))) };
        try {
          const { tx_id: txId } = await this.chain('chain_submitTx', { tx });
          return { txId };
        } catch (error) {
          // Another program signing with the same key took this nonce: take the next one, once.
          if (attempt < 2 && error instanceof AppError && error.details?.chainCode === 'NONCE_USED') continue;
          throw error;
        }
      }
    });
  }

  register(competitionId: string, hotkey: KeySigner, coldkeyAddress: string): Promise<{ txId: string }> {
    return this.sendTx('register_hotkey', { competition_id: competitionId, hotkey: hotkey.address, coldkey: coldkeyAddress }, hotkey);
  }

  deregister(competitionId: string, hotkey: KeySigner): Promise<{ txId: string }> {
    return this.sendTx('deregister_hotkey', { competition_id: competitionId, hotkey: hotkey.address }, hotkey);
  }

  async txStatus(txId: string): Promise<{ state: 'pending' | 'included' | 'failed' | 'unknown'; error?: { code: string; message: string } }> {
    try {
      const reply = await this.chain('chain_txStatus', { tx_id: txId });
      return reply.state === 'failed' ? { state: 'failed', error: reply.error } : { state: reply.state };
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return { state: 'unknown' };
      throw error;
    }
  }

  /** A signed miner action (PROTOCOLS §4), signed by the competition's hotkey. */
  private async action(entry: CatalogueEntry, hotkey: KeySigner, verb: 'join' | 'leave', body: Record<string, unknown>): Promise<void> {
    const path = `/v1/competitions/${encodeURIComponent(entry.id)}/${verb}`;
    const text = JSON.stringify(body);
    const bytes = new TextEncoder().encode(text);
    const nonce = actionNonce();
    const timestamp = String(Math.floor(this.now().getTime() / 1000));
    const canonical = actionCanonical({ prefix: entry.actionPrefix, netuid: entry.netuid, slug: entry.slug, method: 'POST', path, body: bytes }, hotkey.address, nonce, timestamp);
    const headers = { 'X-Hotkey': hotkey.address, 'X-Signature': to0xHex(hotkey.sign(canonical)), 'X-Nonce': nonce, 'X-Timestamp': timestamp };
    const answer = await httpJson('hub', this.hub(path), { method: 'POST', headers, body: text });
    if (answer.status !== 200 && answer.status !== 201 && answer.status !== 204) throw httpError('hub', answer);
  }

  join(entry: CatalogueEntry, hotkey: KeySigner, body: Record<string, unknown>): Promise<void> {
    return this.action(entry, hotkey, 'join', body);
  }

  leave(entry: CatalogueEntry, hotkey: KeySigner): Promise<void> {
    return this.action(entry, hotkey, 'leave', {});
  }

  async round(competitionId: string): Promise<{ round: number; phase: 'commit' | 'submit'; block: number; blocksLeft: number; nextRoundStart: number; submitStart: number }> {
    const r = await this.chain('chain_getRound', { competition_id: competitionId });
    return { round: r.round, phase: r.phase, block: r.block, blocksLeft: r.blocks_left_in_phase, nextRoundStart: r.next_round_start, submitStart: r.submit_start };
  }

  async waitForBlock(n: number, timeoutMs: number): Promise<number> {
    try {
      const block = await this.chain('chain_waitForBlock', { number: n, timeout_ms: Math.min(30_000, timeoutMs) });
      return block.number;
    } catch (error) {
      if (error instanceof AppError && error.code !== 'UNAVAILABLE') throw new AppError('TIMEOUT', `The chain has not reached block ${n} yet.`);
      throw error;
    }
  }

  commitHash(competitionId: string, hotkey: KeySigner, expertGroup: string, sha256Hex: string): Promise<{ txId: string }> {
    return this.sendTx('commit_hash', { competition_id: competitionId, hotkey: hotkey.address, expert_group: expertGroup, hash: sha256Hex }, hotkey);
  }

  async commitment(competitionId: string, hotkey: string, expertGroup: string, round: number): Promise<{ hash: string; block: number; txId: string } | null> {
    const { commitment } = await this.chain('chain_getCommitment', { competition_id: competitionId, hotkey, expert_group: expertGroup, round });
    return commitment ? { hash: commitment.hash, block: commitment.block, txId: commitment.tx_id } : null;
  }

  async blockTimeMs(): Promise<number> {
    return (await this.chainInfo()).block_time_ms;
  }

  async balance(address: string): Promise<{ amount: string; symbol: string }> {
    const info = await this.chainInfo();
    const reply = await this.chain('chain_getBalance', { address });
    return { amount: reply.amount, symbol: info.token.symbol };
  }

  async rewards(address: string, since: Date): Promise<{ at: string; block: number; competitionId: string; amount: string }[]> {
    const reply = await this.chain('chain_getRewards', { address, since: since.toISOString() });
    return reply.entries.map((e) => ({ at: e.at, block: e.block, competitionId: e.competition_id, amount: e.amount }));
  }
}

/** The hub's catalogue entry (validated by hub-api's schema) → the app's view of it. */
function toEntry(c: CatalogueEntryWire): CatalogueEntry {
  return {
    id: c.id,
    netuid: c.netuid,
    slug: c.slug,
    kind: c.kind,
    title: c.title,
    description: c.description,
    requirements: { gpu: c.requirements.gpu, memoryMiB: c.requirements.memory_mib, imageDigest: c.requirements.image_digest },
    rewards: { summary: c.rewards.summary, symbol: c.rewards.symbol, perEpoch: c.rewards.per_epoch, epochBlocks: c.rewards.epoch_blocks },
    rules: c.rules.text,
    hotkeyScheme: c.rules.scheme,
    actionPrefix: c.rules.action_prefix,
    endpoints: { validator: c.endpoints.validator, router: c.endpoints.router, coordinator: c.endpoints.coordinator },
    blockWindow: c.rules.block_window,
    paddedSignature: c.rules.padded_signature ?? true,
    sessionId: c.rules.session_id,
    modelBundle: c.requirements.model_bundle,
    runner:
      c.rules.model_id && c.rules.class_name && c.rules.network_domain
        ? {
            modelId: c.rules.model_id,
            className: c.rules.class_name,
            networkDomain: c.rules.network_domain,
            crunch: c.rules.crunch ? { issuerUrl: c.rules.crunch.issuer_url, cpiUrl: c.rules.crunch.cpi_url, caPem: c.rules.crunch.ca_pem, coordinatorWallet: c.rules.crunch.coordinator_wallet } : null,
          }
        : null,
  };
}

export function createNetworkClient(network: ActiveNetwork, now?: () => Date): NetworkClient & ChainRounds {
  return new PracticeNetworkClient(network, now);
}
