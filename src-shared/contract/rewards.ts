import { z } from 'zod';
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
  id: 'network' | 'wallet' | 'joined' | 'registered' | 'worker' | 'activity';
  /** null: cannot tell right now. */
  ok: boolean | null;
  label: string;
  detail: string;
  fix: { label: string; href: string } | null;
}

export type RewardsRange = 'day' | 'week';

export interface RewardsView {
  networkId: string;
  symbol: string;
  /** The coldkey's balance (decimal string), null while it cannot be read. */
  balance: string | null;
  coldkey: string | null;
  range: RewardsRange;
  entries: RewardEntry[];
  perCompetition: { competitionId: string; title: string; amount: string }[];
  checklist: ChecklistItem[];
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
