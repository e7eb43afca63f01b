import { z } from 'zod';
import type { ReceiptCheck, ReceiptVerification } from '@shared/contract/checkpoints';
import { AppError } from '@shared/contract/errors';
import { verifyCheckpoint } from '@shared/protocol/checkpoint-message';
import { fromHex } from '@shared/protocol/encoding';
import { publicKeyFromHotkey } from '@shared/protocol/checkpoint-message';
import type { BittensorClient } from '../network/bittensor/bittensor-client';
import { connitoRound, sha256Field } from '../network/connito-bittensor';
import type { NetworksApi } from '../network/networks.feature';

/**
 * Checkpoint receipts: the JSON proof a submission exports (`checkpoints.exportReceipt`) and the
 * check of one against the chain it names, shared by `minerva checkpoint verify-receipt` and the
 * Checkpoints page's "Check a receipt" (`checkpoints.verifyReceipt`).
 *
 * A receipt is untrusted input (anyone can hand one over): it is parsed with a schema, every
 * fact it claims is looked up on the chain, and the answer is a list of checks in words.
 */
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');

export const receiptSchema = z.object({
  format: z.literal('minerva-checkpoint-receipt'),
  version: z.literal(1),
  network: z.string().min(1).max(128),
  competition_id: z.string().min(1).max(128),
  hotkey: z.string().min(1).max(128),
  expert_group: z.string().min(1).max(64),
  file: z.object({ name: z.string().max(4096).optional(), size: z.number().int().nonnegative().nullable().optional(), sha256: hex64 }),
  commit: z.object({ tx_id: z.string().min(1).max(256), block: z.number().int().nonnegative().nullable(), round: z.number().int().nonnegative().nullable() }),
  checkpoint_url: z.string().max(2048).nullable(),
  message: z
    .object({ hotkey: z.string(), expert_group: z.string(), checkpoint_url: z.string(), block_number: z.number().int().nonnegative(), signature: z.string() })
    .strict()
    .nullable(),
  /** Present for a Bittensor network (Connito on Bittensor): where the commitment lives. */
  chain: z
    .object({
      kind: z.literal('bittensor'),
      netuid: z.number().int().nonnegative(),
      genesis_hash: z.string().regex(/^0x[0-9a-f]{64}$/).nullable(),
      round_blocks: z.number().int().min(4),
      commit_blocks: z.number().int().min(2),
    })
    .optional(),
  submission_id: z.string().nullable().optional(),
  verdict: z.unknown().optional(),
  exported_at: z.string().optional(),
});
export type Receipt = z.infer<typeof receiptSchema>;

/** Parses a receipt's text; a wrong file is refused in words that say what a receipt is. */
export function parseReceipt(text: string): Receipt {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('VALIDATION', 'This file is not a receipt (it is not JSON). Export the receipt from the Checkpoints page or with `minerva checkpoint submit --receipt`.');
  }
  if ((json as { format?: unknown } | null)?.format !== 'minerva-checkpoint-receipt') {
    throw new AppError('VALIDATION', 'This file is not a Minerva checkpoint receipt. Export the receipt from the Checkpoints page or with `minerva checkpoint submit --receipt`.');
  }
  const parsed = receiptSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('VALIDATION', `This receipt is damaged: ${issue ? `${issue.path.join('.') || 'it'}: ${issue.message}` : 'a field is missing'}. Export it again from the app that submitted the checkpoint.`);
  }
  return parsed.data;
}

export function verification(checks: ReceiptCheck[], where: string): ReceiptVerification {
  const valid = checks.length > 0 && checks.every((c) => c.ok);
  const failed = checks.filter((c) => !c.ok).map((c) => c.label.toLowerCase());
  return {
    valid,
    checks,
    where,
    summary: valid ? `The receipt checks out against ${where}.` : `The receipt does NOT check out against ${where}: ${failed.join(', ')} failed.`,
  };
}

async function chainRpc<T>(chainUrl: string, method: string, params: Record<string, unknown>): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${chainUrl.replace(/\/$/, '')}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new AppError('UNAVAILABLE', `The chain at ${chainUrl} is not answering (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name}). Start the practice network, or give the chain's address.`);
  }
  const body = (await res.json().catch(() => ({}))) as { result?: T; error?: { message?: string } };
  if (body.error) throw new AppError('NETWORK_ERROR', `The chain refused ${method}: ${body.error.message ?? 'unknown error'}`);
  return body.result as T;
}

/**
 * Checks a receipt of the practice network (or a practice-compatible chain) against its JSON-RPC:
 * the commitment holds the file's hash from that transaction, the message is signed by the
 * hotkey's key as the chain knows it, its block lies in the submission phase of the commit's round.
 */
