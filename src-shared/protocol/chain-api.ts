/**
 * The practice network's chain API (docs/practice-network.md): JSON-RPC 2.0 over `POST /rpc`,
 * named params only, and its signed transactions. Shared by the chain (src-main/devnet/chain) and
 * its clients (the app, the hub, later the router, validator and coordinator).
 *
 * Transaction: `{kind, args_json, signer, scheme, nonce, signature}`. The signed bytes are UTF-8 of
 *   `minerva-devnet-tx-v1:<genesis_hash>:<kind>:<signer>:<nonce>:<sha256 hex of args_json>`
 * `args_json` travels as the exact string that was hashed, so no canonical JSON is needed; the
 * genesis hash binds a transaction to one chain (a reset chain refuses old ones); `nonce` is the
 * signer's next nonce (`chain_getNonce`), so a transaction can be included at most once.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { AppError } from '@shared/contract/errors';
import { toHex } from './encoding';
import { utf8Encode } from './runtime';

export const TX_PREFIX = 'minerva-devnet-tx-v1';
export const TOKEN = { symbol: 'PRAC', decimals: 9 } as const;
/** Longest `args_json` the chain accepts, in characters (room for 1,024 reward payouts). */
export const TX_MAX_ARGS_BYTES = 128 * 1024;

// ---------------------------------------------------------------------------------------------
// Building blocks

const ss58 = z.string().min(40).max(60).regex(/^[1-9A-HJ-NP-Za-km-z]+$/, 'an SS58 address');
const b58Key = z.string().min(32).max(44).regex(/^[1-9A-HJ-NP-Za-km-z]+$/, 'a base58 32-byte key');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');
const competitionId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a competition id');
/** A runner's gRPC address: `host:port` (a DNS name, IPv4, or `[IPv6]`), port 1–65535. */
const runnerAddress = z
  .string()
  .max(300)
  .regex(/^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):(?:[1-9][0-9]{0,4})$/, 'host:port')
  .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65_535, 'port 1–65535');
const eoa = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x address');
/** An amount in base units (10^-decimals of a token), as a decimal integer string. */
const baseUnits = z.string().regex(/^(0|[1-9][0-9]{0,37})$/, 'a whole number of base units');

export const schemeSchema = z.enum(['sr25519', 'ed25519']);
export type KeyScheme = z.infer<typeof schemeSchema>;

export const txSchema = z
  .object({
    kind: z.string().regex(/^[a-z_]{1,40}$/),
    args_json: z.string().max(TX_MAX_ARGS_BYTES),
    signer: ss58,
    scheme: schemeSchema,
    nonce: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** `0x-hex` of the 64-byte signature over `txSigningBytes` (sr25519 also `<Bytes>`-wrapped). */
    signature: z.string().regex(/^0x[0-9a-fA-F]{128}$/),
  })
  .strict();
export type Tx = z.infer<typeof txSchema>;

/** The bytes a transaction's signer signs. */
export function txSigningBytes(genesisHash: string, tx: Pick<Tx, 'kind' | 'signer' | 'nonce' | 'args_json'>): Uint8Array {
  return utf8Encode(`${TX_PREFIX}:${genesisHash}:${tx.kind}:${tx.signer}:${tx.nonce}:${toHex(sha256(utf8Encode(tx.args_json)))}`);
}

/** A transaction's id: `0x` + sha256 hex of its signing bytes (unique per genesis, signer and nonce). */
export function txId(genesisHash: string, tx: Pick<Tx, 'kind' | 'signer' | 'nonce' | 'args_json'>): string {
  return `0x${toHex(sha256(txSigningBytes(genesisHash, tx)))}`;
}

/** What the new hotkey signs to agree to a rotation (it co-signs the old hotkey's transaction). */
export function rotationConsentBytes(genesisHash: string, competition: string, oldHotkey: string, newHotkey: string): Uint8Array {
  return utf8Encode(`${TX_PREFIX}:rotate:${genesisHash}:${competition}:${oldHotkey}:${newHotkey}`);
}

// ---------------------------------------------------------------------------------------------
// Transaction kinds: each kind's args and who must sign it

