import { z } from 'zod';
import type { ChainIdentityView } from './networks';
import { event, method } from './define';

/**
 * The selected Bittensor network as the miner sees it: the coldkey's balance, the subnets with
 * their registration cost, registration by burn (quoted, then confirmed), the metagraph of our
 * hotkey and its commitment. Amounts in rao are decimal strings (1 TAO = 1e9 rao); `*Text` fields
 * are the same amounts in words ("1.5 TAO"). Every call answers UNSUPPORTED (`not-bittensor`)
 * when the selected network is another kind.
 */
export interface SubnetView {
  netuid: number;
  registrationOpen: boolean;
  /** Proof-of-work registration open (free, costs computing time). */
  powOpen: boolean;
  /** PoW difficulty = expected attempts (decimal string). */
  difficulty: string;
  burn: string;
  burnText: string;
  neurons: number;
  maxNeurons: number;
  tempo: number;
}

export interface NeuronView {
  netuid: number;
  hotkey: string;
  /** null: the hotkey holds no UID on the subnet. */
  uid: number | null;
  /** Minerva registered this hotkey there before (so a missing UID means deregistered). */
  registeredBefore: boolean;
  stakeText: string | null;
  trust: number | null;
  incentive: number | null;
  consensus: number | null;
  dividends: number | null;
  emissionText: string | null;
  /** The last epoch's emission in the smallest unit (decimal string), null without a UID. */
  emission: string | null;
  lastUpdate: number | null;
  registeredAt: number | null;
  /** "ip:port", null when not served. */
  axon: string | null;
  /** Whole epochs since registration (while the incentive is 0), null when unknown. */
  epochsSinceRegistration: number | null;
  commitment: { fields: { variant: string; hex: string }[]; block: number } | null;
}

export interface BittensorOverview {
  networkId: string;
  name: string;
  chain: ChainIdentityView | null;
  block: number;
  coldkey: string | null;
  hotkey: string | null;
  balanceText: string | null;
  subnets: SubnetView[];
  /** Our hotkey on every subnet Minerva registered it on or where it holds a UID. */
  neurons: NeuronView[];
  /**
   * Hotkeys the wallet retired (rotation) that still hold UIDs on this chain: the chain side of the
   * rotation is a `swap_hotkey` signed by the coldkey, which the miner confirms (it costs TAO).
   */
  swaps: { oldHotkey: string; newHotkey: string; uids: { netuid: number; uid: number }[] }[];
  /** A proof-of-work registration in progress (at most one), or null. */
  pow: PowProgress | null;
}

export interface PowProgress {
  netuid: number;
  state: 'solving' | 'sending' | 'registered' | 'failed' | 'cancelled';
  /** Attempts so far, and the expected number (the subnet's difficulty); a solve may take more or fewer. */
  attempts: number;
  expected: string;
  /** 0..1: attempts / expected, capped below 1 until solved (an estimate, not a promise). */
  fraction: number;
  /** In words, e.g. "Solving: 1.2 million of about 10 million attempts" or the error. */
  detail: string;
  uid: number | null;
  blockNumber: number | null;
}

export interface ServeQuote {
  netuid: number;
  hotkey: string;
  /** "ip:port" as it will be published. */
  address: string;
  fee: string;
  feeText: string;
  balanceText: string;
}

export interface SwapQuote {
  oldHotkey: string;
  newHotkey: string;
  uids: { netuid: number; uid: number }[];
  /** The swap cost the chain takes from the coldkey (rao), beside the fee. */
  cost: string;
  costText: string;
  feeText: string;
  totalText: string;
  balanceText: string;
}

export interface RegisterQuote {
  netuid: number;
  hotkey: string;
  coldkey: string;
  burn: string;
  burnText: string;
  fee: string;
  feeText: string;
  totalText: string;
  balanceText: string;
}

export interface ChainReceiptView {
  action: string;
  blockNumber: number;
  blockHash: string;
  txHash: string;
  feePaidText: string | null;
}

const netuid = z.number().int().min(0).max(65_535);
const ip = z.string().trim().min(2).max(45);
const port = z.number().int().min(1).max(65_535);
const ss58 = z.string().trim().regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, 'an SS58 address');
const rao = (what: string) => z.string().regex(/^\d{1,30}$/, what);

export const bittensorMethods = {
  'bittensor.overview': method<BittensorOverview>()({ input: z.object({}).strict(), summary: 'The selected Bittensor network: balance, subnets with their burn cost, our hotkey in the metagraph and its commitment.' }),
  'bittensor.quoteRegister': method<RegisterQuote>()({
    input: z.object({ netuid }).strict(),
    summary: 'What registering the active hotkey on a subnet by burn costs (burn + fee), checked against the balance; nothing is signed.',
  }),
  'bittensor.register': method<ChainReceiptView & { netuid: number; uid: number }>()({
    input: z.object({ netuid, maxBurn: z.string().regex(/^\d{1,30}$/, 'the burn you confirmed, in rao') }).strict(),
    summary: 'Registers the active hotkey on a subnet by burn (signed by the coldkey; the wallet must be unlocked). Refused when the burn rose above the one confirmed.',
  }),
  'bittensor.commit': method<ChainReceiptView & { netuid: number }>()({
    input: z.object({ netuid, sha256: z.string().trim().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'a SHA-256 hash: 64 hex digits') }).strict(),
    summary: 'Publishes a SHA-256 hash as the hotkey’s commitment on a subnet (Commitments.set_commitment, signed by the hotkey).',
  }),
  'bittensor.quoteServeAxon': method<ServeQuote>()({
    input: z.object({ netuid, ip, port }).strict(),
    summary: 'Checks an axon address (loopback, private and reserved addresses are refused in words) and prices serve_axon; nothing is signed.',
  }),
  'bittensor.serveAxon': method<ChainReceiptView & { netuid: number; axon: string }>()({
    input: z.object({ netuid, ip, port }).strict(),
    summary: 'Publishes the axon address of the active hotkey on a subnet (SubtensorModule.serve_axon, signed by the hotkey), then reads it back from Axons.',
  }),
  'bittensor.quoteSwapHotkey': method<SwapQuote>()({
    input: z.object({ oldHotkey: ss58 }).strict(),
    summary: 'What moving the UIDs of a retired hotkey to the active one costs (swap cost + fee), checked against the balance; nothing is signed.',
  }),
  'bittensor.swapHotkey': method<ChainReceiptView & { newHotkey: string; uids: { netuid: number; uid: number }[] }>()({
    input: z.object({ oldHotkey: ss58, maxCost: rao('the swap cost you confirmed, in rao') }).strict(),
    summary: 'Moves a retired hotkey’s UIDs to the active hotkey (SubtensorModule.swap_hotkey, signed by the coldkey).',
  }),
  'bittensor.powRegister': method<ChainReceiptView & { netuid: number; uid: number }>()({
    input: z.object({ netuid }).strict(),
    summary: 'Registers the active hotkey on a subnet by proof of work (solved on a worker thread, progress in bittensor.powProgressed; cancellable), signed by the hotkey. Burns nothing.',
  }),
  'bittensor.cancelPow': method<{ cancelled: boolean }>()({ input: z.object({}).strict(), summary: 'Stops the proof-of-work registration in progress; nothing is sent.' }),
};

export const bittensorEvents = {
  'bittensor.powProgressed': event<PowProgress>('A proof-of-work registration made progress, was sent, ended or was cancelled.'),
};
