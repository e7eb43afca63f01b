import { z } from 'zod';
import type { ChainIdentityView } from './networks';
import { method } from './define';

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
};
