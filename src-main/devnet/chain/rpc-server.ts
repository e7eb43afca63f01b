/**
 * The chain's JSON-RPC 2.0 server on 127.0.0.1: `POST /rpc` (named params only, no batches) and
 * `GET /health`. Params are validated with the schemas of @shared/protocol/chain-api; refusals
 * carry a stable string in `error.data.code` (docs/practice-network.md, "Errors").
 */
import type { Server } from 'node:http';
import { AppError } from '@shared/contract/errors';
import { chainMethods, rpcRequestSchema, RPC_CODES, type ChainMethod, type RpcErrorBody } from '@shared/protocol/chain-api';
import { BodyTooLarge, closeServer, jsonServer, listenLoopback, listenLoopbackPreferring, readBody, sendError, sendJson, type DevnetLog } from '../common/http';
import { ChainError, type ChainNode } from './chain-node';

const MAX_RPC_BODY = 256 * 1024;

type Handlers = { [M in ChainMethod]: (params: Record<string, unknown>) => unknown };

function handlers(node: ChainNode): Handlers {
  // Params were parsed by the method's schema before a handler runs.
  const p = <T>(x: Record<string, unknown>): T => x as T;
  return {
    chain_info: () => node.info(),
    chain_getBlock: (x) => {
      const n = p<{ number?: number }>(x).number;
      const block = n === undefined ? node.headBlock() : node.blockAt(n);
      if (!block) throw new ChainError('NOT_FOUND', `Block ${n} does not exist yet.`);
      return block;
    },
    chain_waitForBlock: (x) => {
      const { number, timeout_ms } = p<{ number: number; timeout_ms?: number }>(x);
      return node.waitForBlock(number, timeout_ms ?? 30_000);
    },
    chain_getNonce: (x) => {
      const { signer } = p<{ signer: string }>(x);
      return { signer, next_nonce: node.nextNonce(signer) };
    },
    chain_submitTx: (x) => node.submit(p<{ tx: Parameters<ChainNode['submit']>[0] }>(x).tx),
    chain_txStatus: (x) => node.txStatus(p<{ tx_id: string }>(x).tx_id),
    chain_getBalance: (x) => node.balance(p<{ address: string }>(x).address),
    chain_listCompetitions: () => ({ competitions: node.listCompetitions() }),
    chain_getRound: (x) => {
      const { competition_id, block } = p<{ competition_id: string; block?: number }>(x);
      return node.round(competition_id, block);
    },
    chain_getHotkey: (x) => {
      const { competition_id, hotkey } = p<{ competition_id: string; hotkey: string }>(x);
      return node.hotkey(competition_id, hotkey);
    },
    chain_listHotkeys: (x) => {
      const { competition_id, coldkey } = p<{ competition_id: string; coldkey?: string }>(x);
      return { hotkeys: node.listHotkeys(competition_id, coldkey) };
    },
    chain_getCommitment: (x) => {
      const { competition_id, hotkey, expert_group, round } = p<{ competition_id: string; hotkey: string; expert_group: string; round?: number }>(x);
      return { commitment: node.commitment(competition_id, hotkey, expert_group, round) };
    },
    chain_listCommitments: (x) => {
      const { competition_id, hotkey, round } = p<{ competition_id: string; hotkey?: string; round?: number }>(x);
      return { commitments: node.listCommitments(competition_id, hotkey, round) };
    },
    chain_getCoordinator: (x) => ({ coordinator: node.coordinator(p<{ competition_id: string }>(x).competition_id) }),
    chain_getRunner: (x) => {
      const { competition_id, model_id } = p<{ competition_id: string; model_id: string }>(x);
      return { runner: node.runner(competition_id, model_id) };
    },
    chain_listRunners: (x) => ({ runners: node.listRunners(p<{ competition_id: string }>(x).competition_id) }),
    chain_getSessionMembers: (x) => node.sessionMembers(p<{ session_id: number }>(x).session_id),
    chain_getRewards: (x) => {
      const { address, since, competition_id } = p<{ address: string; since?: string; competition_id?: string }>(x);
      return { entries: node.rewards(address, since === undefined ? undefined : new Date(since).toISOString(), competition_id) };
    },
    chain_getAuthorities: () => node.authorityAddresses(),
    chain_getEpoch: (x) => {
      const { competition_id, block } = p<{ competition_id: string; block?: number }>(x);
      return node.epoch(competition_id, block);
    },
  };
}

