import { AppError } from '@shared/contract/errors';
import type { BittensorSettings, ConnitoSettings } from '@shared/contract/networks';
import { DEFAULT_BLOCK_WINDOW } from '@shared/protocol/checkpoint-message';
import type { BittensorClient } from './bittensor/bittensor-client';
import type { CatalogueEntry, ChainRounds, KeySigner } from './client';

/**
 * Connito on Bittensor (issue 14 part 3; PROTOCOLS §3, the public Connito profile): a checkpoint
 * competition a Bittensor profile describes by its settings (`networks.configure`: subnet,
 * validator, rounds), with the chain side of the checkpoint flow on the subnet:
 *
 * - the hotkey is the vault's sr25519 hotkey N, registered on the subnet (by burn, on the
 *   Bittensor card); "joining" is that registration — there is no hub to tell;
 * - commit: `Commitments.set_commitment(netuid, { fields: [Sha256(hash)] })` signed by the hotkey,
 *   waited for until in a block; the commitment's block is what receipts name;
 * - rounds are counted in blocks from block 0: `roundBlocks` long, opening with `commitBlocks` of
 *   commit phase (the subnet's validator must count them the same way);
 * - the message of §3, signed sr25519, unpadded b64url, posted to the validator's `/submit`.
 *
 * The chain keeps one commitment per hotkey and subnet (`CommitmentOf`): a later one replaces it,
 * and the pallet's `RateLimit` (100 blocks on spec 218) allows one per that many blocks, so a round
 * must be at least that long. The expert group is not on chain; it travels in the message.
 */
export const CONNITO_ID_PREFIX = 'connito-sn';

export function connitoId(netuid: number): string {
  return `${CONNITO_ID_PREFIX}${netuid}`;
}

/** The catalogue entry of the profile's Connito competition. */
export function connitoEntry(settings: BittensorSettings, c: ConnitoSettings, symbol = 'TAO'): CatalogueEntry {
  const submitBlocks = c.roundBlocks - c.commitBlocks;
  return {
    id: connitoId(c.netuid),
    netuid: c.netuid,
    slug: connitoId(c.netuid),
    kind: 'checkpoint',
    title: `Connito checkpoints (subnet ${c.netuid})`,
    description: `Train a model and submit checkpoints to the subnet's validator. The hash is committed on subnet ${c.netuid} first (set_commitment), the file published after.`,
    requirements: { gpu: null, memoryMiB: null, imageDigest: null },
    rewards: { summary: `Emission on subnet ${c.netuid}, as the validators weigh your hotkey`, symbol, perEpoch: '0', epochBlocks: c.roundBlocks },
    rules: [
      `Your hotkey must be registered on subnet ${c.netuid} (Settings → Bittensor; it costs TAO).`,
      `Rounds of ${c.roundBlocks} blocks: ${c.commitBlocks} blocks to commit your checkpoint's hash on chain, then ${submitBlocks} blocks to submit it.`,
      'The chain keeps one commitment per hotkey: a new one replaces the last.',
    ],
    hotkeyScheme: 'sr25519',
    actionPrefix: settings.actionPrefix,
    endpoints: { validator: c.validatorUrl, router: null, coordinator: null },
    blockWindow: DEFAULT_BLOCK_WINDOW,
    paddedSignature: false,
  };
}

export interface ConnitoRound {
  round: number;
  phase: 'commit' | 'submit';
  block: number;
  blocksLeft: number;
  nextRoundStart: number;
  submitStart: number;
}

/** Where `block` lies in the profile's rounds. */
export function connitoRound(c: Pick<ConnitoSettings, 'roundBlocks' | 'commitBlocks'>, block: number): ConnitoRound {
  const round = Math.floor(block / c.roundBlocks);
  const start = round * c.roundBlocks;
  const submitStart = start + c.commitBlocks;
  const nextRoundStart = start + c.roundBlocks;
  const phase = block < submitStart ? 'commit' : 'submit';
  return { round, phase, block, blocksLeft: (phase === 'commit' ? submitStart : nextRoundStart) - block, nextRoundStart, submitStart };
}

/** The Sha256 field of a commitment, as 64 lowercase hex digits. */
export function sha256Field(fields: { variant: string; hex: string }[]): string | null {
  const field = fields.find((f) => f.variant === 'Sha256');
  return field ? field.hex.replace(/^0x/, '').toLowerCase() : null;
}

/**
 * The checkpoint flow's chain calls on a subnet. `commitHash` waits for inclusion (the adapter
 * follows the extrinsic to its block) and is idempotent by reading the chain first: when this
 * round's commitment already holds the hash (a restart after sending), nothing is sent again.
 */
export function connitoRounds(c: ConnitoSettings, chain: () => Promise<BittensorClient>, pollMs = 1000): ChainRounds & { isRegistered(hotkey: string): Promise<boolean> } {
  const included = new Map<string, number>();
  const notThis = (competitionId: string): void => {
    if (competitionId !== connitoId(c.netuid)) throw new AppError('NOT_FOUND', `There is no competition "${competitionId}" on this network.`);
  };
  return {
    async isRegistered(hotkey) {
      return (await (await chain()).uid(c.netuid, hotkey)) !== null;
    },
    async round(competitionId) {
      notThis(competitionId);
      return connitoRound(c, await (await chain()).bestBlock());
    },
    async waitForBlock(n, timeoutMs) {
      const client = await chain();
      const until = Date.now() + timeoutMs;
      for (;;) {
        const block = await client.bestBlock();
        if (block >= n) return block;
        if (Date.now() >= until) throw new AppError('TIMEOUT', `The chain did not reach block ${n} in time (it is at ${block}).`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, until - Date.now()))));
      }
    },
    async commitHash(competitionId, hotkey: KeySigner, _expertGroup, sha256Hex) {
      notThis(competitionId);
      const client = await chain();
      const hash = sha256Hex.toLowerCase();
      const now = connitoRound(c, await client.bestBlock());
      const existing = await client.commitment(c.netuid, hotkey.address);
      if (existing && sha256Field(existing.fields) === hash && existing.block >= now.nextRoundStart - c.roundBlocks) {
        const txId = `block:${existing.block}`;
        included.set(txId, existing.block);
        return { txId };
      }
      const tx = await client.prepareSetCommitment({ netuid: c.netuid, hotkey, fields: [{ kind: 'sha256', hex: hash }] });
      const receipt = await tx.submit();
      included.set(receipt.txHash, receipt.blockNumber);
      return { txId: receipt.txHash };
    },
    async commitment(competitionId, hotkey, _expertGroup, round) {
      notThis(competitionId);
      const found = await (await chain()).commitment(c.netuid, hotkey);
      const hash = found ? sha256Field(found.fields) : null;
      if (!found || !hash) return null;
      const start = round * c.roundBlocks;
      if (found.block < start || found.block >= start + c.commitBlocks) return null;
      const txId = [...included.entries()].find(([, block]) => block === found.block)?.[0] ?? `block:${found.block}`;
      return { hash, block: found.block, txId };
    },
    async txStatus(txId) {
      return Promise.resolve(included.has(txId) ? { state: 'included' as const } : { state: 'unknown' as const });
    },
  };
}
