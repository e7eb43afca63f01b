/**
 * The one chain JSON-RPC client against a real HTTP server on loopback that answers as scripted:
 * results, refusals (with and without `data.code`), HTTP errors, a dead port, and a kept-alive
 * connection the server drops (resent once for reads; for submissions only when asked).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChainRpc, ChainRpcError } from '@common/chain-rpc';
import { chainCall } from '@core/network/chain-call';
import { AppError } from '@shared/contract/errors';
import { RPC_CODES } from '@shared/protocol/chain-api';

type Script = (req: { method: string; params: unknown }, res: ServerResponse) => void;
let script: Script[] = [];
const seen: { method: string; params: unknown }[] = [];
let server: Server;
let url: string;

const reply = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rpc = JSON.parse(Buffer.concat(chunks).toString()) as { jsonrpc: string; id: number; method: string; params: unknown };
      expect(req.url).toBe('/rpc');
      expect(rpc.jsonrpc).toBe('2.0');
      seen.push({ method: rpc.method, params: rpc.params });
      const next = script.shift();
      if (!next) return reply(res, 500, { error: { code: 'NO_SCRIPT', message: 'nothing scripted' } });
      next({ method: rpc.method, params: rpc.params }, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  seen.length = 0;
});

const result = (value: unknown): Script => (_req, res) => reply(res, 200, { jsonrpc: '2.0', id: 1, result: value });
const refusal = (error: unknown): Script => (_req, res) => reply(res, 200, { jsonrpc: '2.0', id: 1, error });
// Drops the connection without an answer, as a chain that restarted at the same address does.
const drop: Script = (_req, res) => res.socket?.destroy();

describe('ChainRpc (src-main/common)', () => {
  it('posts JSON-RPC 2.0 to <url>/rpc and returns the result', async () => {
    script = [result({ next_nonce: 7 })];
    await expect(new ChainRpc(url).call('chain_getNonce', { signer: '5abc' })).resolves.toEqual({ next_nonce: 7 });
    expect(seen).toEqual([{ method: 'chain_getNonce', params: { signer: '5abc' } }]);
  });

  it('turns a refusal into ChainRpcError with the stable code, else the numeric one', async () => {
    script = [refusal({ code: RPC_CODES.txRejected, message: 'Nonce used.', data: { code: 'NONCE_USED' } }), refusal({ code: -32099, message: 'odd' })];
    const rpc = new ChainRpc(url);
    const first = await rpc.call('chain_getNonce', { signer: 'x' }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ChainRpcError);
    expect(first).toMatchObject({ code: 'NONCE_USED', rpcCode: RPC_CODES.txRejected, message: 'Nonce used.' });
    await expect(rpc.call('chain_getNonce', { signer: 'x' })).rejects.toMatchObject({ code: '-32099', rpcCode: -32099 });
  });

  it('maps an HTTP error and a dead port to typed AppErrors naming the party', async () => {
    script = [(_req, res) => reply(res, 503, { error: { code: 'BUSY', message: 'busy' } })];
    await expect(new ChainRpc(url, { party: 'practice chain' }).call('chain_info', {})).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'The practice chain had a problem (busy).' });
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((r) => dead.close(() => r()));
    const error = await new ChainRpc(deadUrl).call('chain_info', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: 'The chain is not answering (connection refused).' });
  });

  it('sends a read again once when the connection drops, a submission only when asked', async () => {
    script = [drop, result({ next_nonce: 1 })];
    await expect(new ChainRpc(url).call('chain_getNonce', { signer: 'x' })).resolves.toEqual({ next_nonce: 1 });
    expect(seen).toHaveLength(2);

    const tx = { kind: 'k', args_json: '{}', signer: 's', scheme: 'ed25519', nonce: 0, signature: '0x' } as never;
    seen.length = 0;
    script = [drop];
    await expect(new ChainRpc(url).call('chain_submitTx', { tx })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(seen).toHaveLength(1);

    seen.length = 0;
    script = [drop, result({ tx_id: '0xabc' })];
    await expect(new ChainRpc(url, { resendSubmit: true }).call('chain_submitTx', { tx })).resolves.toEqual({ tx_id: '0xabc' });
    expect(seen).toHaveLength(2);
  });
});

describe("core's chainCall (refusals in a miner's words)", () => {
  it('NOT_FOUND by code or by the not-found RPC code, else VALIDATION; the chain code kept', async () => {
    script = [
      refusal({ code: RPC_CODES.txRejected, message: 'No such tx.', data: { code: 'NOT_FOUND' } }),
      refusal({ code: RPC_CODES.notFound, message: 'Unknown competition', data: { code: 'UNKNOWN_COMPETITION' } }),
      refusal({ code: RPC_CODES.invalidParams, message: 'Invalid params: signer.  ', data: { code: 'VALIDATION' } }),
    ];
    await expect(chainCall(url, 'chain_txStatus', { tx_id: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'The chain refused: No such tx.', details: { chainCode: 'NOT_FOUND' } });
    await expect(chainCall(url, 'chain_txStatus', { tx_id: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { chainCode: 'UNKNOWN_COMPETITION' } });
    await expect(chainCall(url, 'chain_getNonce', { signer: 'x' })).rejects.toMatchObject({ code: 'VALIDATION', message: 'The chain refused: Invalid params: signer.' });
  });
});