export const txArgsSchemas = {
  /** Moves tokens; signed by `signer` (the payer). */
  transfer: z.object({ to: ss58, amount: baseUnits }).strict(),
  /** Binds a hotkey to a coldkey in one competition; signed by the hotkey (the coldkey may be watch-only). */
  register_hotkey: z.object({ competition_id: competitionId, hotkey: ss58, coldkey: ss58 }).strict(),
  /** Swaps a registered hotkey for a new one, same coldkey; signed by the old hotkey, co-signed by the new (`rotationConsentBytes`). */
  rotate_hotkey: z
    .object({ competition_id: competitionId, old_hotkey: ss58, new_hotkey: ss58, new_hotkey_signature: z.string().regex(/^0x[0-9a-fA-F]{128}$/) })
    .strict(),
  /** Removes a hotkey; signed by the hotkey or by its coldkey. */
  deregister_hotkey: z.object({ competition_id: competitionId, hotkey: ss58 }).strict(),
  /** PROTOCOLS §3 commitment; signed by the hotkey; only in a round's commit phase. */
  commit_hash: z.object({ competition_id: competitionId, hotkey: ss58, expert_group: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), hash: hex64 }).strict(),
  /** PROTOCOLS §5 coordinator identity of a competition; signed by the coordinator authority. */
  set_coordinator: z.object({ competition_id: competitionId, wallet_b58: b58Key, smp_hotkey_b58: b58Key }).strict(),
  /** A new coordinator certificate hash: becomes primary, the old primary becomes secondary (the older one is overwritten). */
  rotate_coordinator_cert: z.object({ competition_id: competitionId, cert_hash: hex64 }).strict(),
  /**
   * PROTOCOLS §5 runner identity for a model id; signed by the runner wallet (its ed25519 key as SS58).
   * `address` is where the runner serves gRPC (`host:port`, the coordinator dials it); `payout_hotkey`
   * is the miner's hotkey registered in the competition, paid for the runner's scores. Re-sending
   * rotates the SMP hotkey and updates the address and the payout hotkey.
   */
  register_runner: z
    .object({
      competition_id: competitionId,
      model_id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
      wallet_b58: b58Key,
      smp_hotkey_b58: b58Key,
      address: runnerAddress,
      payout_hotkey: ss58,
      /**
       * How coordinators reach the runner (issue 15): `mtls` (absent = mtls) — a client certificate
       * from the network CA; `gateway` — TLS without a client certificate, every call signed with
       * `x-gateway-auth-*` (model-runner-client 0.12's gateway mode).
       */
      transport: z.enum(['mtls', 'gateway']).optional(),
    })
    .strict(),
  /**
   * A miner left a model-runner competition: every runner paid to that hotkey leaves the chain's
   * list, so coordinators stop calling it. Signed by the hub authority (which verified the leave).
   */
  remove_runners: z.object({ competition_id: competitionId, payout_hotkey: ss58 }).strict(),
  /** PROTOCOLS §2.9 session membership; signed by the hub authority. */
  add_session_member: z.object({ competition_id: competitionId, session_id: z.number().int().min(0), eoa, hotkey: ss58 }).strict(),
  remove_session_member: z.object({ competition_id: competitionId, session_id: z.number().int().min(0), eoa }).strict(),
  /** One epoch's rewards of a competition, paid to each hotkey's coldkey; signed by the competition's reward authority. */
  emit_rewards: z
    .object({
      competition_id: competitionId,
      epoch: z.number().int().min(0),
      payouts: z.array(z.object({ hotkey: ss58, amount: baseUnits }).strict()).max(1024),
    })
    .strict(),
} as const;

export type TxKind = keyof typeof txArgsSchemas;
export type TxArgs<K extends TxKind> = z.infer<(typeof txArgsSchemas)[K]>;
export const TX_KINDS = Object.keys(txArgsSchemas) as TxKind[];

export function isTxKind(kind: string): kind is TxKind {
  return Object.prototype.hasOwnProperty.call(txArgsSchemas, kind);
}

export type AuthorityRole = 'hub' | 'validator' | 'coordinator' | 'router';

