import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient, ChainRpcError } from '@devnet/chain/chain-client';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { pairFromSuri } from '@shared/protocol/identities';

let dataDir: string;
let net: PracticeNetwork;

async function raw(body: string): Promise<{ status: number; json: { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: { code: string } } } }> {
  const res = await fetch(`${net.endpoints.chain}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as never };
}

beforeAll(async () => {
  await cryptoWaitReady();
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-chain-rpc-'));
  net = await startPracticeNetwork({ dataDir, parties: ['chain'], blockTimeMs: 100 });
});

afterAll(async () => {
  await net.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('chain JSON-RPC', () => {
  it('answers errors in JSON-RPC form with a stable data.code', async () => {
    expect((await raw('{not json')).json.error).toMatchObject({ code: -32700, data: { code: 'VALIDATION' } });
    expect((await raw('{"jsonrpc":"2.0","id":1,"method":"chain_info","params":[]}')).json.error).toMatchObject({ code: -32600 });
    const unknown = await raw('{"jsonrpc":"2.0","id":7,"method":"chain_nope","params":{}}');
    expect(unknown).toMatchObject({ status: 200, json: { id: 7, error: { code: -32601, data: { code: 'NOT_FOUND' } } } });
    expect((await raw('{"jsonrpc":"2.0","id":2,"method":"chain_getNonce","params":{"signer":"nope"}}')).json.error).toMatchObject({ code: -32602, data: { code: 'VALIDATION' } });
    expect((await raw('{"jsonrpc":"2.0","id":3,"method":"chain_getNonce","params":{"signer":"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY","extra":1}}')).json.error).toMatchObject({ code: -32602 });
    const missingTx = await raw(`{"jsonrpc":"2.0","id":4,"method":"chain_txStatus","params":{"tx_id":"0x${'0'.repeat(64)}"}}`);
    expect(missingTx.json.error).toMatchObject({ code: -32004, data: { code: 'NOT_FOUND' } });
    expect((await raw('{"jsonrpc":"2.0","id":5,"method":"chain_getRound","params":{"competition_id":"practice-runner"}}')).json.error).toMatchObject({ data: { code: 'NOT_FOUND' } });
    expect((await raw('{"jsonrpc":"2.0","id":6,"method":"chain_getHotkey","params":{"competition_id":"nope","hotkey":"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}}')).json.error).toMatchObject({
      code: -32004,
      data: { code: 'UNKNOWN_COMPETITION' },
    });
  });

  it('refuses a transaction at submit with its code, and the client surfaces it', async () => {
    const client = new ChainClient(net.endpoints.chain);
    const alice = pairFromSuri('//Alice', 'sr25519');
    const tx = await client.buildTx('register_hotkey', { competition_id: 'practice-runner', hotkey: alice.address, coldkey: alice.address }, alice);
    const error = await client.call('chain_submitTx', { tx: { ...tx, nonce: tx.nonce + 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChainRpcError);
    // The nonce is part of the signed bytes: changing it breaks the signature first.
    expect((error as ChainRpcError).code).toBe('SIGNATURE_INVALID');
    const ahead = await client.buildTx('register_hotkey', { competition_id: 'practice-runner', hotkey: alice.address, coldkey: alice.address }, alice, 3);
    await expect(client.call('chain_submitTx', { tx: ahead })).rejects.toMatchObject({ code: 'NONCE_TOO_HIGH', rpcCode: -32000 });
  });

  it('long-polls for a block and answers with the head at the timeout', async () => {
    const client = new ChainClient(net.endpoints.chain);
    const head = (await client.call('chain_info', {})).block_number;
    const next = await client.call('chain_waitForBlock', { number: head + 2 });
    expect(next.number).toBe(head + 2);
    const far = await client.call('chain_waitForBlock', { number: head + 10_000, timeout_ms: 150 });
    expect(far.number).toBeLessThan(head + 10_000);
    expect((await client.call('chain_getBlock', { number: head + 2 })).hash).toBe(next.hash);
  });
});
