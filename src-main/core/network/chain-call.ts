import { ChainRpc, ChainRpcError } from '@common/chain-rpc';
import { AppError } from '@shared/contract/errors';
import { RPC_CODES, type ChainMethod, type ChainParams, type ChainResult } from '@shared/protocol/chain-api';

/**
 * A call to the chain for core's clients (the network client, the runner): the shared JSON-RPC
 * client (src-main/common/chain-rpc.ts), its refusals as AppErrors in a miner's words
 * (NOT_FOUND, else VALIDATION; `details.chainCode` keeps the chain's code).
 */
const sentence = (text: string) => text.replace(/[.\s]+$/, '');

export async function chainCall<M extends ChainMethod>(chainUrl: string, method: M, params: ChainParams<M>, options: { timeoutMs?: number } = {}): Promise<ChainResult<M>> {
  try {
    return await new ChainRpc(chainUrl, { party: 'chain' }).call(method, params, options);
  } catch (error) {
    if (!(error instanceof ChainRpcError)) throw error;
    const notFound = error.rpcCode === RPC_CODES.notFound || error.code === 'NOT_FOUND';
    throw new AppError(notFound ? 'NOT_FOUND' : 'VALIDATION', `The chain refused: ${sentence(error.message)}.`, { details: { chainCode: error.code } });
  }
}