/** Codes of a transaction refused at `chain_submitTx` (JSON-RPC error `data.code`). */
export const TX_REJECT_CODES = [
  'SIGNATURE_INVALID',
  'WRONG_SIGNER',
  'NONCE_USED',
  'NONCE_TOO_HIGH',
  'UNKNOWN_KIND',
  'ARGS_INVALID',
  'POOL_FULL',
] as const;
export type TxRejectCode = (typeof TX_REJECT_CODES)[number];

/** Codes of a transaction that was included but failed (`chain_txStatus` → `failed`). */
export const TX_FAIL_CODES = [
  'UNKNOWN_COMPETITION',
  'SCHEME_MISMATCH',
  'HOTKEY_TAKEN',
  'UNKNOWN_HOTKEY',
  'NOT_COMMIT_PHASE',
  'ROTATION_SIGNATURE_INVALID',
  'MODEL_TAKEN',
  'NO_COORDINATOR',
  'EPOCH_ALREADY_PAID',
  'EMISSION_EXCEEDED',
  'INSUFFICIENT_BALANCE',
  'WRONG_KIND',
  'NOT_AUTHORISED',
  'ARGS_INVALID',
] as const;
export type TxFailCode = (typeof TX_FAIL_CODES)[number];

// ---------------------------------------------------------------------------------------------
// JSON-RPC envelope

export const rpcRequestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string().max(128), z.number(), z.null()]),
  method: z.string().max(64),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type RpcRequest = z.infer<typeof rpcRequestSchema>;

export interface RpcErrorBody {
  code: number;
  message: string;
  /** `code`: a stable string (`NOT_FOUND`, `VALIDATION`, a `TxRejectCode`, …). */
  data?: { code: string };
}

export type RpcResponse<T = unknown> = { jsonrpc: '2.0'; id: string | number | null; result: T } | { jsonrpc: '2.0'; id: string | number | null; error: RpcErrorBody };

/** JSON-RPC numeric codes used by the chain. */
export const RPC_CODES = { parse: -32700, invalidRequest: -32600, methodNotFound: -32601, invalidParams: -32602, internal: -32603, txRejected: -32000, notFound: -32004 } as const;

// ---------------------------------------------------------------------------------------------
// Competitions as the chain knows them (rules it enforces; the hub's catalogue adds the words)

export const chainCompetitionSchema = z.object({
  competition_id: competitionId,
  netuid: z.number().int().min(0),
  kind: z.enum(['private-inference', 'model-runner', 'checkpoint']),
  /** Scheme of the hotkeys this competition registers (checkpoint: ed25519 by default, PROTOCOLS §3). */
  scheme: schemeSchema,
  /** Rounds (PROTOCOLS §3): `round_blocks = commit_blocks + submit_blocks`; 0 when the competition has none. */
  round_blocks: z.number().int().min(0),
  commit_blocks: z.number().int().min(0),
  submit_blocks: z.number().int().min(0),
  epoch_blocks: z.number().int().min(1),
  /** Most that `emit_rewards` may pay per epoch, in base units. */
  emission_per_epoch: baseUnits,
  /** Which authority signs this competition's `emit_rewards`. */
  reward_authority: z.enum(['validator', 'coordinator', 'router']),
  /** Private inference: the dedicated session whose members the hub writes (§2.9). */
  session_id: z.number().int().min(0).nullable(),
});
export type ChainCompetition = z.infer<typeof chainCompetitionSchema>;

export type Phase = 'commit' | 'submit';

/** Round and phase of `block` (PROTOCOLS §3): round r spans blocks [r·round_blocks, (r+1)·round_blocks). */
export function roundAt(c: Pick<ChainCompetition, 'round_blocks' | 'commit_blocks'>, block: number): RoundInfo | null {
  if (c.round_blocks <= 0) return null;
  const round = Math.floor(block / c.round_blocks);
  const start = round * c.round_blocks;
  const commitEnd = start + c.commit_blocks; // first block of the submit phase
  const end = start + c.round_blocks; // first block of the next round
  const phase: Phase = block < commitEnd ? 'commit' : 'submit';
  return {
    block,
    round,
    phase,
    round_start: start,
    submit_start: commitEnd,
    next_round_start: end,
    blocks_left_in_phase: (phase === 'commit' ? commitEnd : end) - block,
    round_blocks: c.round_blocks,
    commit_blocks: c.commit_blocks,
    submit_blocks: c.round_blocks - c.commit_blocks,
  };
}

