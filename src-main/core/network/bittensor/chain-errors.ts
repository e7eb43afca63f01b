import type { ApiPromise } from '@polkadot/api';
import type { DispatchError } from '@polkadot/types/interfaces';
import { AppError, type AppErrorCode } from '@shared/contract/errors';

/**
 * Chain errors into words a miner understands, with what to do next.
 *
 * A dispatch error names its pallet and variant through the runtime's metadata
 * (`registry.findMetaError`), so it decodes on any runtime version; the table below adds advice
 * for the variants Minerva's calls meet. A variant the table does not know still comes out with
 * the runtime's own doc comment.
 */
export interface ChainErrorContext {
  /** What was being done, e.g. "Registering hotkey 5F… on subnet 1". */
  action: string;
  netuid?: number;
  /** Blocks to wait, when the chain's rate limit is known (read from storage or constants). */
  waitBlocks?: number;
}

type Advice = { code: AppErrorCode; words: (ctx: ChainErrorContext) => string };

const wait = (ctx: ChainErrorContext) => (ctx.waitBlocks !== undefined ? `about ${ctx.waitBlocks} blocks (12 s each)` : 'a few blocks (12 s each)');
const subnet = (ctx: ChainErrorContext) => (ctx.netuid !== undefined ? `subnet ${ctx.netuid}` : 'this subnet');
const topUp = 'Send TAO to your coldkey (or pick a cheaper subnet), then try again.';

const ADVICE: Record<string, Advice> = {
  HotKeyAlreadyRegisteredInSubNet: { code: 'CONFLICT', words: (c) => `This hotkey is already registered on ${subnet(c)}, so nothing was spent on a second registration. It keeps its UID; to run a second miner there, register another hotkey.` },
  NotEnoughBalanceToStake: { code: 'INSUFFICIENT_FUNDS', words: () => `Your coldkey does not hold enough free TAO for this (the registration cost is burned from it). ${topUp}` },
  BalanceWithdrawalError: { code: 'INSUFFICIENT_FUNDS', words: () => `The chain could not take the TAO from your coldkey. ${topUp}` },
  NotEnoughBalanceToPaySwapHotKey: { code: 'INSUFFICIENT_FUNDS', words: () => `Your coldkey does not hold enough free TAO to pay for swapping the hotkey. ${topUp}` },
  FundsUnavailable: { code: 'INSUFFICIENT_FUNDS', words: () => `The account does not hold enough free TAO. ${topUp}` },
  InsufficientBalance: { code: 'INSUFFICIENT_FUNDS', words: () => `The account does not hold enough free TAO. ${topUp}` },
  InvalidIpAddress: { code: 'VALIDATION', words: () => 'The chain refused the axon address (loopback, unspecified or otherwise invalid). Enter the public IP address validators can reach.' },
  InvalidIpType: { code: 'VALIDATION', words: () => 'The chain refused the IP type (only IPv4 and IPv6 exist). Enter a plain IPv4 or IPv6 address.' },
  InvalidPort: { code: 'VALIDATION', words: () => 'The chain refused the port. Use a port from 1 to 65535 that is open to the internet.' },
  ServingRateLimitExceeded: { code: 'RATE_LIMITED', words: (c) => `The chain accepts one axon update per hotkey every few blocks on ${subnet(c)}. Wait ${wait(c)}, then serve again.` },
  CommitmentSetRateLimitExceeded: { code: 'RATE_LIMITED', words: (c) => `The chain accepts one commitment per hotkey every few blocks on ${subnet(c)}. Wait ${wait(c)}, then commit again; your previous commitment stays in place.` },
  TooManyRegistrationsThisBlock: { code: 'RATE_LIMITED', words: (c) => `${subnet(c)} has taken all the registrations it allows in this block. Try again in the next block or two.` },
  TooManyRegistrationsThisInterval: { code: 'RATE_LIMITED', words: (c) => `${subnet(c)} has taken all the registrations it allows in this adjustment interval. Wait for the next interval (the registration cost may change), then try again.` },
  TxRateLimitExceeded: { code: 'RATE_LIMITED', words: (c) => `The chain limits how often this key may send this transaction. Wait ${wait(c)}, then try again.` },
  HotKeySetTxRateLimitExceeded: { code: 'RATE_LIMITED', words: (c) => `The chain limits how often a coldkey may swap hotkeys. Wait ${wait(c)}, then swap again; until then your UIDs stay on the old hotkey (keep it in the wallet).` },
  NetworkTxRateLimitExceeded: { code: 'RATE_LIMITED', words: (c) => `The chain limits how often this may be done. Wait ${wait(c)}, then try again.` },
  SettingWeightsTooFast: { code: 'RATE_LIMITED', words: (c) => `Weights were set too recently. Wait ${wait(c)}, then try again.` },
  SubNetworkDoesNotExist: { code: 'NOT_FOUND', words: (c) => `${subnet(c)} does not exist on this chain. Pick a subnet from the list.` },
  SubnetNotExists: { code: 'NOT_FOUND', words: (c) => `${subnet(c)} does not exist on this chain. Pick a subnet from the list.` },
  SubNetRegistrationDisabled: { code: 'FORBIDDEN', words: (c) => `${subnet(c)} does not accept registrations right now (its owner turned them off). Try later or pick another subnet.` },
  RegistrationNotPermittedOnRootSubnet: { code: 'FORBIDDEN', words: () => 'Miners cannot register on the root subnet (0). Pick a mining subnet.' },
  NoNeuronIdAvailable: { code: 'CONFLICT', words: (c) => `${subnet(c)} is full and has no neuron out of its immunity period to replace. Try again later.` },
  HotKeyNotRegisteredInSubNet: { code: 'NOT_FOUND', words: (c) => `This hotkey is not registered on ${subnet(c)} (never registered, or deregistered). Register it first.` },
  HotKeyNotRegisteredInNetwork: { code: 'NOT_FOUND', words: () => 'This hotkey is not registered on any subnet of this chain. Register it first.' },
  HotKeyAccountNotExists: { code: 'NOT_FOUND', words: () => 'This hotkey is not known to the chain (it has never been registered). Register it first.' },
  NonAssociatedColdKey: { code: 'FORBIDDEN', words: () => 'This hotkey belongs to another coldkey on the chain. Sign with the coldkey that registered it.' },
  NewHotKeyIsSameWithOld: { code: 'VALIDATION', words: () => 'The new hotkey is the same as the old one. Rotate to a new hotkey first.' },
  AccountNotAllowedCommit: { code: 'FORBIDDEN', words: (c) => `Only hotkeys registered on ${subnet(c)} may commit there. Register this hotkey first (or check it was not deregistered).` },
  TooManyFieldsInCommitmentInfo: { code: 'VALIDATION', words: () => 'The commitment has more fields than this chain allows. Commit a single hash.' },
  InvalidWorkBlock: { code: 'CONFLICT', words: () => 'The proof of work was solved for a block that is too old or in the future. Solve it again.' },
  InvalidDifficulty: { code: 'CONFLICT', words: () => 'The proof of work does not meet the subnet\'s current difficulty. Solve it again.' },
  InvalidSeal: { code: 'CONFLICT', words: () => 'The proof of work does not match its block and hotkey. Solve it again.' },
  BadOrigin: { code: 'FORBIDDEN', words: () => 'The chain refused the signer for this call. Sign with the key the call needs (coldkey or hotkey).' },
};