export async function verifyPracticeReceipt(receipt: Receipt, chainUrl: string): Promise<ReceiptCheck[]> {
  const checks: ReceiptCheck[] = [];
  const round = receipt.commit.round ?? 0;
  const { commitment } = await chainRpc<{ commitment: { hash: string; tx_id: string; block: number } | null }>(chainUrl, 'chain_getCommitment', {
    competition_id: receipt.competition_id,
    hotkey: receipt.hotkey,
    expert_group: receipt.expert_group,
    round,
  });
  const sameHash = commitment?.hash === receipt.file.sha256;
  checks.push({
    name: 'commitment',
    label: 'Commitment on the chain',
    ok: commitment !== null && sameHash && commitment.tx_id === receipt.commit.tx_id,
    detail: commitment
      ? sameHash
        ? `the chain holds hash ${commitment.hash.slice(0, 16)}… from transaction ${commitment.tx_id.slice(0, 12)}… at block ${commitment.block}`
        : `the chain holds hash ${commitment.hash.slice(0, 16)}… for round ${round}, not the receipt's ${receipt.file.sha256.slice(0, 16)}…`
      : `the chain holds no commitment of this hotkey for round ${round}`,
  });
  if (!receipt.message) {
    checks.push({ name: 'message', label: 'Signed message', ok: false, detail: 'the receipt holds no submitted message (the submission stopped before it was sent)' });
    return checks;
  }
  const hotkey = await chainRpc<{ registered: boolean; public_key?: string; scheme?: 'sr25519' | 'ed25519' }>(chainUrl, 'chain_getHotkey', { competition_id: receipt.competition_id, hotkey: receipt.hotkey });
  const publicKey = hotkey.public_key ? fromHex(hotkey.public_key.replace(/^0x/, ''), 'public key') : undefined;
  checks.push(signatureCheck(receipt, receipt.message, publicKey, hotkey.scheme ?? 'ed25519'));
  const phase = await chainRpc<{ round: number; phase: string }>(chainUrl, 'chain_getRound', { competition_id: receipt.competition_id, block: receipt.message.block_number });
  checks.push({
    name: 'timing',
    label: 'Timing',
    ok: phase.phase === 'submit' && phase.round === round,
    detail: `block ${receipt.message.block_number} is in the ${phase.phase === 'submit' ? 'submission' : 'commit'} phase of round ${phase.round} (committed in round ${round})`,
  });
  checks.push(urlCheck(receipt, receipt.message));
  return checks;
}

/** The message's signature, checked with the key the chain holds for the hotkey (never the message's own). */
export function signatureCheck(receipt: Receipt, message: NonNullable<Receipt['message']>, publicKey: Uint8Array | undefined, scheme: 'sr25519' | 'ed25519'): ReceiptCheck {
  const padded = message.signature.endsWith('=');
  const verdict = verifyCheckpoint(message, { publicKeyOf: () => publicKey, profile: { scheme, padded } });
  const ok = verdict.valid && message.hotkey === receipt.hotkey;
  return {
    name: 'signature',
    label: 'Signature',
    ok,
    detail: ok
      ? `signed by ${receipt.hotkey} (${scheme}, key from the chain)`
      : message.hotkey !== receipt.hotkey
        ? `the message names hotkey ${message.hotkey}, not the receipt's ${receipt.hotkey}`
        : verdict.valid
          ? 'the signature does not verify'
          : verdict.reason === 'UNKNOWN_HOTKEY'
            ? 'the chain does not know this hotkey, so no key to check the signature with'
            : `the signature does not verify with the key the chain holds (${verdict.message})`,
  };
}

export function urlCheck(receipt: Receipt, message: NonNullable<Receipt['message']>): ReceiptCheck {
  const ok = message.checkpoint_url === receipt.checkpoint_url;
  return { name: 'url', label: 'Published file', ok, detail: ok ? 'the message names the published file' : `the message names ${message.checkpoint_url}, not the published ${receipt.checkpoint_url ?? '(none)'}` };
}

/**
 * Checks a receipt against the network it names, as this app knows it: the practice network (if
 * it runs), a practice-compatible network by its chain address, or a Bittensor network (which must
 * be the selected one: its connection is the one the app holds).
 */
