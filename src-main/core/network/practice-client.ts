import { sha256 } from '@noble/hashes/sha2.js';
import { AppError } from '@shared/contract/errors';
import { to0xHex, toHex } from '@shared/protocol/encoding';
import { actionCanonical, actionNonce } from '@shared/protocol/miner-action';
import type { CatalogueEntry, KeySigner, NetworkClient } from './client';
import { httpError, httpJson } from './http';
import type { ActiveNetwork } from './networks.service';

/**
 * The client of the practice network's chain (JSON-RPC) and hub (HTTP), docs/practice-network.md.
 * A network added by endpoint is expected to speak the same API.
 */
let rpcId = 0;

async function chainCall<T>(chainUrl: string, method: string, params: Record<string, unknown>): Promise<T> {
  const body = new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', id: (rpcId += 1), method, params }));
  const answer = await httpJson('chain', `${chainUrl.replace(/\/$/, '')}/rpc`, { method: 'POST', body });
  if (answer.status !== 200) throw httpError('chain', answer);
  const reply = answer.json as { result?: T; error?: { code?: number | string; message?: string; data?: { code?: string } } };
  if (reply.error) {
    const code = reply.error.data?.code ?? String(reply.error.code ?? 'ERROR');
    throw new AppError(code === 'NOT_FOUND' ? 'NOT_FOUND' : 'VALIDATION', `The chain refused: ${reply.error.message ?? code}.`, { details: { chainCode: code } });
  }
  return reply.result as T;
}

interface ChainInfo {
  genesis_hash: string;
  block_number: number;
  token: { symbol: string; decimals: number };
}

export class PracticeNetworkClient implements NetworkClient {
  private info: Promise<ChainInfo> | undefined;

  constructor(private readonly network: ActiveNetwork) {}

