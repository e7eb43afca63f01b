import { z } from 'zod';
import type { NeuronView } from './bittensor';
import { event, method } from './define';

/** Rewards from the chain's ledger for this miner's coldkey, and why it may not be earning. */
export interface RewardEntry {
  /** When the chain paid it (iso, from the block's time). */
  at: string;
  block: number;
  competitionId: string;
  /** Decimal string in whole tokens (e.g. "1.25"). */
  amount: string;
}

export interface ChecklistItem {
  id: 'network' | 'wallet' | 'joined' | 'registered' | 'worker' | 'activity' | 'earning' | 'axon';
  /** null: cannot tell right now. */
  ok: boolean | null;
  label: string;
  detail: string;
  fix: { label: string; href: string } | null;
}

export type RewardsRange = 'day' | 'week';

/**
 * Was the work of a joined competition paid? Over the last few epochs (at most a day): `paid`
 * (the chain paid something), `unpaid` (work old enough to be paid, nothing paid: "work done,
 * nothing paid"), `waiting` (only work too recent to be paid yet), `idle` (no work).
 */
export interface EarningVerdict {
  competitionId: string;
  title: string;
  kind: string;
  state: 'paid' | 'unpaid' | 'waiting' | 'idle';
  /** The verdict in words, with the numbers. */
  words: string;
  /** For `unpaid`: what to do next, in words. */
  next: string | null;
  fix: { label: string; href: string } | null;
}

/** One row of the Rewards table: every joined competition, and any other that paid in the range. */
export interface CompetitionEarnings {
  competitionId: string;
  title: string;
  /** The competition's kind (null when the catalogue no longer lists it). */
  kind: string | null;
  joined: boolean;
  /** Whole tokens paid in the range (decimal string; "0" when nothing). */
  amount: string;
  /** The work done in the range, in words ("172 jobs reported"); null when this kind reports none. */
  work: { count: number; words: string } | null;
}

export interface RewardsView {
  networkId: string;
  symbol: string;
  /** The coldkey's balance (decimal string), null while it cannot be read. */
  balance: string | null;
  coldkey: string | null;
  range: RewardsRange;
  entries: RewardEntry[];
  perCompetition: CompetitionEarnings[];
  checklist: ChecklistItem[];
  /** Per joined competition: was its work paid? (empty while the chain cannot be read) */
  earning: EarningVerdict[];
  /** On a Bittensor network: our hotkey in the metagraph of every subnet it is (or was) on; null elsewhere. */
  metagraph: NeuronView[] | null;
  updatedAt: string;
  error: string | null;
}

export const rewardsMethods = {
  'rewards.get': method<RewardsView>()({
    input: z.object({ range: z.enum(['day', 'week']).default('day') }).strict(),
    summary: 'Balance, rewards over the range, per competition, and the earning checklist.',
  }),
};

export const rewardsEvents = {
  'rewards.changed': event<{ networkId: string; block: number }>('The chain paid this miner (or its balance changed).'),
};