export async function verifyReceiptOnNetwork(networks: NetworksApi, receipt: Receipt): Promise<ReceiptVerification> {
  const view = networks.view();
  const profile = view.profiles.find((p) => p.id === receipt.network);
  if (!profile) {
    throw new AppError('NOT_FOUND', `This receipt is from the network "${receipt.network}", which this app does not know. Add that network in Settings → Networks, or check the receipt with \`minerva checkpoint verify-receipt --chain <address>\`.`);
  }
  if (profile.kind === 'practice') {
    const chainUrl = view.practice.endpoints?.chain;
    if (!chainUrl) throw new AppError('UNAVAILABLE', 'The practice network is not running, so there is no chain to check this receipt against. Select the practice network in Settings → Networks (it starts by itself), then check again.');
    return verification(await verifyPracticeReceipt(receipt, chainUrl), 'the practice network');
  }
  if (profile.kind === 'custom') {
    if (!profile.chainUrl) throw new AppError('UNAVAILABLE', `The network ${profile.name} has no chain address.`);
    return verification(await verifyPracticeReceipt(receipt, profile.chainUrl), `the network ${profile.name}`);
  }
  if (!receipt.chain) throw new AppError('VALIDATION', `This receipt names the Bittensor network ${profile.name} but not the subnet of its commitment; it was not exported by a Connito submission.`);
  if (view.selectedId !== profile.id) throw new AppError('UNAVAILABLE', `This receipt is from ${profile.name}. Switch to that network (Settings → Networks), then check it again.`);
  const { client } = await networks.bittensor();
  return verification(await verifyBittensorReceipt(receipt, client), `${profile.name} (subnet ${receipt.chain.netuid})`);
}

/**
 * Checks a Connito receipt against a subtensor chain: `CommitmentOf(netuid, hotkey)` holds the
 * file's hash as a Sha256 field at the receipt's block; the hotkey is registered on the subnet and
 * its key (a Bittensor hotkey's address is its public key) verifies the sr25519 message; the
 * message's block lies in the submission phase of the commitment's round.
 */
export async function verifyBittensorReceipt(receipt: Receipt, client: BittensorClient): Promise<ReceiptCheck[]> {
  const chain = receipt.chain;
  if (!chain) throw new AppError('VALIDATION', 'This receipt does not name a subnet: it is not a Connito receipt.');
  const checks: ReceiptCheck[] = [];
  if (chain.genesis_hash && chain.genesis_hash !== client.identity.genesisHash) {
    checks.push({ name: 'network', label: 'Network', ok: false, detail: `the receipt is from the chain with genesis ${chain.genesis_hash.slice(0, 10)}…, this one is ${client.identity.genesisHash.slice(0, 10)}…` });
    return checks;
  }
  const found = await client.commitment(chain.netuid, receipt.hotkey);
  const hash = found ? sha256Field(found.fields) : null;
  const where = `subnet ${chain.netuid}`;
  let detail: string;
  if (!found || !hash) detail = `the chain holds no hash committed by this hotkey on ${where}`;
  else if (found.block !== receipt.commit.block) {
    detail =
      found.block > (receipt.commit.block ?? 0)
        ? `the chain now holds a later commitment of this hotkey (block ${found.block}); it keeps only the latest, so the one at block ${receipt.commit.block ?? '?'} cannot be checked any more`
        : `the chain's commitment of this hotkey is at block ${found.block}, not the receipt's ${receipt.commit.block ?? '?'}`;
  } else if (hash !== receipt.file.sha256) detail = `the chain holds hash ${hash.slice(0, 16)}… at block ${found.block}, not the receipt's ${receipt.file.sha256.slice(0, 16)}…`;
  else detail = `CommitmentOf on ${where} holds hash ${hash.slice(0, 16)}… committed at block ${found.block}`;
  checks.push({ name: 'commitment', label: 'Commitment on the chain', ok: Boolean(found && hash === receipt.file.sha256 && found.block === receipt.commit.block), detail });
  if (!receipt.message) {
    checks.push({ name: 'message', label: 'Signed message', ok: false, detail: 'the receipt holds no submitted message (the submission stopped before it was sent)' });
    return checks;
  }
  const uid = await client.uid(chain.netuid, receipt.hotkey);
  checks.push(
    uid === null
      ? { name: 'signature', label: 'Signature', ok: false, detail: `the hotkey holds no UID on ${where}, so the chain vouches for no key` }
      : signatureCheck(receipt, receipt.message, publicKeyFromHotkey(receipt.hotkey), 'sr25519'),
  );
  const rounds = { roundBlocks: chain.round_blocks, commitBlocks: chain.commit_blocks };
  const sent = connitoRound(rounds, receipt.message.block_number);
  const committed = found ? connitoRound(rounds, found.block) : null;
  checks.push({
    name: 'timing',
    label: 'Timing',
    ok: committed !== null && committed.phase === 'commit' && sent.phase === 'submit' && sent.round === committed.round,
    detail: `block ${receipt.message.block_number} is in the ${sent.phase === 'submit' ? 'submission' : 'commit'} phase of round ${sent.round}${committed ? ` (committed in the ${committed.phase} phase of round ${committed.round})` : ''}, rounds of ${chain.round_blocks} blocks`,
  });
  checks.push(urlCheck(receipt, receipt.message));
  return checks;
}