export interface RoundInfo {
  block: number;
  round: number;
  phase: Phase;
  round_start: number;
  /** First block of the submission phase. */
  submit_start: number;
  next_round_start: number;
  /** Blocks until the phase ends, counting this one (1 on the phase's last block). */
  blocks_left_in_phase: number;
  round_blocks: number;
  commit_blocks: number;
  submit_blocks: number;
}

// ---------------------------------------------------------------------------------------------
// Results of every method (params are documented beside each)

export interface ChainInfo {
  chain: 'minerva-practice';
  genesis_hash: string;
  block_number: number;
  block_time_ms: number;
  ss58_prefix: 42;
  token: { symbol: string; decimals: number };
}

export interface BlockView {
  number: number;
  hash: string;
  parent_hash: string;
  /** iso */
  at: string;
  tx_ids: string[];
}

export type TxStatus =
  | { tx_id: string; state: 'pending' }
  | { tx_id: string; state: 'included'; block: number }
  | { tx_id: string; state: 'failed'; block: number; error: { code: TxFailCode; message: string } };

export interface HotkeyView {
  competition_id: string;
  hotkey: string;
  registered: boolean;
  /** Present when registered. */
  coldkey?: string;
  scheme?: KeyScheme;
  public_key?: string;
  registered_block?: number;
}

export interface CommitmentView {
  competition_id: string;
  hotkey: string;
  expert_group: string;
  round: number;
  hash: string;
  block: number;
  tx_id: string;
}

export interface CoordinatorView {
  competition_id: string;
  wallet_b58: string;
  smp_hotkey_b58: string;
  /** `[primary, secondary]`, 64 zeros for an empty slot (never matches, PROTOCOLS §5). */
  cert_hashes: [string, string];
  updated_block: number;
}

export interface RunnerView {
  competition_id: string;
  model_id: string;
  wallet_b58: string;
  smp_hotkey_b58: string;
  /** `host:port` of the runner's gRPC server. */
  address: string;
  /** SS58 hotkey paid for this runner's scores (registered in the competition). */
  payout_hotkey: string;
  /** How coordinators reach it: mutual TLS, or gateway mode (signed x-gateway-auth-* calls, no client certificate). */
  transport: 'mtls' | 'gateway';
  updated_block: number;
}

export interface SessionMembersView {
  session_id: number;
  members: { eoa: string; hotkey: string; competition_id: string; added_block: number }[];
}

export interface EpochInfo {
  competition_id: string;
  block: number;
  epoch: number;
  epoch_start: number;
  next_epoch_start: number;
  epoch_blocks: number;
  /** Whole tokens the epoch may pay at most. */
  emission: string;
  /** Block that paid this epoch, null while unpaid. */
  paid_block: number | null;
  /** Block that paid the previous epoch, null if unpaid (or epoch 0). */
  previous_paid_block: number | null;
}

export interface BalanceView {
  address: string;
  /** Whole tokens as a decimal string (`"12.5"`). */
  amount: string;
  base_units: string;
}

export interface RewardEntry {
  /** iso time of the block that paid it. */
  at: string;
  block: number;
  competition_id: string;
  epoch: number;
  hotkey: string;
  coldkey: string;
  amount: string;
  base_units: string;
}

