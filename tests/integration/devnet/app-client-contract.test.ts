import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeySigner } from '@core/network/client';
import { PracticeNetworkClient } from '@core/network/practice-client';
import { ChainClient } from '@devnet/chain/chain-client';
import { authorityKey } from '@devnet/common/keys';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import type { AppError } from '@shared/contract/errors';
import { eip191Sign, parsePrivateKey } from '@shared/protocol/eip191';
import { toHex } from '@shared/protocol/encoding';
import { pairFromSuri, type SubstratePair } from '@shared/protocol/identities';

/**
 * Contract test: the app's practice-network client (src-main/core/network/practice-client.ts)
 * against the real chain and hub, so the two sides of docs/practice-network.md cannot drift.
 */
const EOA_KEY = parsePrivateKey('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');

let dataDir: string;
let net: PracticeNetwork;
let client: PracticeNetworkClient;

function signer(pair: SubstratePair): KeySigner {
  return { address: pair.address, publicKeyHex: toHex(pair.publicKey), scheme: pair.scheme, sign: (m) => pair.sign(m) };
}

async function included(txId: string): Promise<void> {
  for (;;) {
    const status = await client.txStatus(txId);
    if (status.state !== 'pending') {
      expect(status).toEqual({ state: 'included' });
      return;
    }
    await net.chain!.waitForBlock(net.chain!.blockNumber + 1);
  }
}

beforeAll(async () => {
  await cryptoWaitReady();
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-devnet-contract-'));
  net = await startPracticeNetwork({ dataDir, blockTimeMs: 100 });
  client = new PracticeNetworkClient({ id: 'practice', kind: 'practice', chainUrl: net.endpoints.chain, hubUrl: net.endpoints.hub! });
});

afterAll(async () => {
  await net.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the app's client against the practice network", () => {
  it('reads the catalogue with the scheme and action prefix of each competition', async () => {
    const entries = await client.catalogue();
    expect(entries.map((e) => [e.id, e.kind, e.hotkeyScheme, e.actionPrefix])).toEqual([
      ['practice-inference', 'private-inference', 'sr25519', 'platform-upload-v1'],
      ['practice-runner', 'model-runner', 'sr25519', 'platform-upload-v1'],
      ['practice-checkpoint', 'checkpoint', 'ed25519', 'platform-upload-v1'],
    ]);
    expect(entries[0]!.rewards).toMatchObject({ symbol: 'PRAC', perEpoch: '100', epochBlocks: 30 });
    expect(entries[2]!.requirements.memoryMiB).toBe(512);
  });

  it('registers, joins each kind, leaves, and reads balance and rewards', async () => {
    const hot = pairFromSuri('//ContractHot', 'sr25519');
    const ckpt = pairFromSuri('//ContractCkpt', 'ed25519');
    const cold = pairFromSuri('//ContractCold', 'sr25519');
    const entries = await client.catalogue();

    for (const entry of entries) {
      const key = entry.hotkeyScheme === 'ed25519' ? ckpt : hot;
      expect(await client.isRegistered(entry.id, key.address)).toBe(false);
      // Joining before registering: the hub's words reach the app.
      await expect(client.join(entry, signer(key), {})).rejects.toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'unknown hotkey' } } satisfies Partial<AppError>);
      const { txId } = await client.register(entry.id, signer(key), cold.address);
      await included(txId);
      expect(await client.isRegistered(entry.id, key.address)).toBe(true);
      const body: Record<string, unknown> = {};
      if (entry.kind === 'private-inference') {
        const proof = eip191Sign(EOA_KEY, `minerva-join:${entry.id}:${key.address}`);
        body.eoa = proof.address;
        body.eoa_signature = proof.signature;
      }
      await client.join(entry, signer(key), body);
      expect(await client.participants(entry.id)).toBe(1);
    }

    await client.leave(entries[1]!, signer(hot));
    expect(await client.participants('practice-runner')).toBe(0);

    const validator = authorityKey(dataDir, 'validator');
    const chain = new ChainClient(net.endpoints.chain);
    const paid = await chain.sendTx('emit_rewards', { competition_id: 'practice-checkpoint', epoch: 0, payouts: [{ hotkey: ckpt.address, amount: '1500000000' }] }, validator);
    await included(paid.tx_id);
    expect(await client.balance(cold.address)).toEqual({ amount: '1.5', symbol: 'PRAC' });
    const rewards = await client.rewards(cold.address, new Date(Date.now() - 3600_000));
    expect(rewards).toMatchObject([{ competitionId: 'practice-checkpoint', amount: '1.5' }]);

    const { txId } = await client.deregister('practice-runner', signer(hot));
    await included(txId);
    expect(await client.isRegistered('practice-runner', hot.address)).toBe(false);
  });
});