function rpcError(error: unknown): RpcErrorBody {
  if (error instanceof ChainError) {
    const code =
      error.code === 'NOT_FOUND' || error.code === 'UNKNOWN_COMPETITION' ? RPC_CODES.notFound : error.code === 'VALIDATION' ? RPC_CODES.invalidParams : RPC_CODES.txRejected;
    return { code, message: error.message, data: { code: error.code } };
  }
  if (error instanceof AppError) return { code: RPC_CODES.invalidParams, message: error.message, data: { code: error.code === 'SIGNATURE_INVALID' ? 'SIGNATURE_INVALID' : 'VALIDATION' } };
  return { code: RPC_CODES.internal, message: 'Internal error.', data: { code: 'INTERNAL' } };
}

export interface ChainServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startChainServer(node: ChainNode, options: { port?: number; preferredPort?: number; log: DevnetLog }): Promise<ChainServer> {
  const table = handlers(node);
  const server = jsonServer(
    async (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/health') {
        sendJson(res, 200, { ok: true, party: 'chain', pid: process.pid, block: node.blockNumber });
        return;
      }
      if (path !== '/rpc') return sendError(res, 404, 'NOT_FOUND', 'Only POST /rpc and GET /health exist here.');
      if (req.method !== 'POST') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Use POST /rpc.');
      let body: Uint8Array;
      try {
        body = await readBody(req, MAX_RPC_BODY);
      } catch (error) {
        if (error instanceof BodyTooLarge) return sendError(res, 413, 'TOO_LARGE', `A request may be at most ${MAX_RPC_BODY} bytes.`);
        throw error;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch {
        return sendJson(res, 200, { jsonrpc: '2.0', id: null, error: { code: RPC_CODES.parse, message: 'Parse error.', data: { code: 'VALIDATION' } } });
      }
      const request = rpcRequestSchema.safeParse(raw);
      if (!request.success) {
        return sendJson(res, 200, { jsonrpc: '2.0', id: null, error: { code: RPC_CODES.invalidRequest, message: 'Not a JSON-RPC 2.0 request with named params.', data: { code: 'VALIDATION' } } });
      }
      const { id, method } = request.data;
      if (!Object.prototype.hasOwnProperty.call(chainMethods, method)) {
        return sendJson(res, 200, { jsonrpc: '2.0', id, error: { code: RPC_CODES.methodNotFound, message: `No method ${method}.`, data: { code: 'NOT_FOUND' } } });
      }
      const m = method as ChainMethod;
      const params = chainMethods[m].params.safeParse(request.data.params ?? {});
      if (!params.success) {
        const why = params.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
        return sendJson(res, 200, { jsonrpc: '2.0', id, error: { code: RPC_CODES.invalidParams, message: `Invalid params: ${why}.`, data: { code: 'VALIDATION' } } });
      }
      try {
        const result = await table[m](params.data);
        sendJson(res, 200, { jsonrpc: '2.0', id, result });
      } catch (error) {
        if (!(error instanceof ChainError) && !(error instanceof AppError)) options.log.error('rpc method failed', { method, error: String(error) });
        sendJson(res, 200, { jsonrpc: '2.0', id, error: rpcError(error) });
      }
    },
    (error) => options.log.error('chain server error', { error: String(error) }),
  );
  const url = options.port ? await listenLoopback(server, options.port) : await listenLoopbackPreferring(server, options.preferredPort);
  return { url, server, close: () => closeServer(server) };
}