  private chain<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return chainCall<T>(this.network.chainUrl, method, params);
  }

  private chainInfo(): Promise<ChainInfo> {
    this.info ??= this.chain<ChainInfo>('chain_info').catch((error: unknown) => {
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
    const list = (answer.json as { competitions?: unknown[] }).competitions;
    if (!Array.isArray(list)) throw new AppError('NETWORK_ERROR', 'The hub sent a catalogue Minerva cannot read.');
    return list.map(toEntry);
  }

  async participants(competitionId: string): Promise<number> {
    const answer = await httpJson('hub', this.hub(`/v1/competitions/${encodeURIComponent(competitionId)}/participants`), { method: 'GET' });
    if (answer.status !== 200) throw httpError('hub', answer);
    const list = (answer.json as { participants?: unknown[] }).participants;
    return Array.isArray(list) ? list.length : 0;
  }

  async isRegistered(competitionId: string, hotkey: string): Promise<boolean> {
    const reply = await this.chain<{ registered: boolean }>('chain_getHotkey', { competition_id: competitionId, hotkey });
    return reply.registered;
  }

  private async sendTx(kind: string, args: Record<string, unknown>, signer: KeySigner): Promise<{ txId: string }> {
    const info = await this.chainInfo();
    const { next_nonce: nonce } = await this.chain<{ next_nonce: number }>('chain_getNonce', { signer: signer.address });
    const argsJson = JSON.stringify(args);
    const signed = new TextEncoder().encode(`minerva-devnet-tx-v1:${info.genesis_hash}:${kind}:${signer.address}:${nonce}:${toHex(sha256(new TextEncoder().encode(argsJson)))}`);
    const tx = { kind, args_json: argsJson, signer: signer.address, scheme: signer.scheme, nonce, signature: to0xHex(signer.sign(signed)) };
    const { tx_id: txId } = await this.chain<{ tx_id: string }>('chain_submitTx', { tx });
    return { txId };
  }

  register(competitionId: string, hotkey: KeySigner, coldkeyAddress: string): Promise<{ txId: string }> {
    return this.sendTx('register_hotkey', { competition_id: competitionId, hotkey: hotkey.address, coldkey: coldkeyAddress }, hotkey);
  }

  deregister(competitionId: string, hotkey: KeySigner): Promise<{ txId: string }> {
    return this.sendTx('deregister_hotkey', { competition_id: competitionId, hotkey: hotkey.address }, hotkey);
  }

  async txStatus(txId: string): Promise<{ state: 'pending' | 'included' | 'failed' | 'unknown'; error?: { code: string; message: string } }> {
    try {
      const reply = await this.chain<{ state: 'pending' | 'included' | 'failed'; error?: { code: string; message: string } }>('chain_txStatus', { tx_id: txId });
      return reply.error ? { state: reply.state, error: reply.error } : { state: reply.state };
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return { state: 'unknown' };
      throw error;
    }
  }

  /** A signed miner action (PROTOCOLS §4), signed by the competition's hotkey. */
  private async action(entry: CatalogueEntry, hotkey: KeySigner, verb: 'join' | 'leave', body: Record<string, unknown>): Promise<void> {
    const path = `/v1/competitions/${encodeURIComponent(entry.id)}/${verb}`;
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    const nonce = actionNonce();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const canonical = actionCanonical({ prefix: entry.actionPrefix, netuid: entry.netuid, slug: entry.slug, method: 'POST', path, body: bytes }, hotkey.address, nonce, timestamp);
    const headers = { 'X-Hotkey': hotkey.address, 'X-Signature': to0xHex(hotkey.sign(canonical)), 'X-Nonce': nonce, 'X-Timestamp': timestamp };
    const answer = await httpJson('hub', this.hub(path), { method: 'POST', headers, body: bytes });
    if (answer.status !== 200 && answer.status !== 201 && answer.status !== 204) throw httpError('hub', answer);
  }

  join(entry: CatalogueEntry, hotkey: KeySigner, body: Record<string, unknown>): Promise<void> {
    return this.action(entry, hotkey, 'join', body);
  }

  leave(entry: CatalogueEntry, hotkey: KeySigner): Promise<void> {
    return this.action(entry, hotkey, 'leave', {});
  }

  async balance(address: string): Promise<{ amount: string; symbol: string }> {
    const info = await this.chainInfo();
    const reply = await this.chain<{ amount: string }>('chain_getBalance', { address });
    return { amount: reply.amount, symbol: info.token.symbol };
  }

  async rewards(address: string, since: Date): Promise<{ at: string; block: number; competitionId: string; amount: string }[]> {
    const reply = await this.chain<{ entries: { at: string; block: number; competition_id: string; amount: string }[] }>('chain_getRewards', { address, since: since.toISOString() });
    return reply.entries.map((e) => ({ at: e.at, block: e.block, competitionId: e.competition_id, amount: e.amount }));
  }
}

/** The hub's catalogue entry (snake_case, docs/practice-network.md) → the app's view of it. */
function toEntry(raw: unknown): CatalogueEntry {
  const c = raw as Record<string, unknown>;
  const req = (c.requirements ?? {}) as Record<string, unknown>;
  const rew = (c.rewards ?? {}) as Record<string, unknown>;
  const rules = (c.rules ?? {}) as Record<string, unknown>;
  const kind = c.kind;
  if (typeof c.id !== 'string' || typeof c.netuid !== 'number' || (kind !== 'private-inference' && kind !== 'model-runner' && kind !== 'checkpoint')) {
    throw new AppError('NETWORK_ERROR', 'The hub sent a competition Minerva cannot read.');
  }
  const symbol = typeof rew.symbol === 'string' ? rew.symbol : 'tokens';
  const perEpoch = typeof rew.per_epoch === 'string' || typeof rew.per_epoch === 'number' ? String(rew.per_epoch) : '0';
  const epochBlocks = typeof rew.epoch_blocks === 'number' ? rew.epoch_blocks : 0;
  return {
    id: c.id,
    netuid: c.netuid,
    slug: typeof c.slug === 'string' ? c.slug : c.id,
    kind,
    title: typeof c.title === 'string' ? c.title : c.id,
    description: typeof c.description === 'string' ? c.description : '',
    requirements: {
      gpu: typeof req.gpu === 'string' ? req.gpu : null,
      memoryMiB: typeof req.memory_mib === 'number' ? req.memory_mib : null,
      imageDigest: typeof req.image_digest === 'string' ? req.image_digest : null,
    },
    rewards: { summary: typeof rew.summary === 'string' ? rew.summary : `${perEpoch} ${symbol} per epoch of ${epochBlocks} blocks`, symbol, perEpoch, epochBlocks },
    rules: Array.isArray(rules.text) ? rules.text.filter((r): r is string => typeof r === 'string') : [],
    hotkeyScheme: rules.scheme === 'ed25519' ? 'ed25519' : 'sr25519',
    actionPrefix: typeof rules.action_prefix === 'string' ? rules.action_prefix : 'platform-upload-v1',
  };
}

export function createNetworkClient(network: ActiveNetwork): NetworkClient {
  return new PracticeNetworkClient(network);
}
