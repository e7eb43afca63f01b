/**
 * The one JSON-RPC 2.0 client of the chain (docs/practice-network.md §2: `POST <chain>/rpc`), used
 * by core's network and runner clients and by the practice parties. Transport only: HTTP through
 * ./http (timeouts, size cap, typed UNAVAILABLE), and a refusal by the chain as a ChainRpcError
 * carrying the chain's stable code. What a refusal means to a caller is the caller's business
 * (core turns it into an AppError in a miner's words; a practice party into its own refusal).
 */
import type { ChainMethod, ChainParams, ChainResult, RpcErrorBody } from '@shared/protocol/chain-api';
import { httpError, httpJson } from './http';

/** A refusal by the chain: `code` is `error.data.code` (else the numeric code as text). */
export class ChainRpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly rpcCode: number,
  ) {
    super(message);
  }
}

export interface ChainRpcOptions {
  /** Named in transport errors ("The chain is not answering (connection refused)."). */
  party?: string;
  /** Per call unless the call says otherwise. */
  timeoutMs?: number;
  /**
   * A call whose kept-alive connection was reset before any answer is sent once more. Reads always
   * are; `chain_submitTx` only when this is true (a resent transaction is the same transaction, but
   * a caller that checks the nonce itself may prefer to see the failure).
   */
  resendSubmit?: boolean;
}

let nextId = 0;

export class ChainRpc {
  private readonly endpoint: string;

  constructor(
    readonly url: string,
    private readonly options: ChainRpcOptions = {},
  ) {
    this.endpoint = `${url.replace(/\/$/, '')}/rpc`;
  }

  /**
   * One call. Throws ChainRpcError when the chain refuses, an AppError (UNAVAILABLE, TOO_LARGE,
   * NETWORK_ERROR, or the HTTP status mapped by httpError) when it cannot be asked.
   */
  async call<M extends ChainMethod>(method: M, params: ChainParams<M>, options: { timeoutMs?: number } = {}): Promise<ChainResult<M>> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: (nextId += 1), method, params });
    const party = this.options.party ?? 'chain';
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const idempotent = method !== 'chain_submitTx' || this.options.resendSubmit === true;
    const answer = await httpJson(party, this.endpoint, { method: 'POST', body, idempotent, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    if (answer.status !== 200) throw httpError(party, answer);
    const reply = answer.json as { result?: ChainResult<M>; error?: Partial<RpcErrorBody> } | null;
    const error = reply?.error;
    if (error) {
      const rpcCode = typeof error.code === 'number' ? error.code : 0;
      const code = error.data?.code ?? (typeof error.code === 'number' ? String(error.code) : 'ERROR');
      throw new ChainRpcError(code, typeof error.message === 'string' ? error.message : code, rpcCode);
    }
    return reply?.result as ChainResult<M>;
  }
}
