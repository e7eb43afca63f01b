/**
 * A typed client of the chain's JSON-RPC (used by the hub, the other practice parties and tests).
 * `sendTx` signs with a key pair of @shared/protocol/identities and serialises its own
 * submissions so one signer's nonces never race.
 */
import { AppError } from '@shared/contract/errors';
import { txSigningBytes, type ChainMethod, type ChainParams, type ChainResult, type RpcErrorBody, type Tx, type TxKind, type TxArgs, type TxStatus } from '@shared/protocol/chain-api';
import { to0xHex } from '@shared/protocol/encoding';
import type { SubstratePair } from '@shared/protocol/identities';

/** A refusal by the chain: `code` is `error.data.code` (docs/practice-network.md). */
export class ChainRpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly rpcCode: number,
  ) {
    super(message);
  }
}

let nextId = 0;

function isStaleConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

export class ChainClient {
  private genesis: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly url: string) {}

  /** One JSON-RPC call; `timeoutMs` (default 35 s, above the longest long poll) bounds the wait. */
  async call<M extends ChainMethod>(method: M, params: ChainParams<M>, options: { timeoutMs?: number } = {}): Promise<ChainResult<M>> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: (nextId += 1), method, params });
    const send = (): Promise<Response> =>
      fetch(`${this.url}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(options.timeoutMs ?? 35_000) });
    let res: Response;
    try {
      try {
        res = await send();
      } catch (error) {
        // A kept-alive connection to a chain that restarted at the same address: every chain
        // method is idempotent (a resent transaction is the same transaction), so send once more.
        if (!isStaleConnection(error)) throw error;
        res = await send();
      }
    } catch (cause) {
      throw new AppError('UNAVAILABLE', 'The practice chain is not answering.', { cause });
    }
    const answer = (await res.json()) as { result?: ChainResult<M>; error?: RpcErrorBody };
    if (answer.error) throw new ChainRpcError(answer.error.data?.code ?? String(answer.error.code), answer.error.message, answer.error.code);
    return answer.result as ChainResult<M>;
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
