/**
 * A typed client of the chain's JSON-RPC (used by the hub, the other practice parties and tests),
 * on the JSON-RPC client core uses too (src-main/common/chain-rpc.ts).
 * `sendTx` signs with a key pair of @shared/protocol/identities and serialises its own
 * submissions so one signer's nonces never race.
 */
import { ChainRpc, ChainRpcError } from '@common/chain-rpc';
import { AppError } from '@shared/contract/errors';
import { txSigningBytes, type ChainMethod, type ChainParams, type ChainResult, type Tx, type TxKind, type TxArgs, type TxStatus } from '@shared/protocol/chain-api';
import { to0xHex } from '@shared/protocol/encoding';
import type { SubstratePair } from '@shared/protocol/identities';

/** A refusal by the chain: `code` is `error.data.code` (docs/practice-network.md). */
export { ChainRpcError };

export class ChainClient {
  private genesis: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private readonly rpc: ChainRpc;

  constructor(readonly url: string) {
    this.rpc = new ChainRpc(url, { party: 'practice chain', timeoutMs: 35_000, resendSubmit: true });
  }

  /**
   * One JSON-RPC call (the shared client, src-main/common/chain-rpc.ts); `timeoutMs` (default 35 s,
   * above the longest long poll) bounds the wait. A kept-alive connection to a chain that restarted
   * at the same address is tried once more for every method (a resent transaction is the same
   * transaction). Refusals are ChainRpcError; an unreachable chain is AppError UNAVAILABLE.
   */
  call<M extends ChainMethod>(method: M, params: ChainParams<M>, options: { timeoutMs?: number } = {}): Promise<ChainResult<M>> {
    return this.rpc.call(method, params, options);
  }

  async genesisHash(): Promise<string> {
    this.genesis ??= (await this.call('chain_info', {})).genesis_hash;
    return this.genesis;
  }

  /** Builds and signs a transaction at the signer's next nonce, without sending it. */
  async buildTx<K extends TxKind>(kind: K, args: TxArgs<K>, signer: SubstratePair, nonce?: number): Promise<Tx> {
    const genesis = await this.genesisHash();
    const n = nonce ?? (await this.call('chain_getNonce', { signer: signer.address })).next_nonce;
    const unsigned = { kind, args_json: JSON.stringify(args), signer: signer.address, scheme: signer.scheme, nonce: n };
    return { ...unsigned, signature: to0xHex(signer.sign(txSigningBytes(genesis, unsigned))) };
  }

  /** Signs and submits; one at a time per client, so nonces follow each other. */
  sendTx<K extends TxKind>(kind: K, args: TxArgs<K>, signer: SubstratePair): Promise<{ tx_id: string }> {
    const run = async (): Promise<{ tx_id: string }> => {
      try {
        return await this.call('chain_submitTx', { tx: await this.buildTx(kind, args, signer) });
      } catch (error) {
        // A chain reset at the same address has a new genesis hash: learn it and sign again once.
        if (!(error instanceof ChainRpcError) || error.code !== 'SIGNATURE_INVALID' || this.genesis === undefined) throw error;
        const before = this.genesis;
        this.genesis = undefined;
        if ((await this.genesisHash()) === before) throw error;
        return this.call('chain_submitTx', { tx: await this.buildTx(kind, args, signer) });
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Waits until the transaction is in a block (included or failed). */
  async waitForTx(txId: string, timeoutMs = 30_000): Promise<Exclude<TxStatus, { state: 'pending' }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.call('chain_txStatus', { tx_id: txId });
      if (status.state !== 'pending') return status;
      const left = deadline - Date.now();
      if (left <= 0) throw new AppError('TIMEOUT', `Transaction ${txId} is still pending.`);
      const head = (await this.call('chain_info', {})).block_number;
      await this.call('chain_waitForBlock', { number: head + 1, timeout_ms: Math.min(left, 30_000) });
    }
  }
}