/** A dispatch error of an included transaction, decoded from the runtime's metadata. */
export function dispatchErrorToAppError(api: ApiPromise, error: DispatchError, ctx: ChainErrorContext, block: { number: number; hash: string }): AppError {
  let pallet = 'System';
  let name: string = error.type;
  let docs = '';
  if (error.isModule) {
    const meta = api.registry.findMetaError(error.asModule);
    pallet = meta.section;
    name = meta.name;
    docs = meta.docs.join(' ').trim();
  } else if (error.isToken) {
    pallet = 'Token';
    name = error.asToken.type;
  } else if (error.isArithmetic) {
    pallet = 'Arithmetic';
    name = error.asArithmetic.type;
  }
  const details = { pallet, reason: name, block: block.number, blockHash: block.hash };
  const advice = ADVICE[name];
  const where = `(block ${block.number}; the fee, if any, was spent)`;
  if (advice) return new AppError(advice.code, `${ctx.action} failed: ${advice.words(ctx)} ${where}`, { details });
  const said = docs ? ` The chain says: ${docs}` : '';
  return new AppError('CHAIN_REFUSED', `${ctx.action} failed: the chain refused it with ${pallet}.${name}.${said} ${where}`, { details });
}

/**
 * A transaction the pool refused before any block (RPC error 1010/1011/1012/1014), e.g.
 * "1010: Invalid Transaction: Inability to pay some fees" or `{"invalid":{"stale":null}}`.
 * Nothing was spent.
 */
export function poolErrorToAppError(error: unknown, ctx: ChainErrorContext): AppError {
  const raw = error instanceof Error ? error.message : String(error);
  const text = raw.toLowerCase();
  const details = { reason: raw.slice(0, 200) };
  const prefix = `${ctx.action} was not accepted by the chain (nothing was spent):`;
  if (text.includes('pay some fees') || text.includes('payment')) {
    return new AppError('INSUFFICIENT_FUNDS', `${prefix} the account cannot pay the transaction fee. ${topUp}`, { details });
  }
  if (text.includes('stale') || text.includes('outdated') || text.includes('priority is too low') || text.includes('already imported')) {
    return new AppError('CONFLICT', `${prefix} another transaction from this key used the same nonce. Wait for it to be included, then try again.`, { details });
  }
  if (text.includes('exhausts the resources') || text.includes('exhaustsresources')) {
    return new AppError('RATE_LIMITED', `${prefix} the current block is full. Try again in a few blocks.`, { details });
  }
  if (text.includes('ancient') || text.includes('future')) {
    return new AppError('CONFLICT', `${prefix} the transaction was built for another block or nonce. Try again.`, { details });
  }
  if (text.includes('custom')) {
    return new AppError('RATE_LIMITED', `${prefix} the subnet's own rules refused it at the door (${raw.slice(0, 120)}); most often a rate limit. Wait a few blocks, then try again.`, { details });
  }
  if (text.includes('bad signature') || text.includes('badproof') || text.includes('bad proof')) {
    return new AppError('SIGNATURE_INVALID', `${prefix} the signature did not verify (${raw.slice(0, 120)}). Check that the signing key matches the account.`, { details });
  }
  return new AppError('CHAIN_REFUSED', `${prefix} ${raw.slice(0, 200)}`, { details });
}