/** Method → params schema and result type; the chain validates params with these schemas. */
const addr = z.object({ address: ss58 }).strict();
export const chainMethods = {
  chain_info: { params: z.object({}).strict(), result: {} as ChainInfo },
  chain_getBlock: { params: z.object({ number: z.number().int().min(0).optional() }).strict(), result: {} as BlockView },
  /** Long poll: answers once block `number` exists (or at `timeout_ms`, at most 30 s, with the current head). */
  chain_waitForBlock: { params: z.object({ number: z.number().int().min(0), timeout_ms: z.number().int().min(0).max(30_000).optional() }).strict(), result: {} as BlockView },
  chain_getNonce: { params: z.object({ signer: ss58 }).strict(), result: {} as { signer: string; next_nonce: number } },
  chain_submitTx: { params: z.object({ tx: txSchema }).strict(), result: {} as { tx_id: string } },
  chain_txStatus: { params: z.object({ tx_id: z.string().regex(/^0x[0-9a-f]{64}$/) }).strict(), result: {} as TxStatus },
  chain_getBalance: { params: addr, result: {} as BalanceView },
  chain_listCompetitions: { params: z.object({}).strict(), result: {} as { competitions: ChainCompetition[] } },
  chain_getRound: { params: z.object({ competition_id: competitionId, block: z.number().int().min(0).optional() }).strict(), result: {} as RoundInfo },
  chain_getHotkey: { params: z.object({ competition_id: competitionId, hotkey: ss58 }).strict(), result: {} as HotkeyView },
  chain_listHotkeys: { params: z.object({ competition_id: competitionId, coldkey: ss58.optional() }).strict(), result: {} as { hotkeys: HotkeyView[] } },
  /** The hotkey's latest commitment for the expert group in that round's commit phase (`null` if none). */
  chain_getCommitment: {
    params: z.object({ competition_id: competitionId, hotkey: ss58, expert_group: z.string().min(1).max(64), round: z.number().int().min(0).optional() }).strict(),
    result: {} as { commitment: CommitmentView | null },
  },
  /** Every commitment record (superseded ones too), oldest first. */
  chain_listCommitments: {
    params: z.object({ competition_id: competitionId, hotkey: ss58.optional(), round: z.number().int().min(0).optional() }).strict(),
    result: {} as { commitments: CommitmentView[] },
  },
  chain_getCoordinator: { params: z.object({ competition_id: competitionId }).strict(), result: {} as { coordinator: CoordinatorView | null } },
  chain_getRunner: { params: z.object({ competition_id: competitionId, model_id: z.string().min(1).max(64) }).strict(), result: {} as { runner: RunnerView | null } },
  /** Every runner of a competition, by model id (the coordinator's discovery). */
  chain_listRunners: { params: z.object({ competition_id: competitionId }).strict(), result: {} as { runners: RunnerView[] } },
  chain_getSessionMembers: { params: z.object({ session_id: z.number().int().min(0) }).strict(), result: {} as SessionMembersView },
  /** Rewards paid to `address` as coldkey or as hotkey, oldest first. */
  chain_getRewards: {
    params: z.object({ address: ss58, since: z.string().datetime().optional(), competition_id: competitionId.optional() }).strict(),
    result: {} as { entries: RewardEntry[] },
  },
  chain_getAuthorities: { params: z.object({}).strict(), result: {} as Record<AuthorityRole, string> },
  /** Epoch of `block` (default head): epoch e covers blocks [e·epoch_blocks, (e+1)·epoch_blocks). */
  chain_getEpoch: { params: z.object({ competition_id: competitionId, block: z.number().int().min(0).optional() }).strict(), result: {} as EpochInfo },
} as const;

export type ChainMethod = keyof typeof chainMethods;
export type ChainParams<M extends ChainMethod> = z.input<(typeof chainMethods)[M]['params']>;
export type ChainResult<M extends ChainMethod> = (typeof chainMethods)[M]['result'];

// ---------------------------------------------------------------------------------------------
// Amounts

/** Base units → whole tokens as a decimal string without trailing zeros (`"12.5"`). */
export function formatAmount(units: bigint, decimals: number = TOKEN.decimals): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const frac = (abs % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** Whole tokens (`"12.5"`) → base units. */
export function parseAmount(tokens: string, decimals: number = TOKEN.decimals): bigint {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(tokens);
  if (!m || (m[2]?.length ?? 0) > decimals) throw new AppError('VALIDATION', `Not an amount with at most ${decimals} decimals: ${tokens}.`);
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt((m[2] ?? '').padEnd(decimals, '0') || '0');
}
