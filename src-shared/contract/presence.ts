import { z } from 'zod';
import type { HostKind } from './app';
import { event, method } from './define';

/**
 * Presence (issue 17 part 4): what the tray / menu-bar icon and `minerva status` show, computed
 * once in core so they agree. Lock state and counts only — never a key.
 *
 * - `mining`: the work keys are in memory (wallet unlocked, or locked in mining mode) and at
 *   least one competition is joined (or being joined).
 * - `paused`: the wallet is locked with no key in memory: jobs wait for the password.
 * - `idle`: the keys are ready but no competition is joined.
 * - `no-wallet`: no wallet yet (or its file is damaged).
 */
export type PresenceState = 'mining' | 'paused' | 'idle' | 'no-wallet';

export interface PresenceView {
  host: HostKind;
  state: PresenceState;
  /** The state in one short line ("Mining — 2 competitions"). */
  headline: string;
  /** What to do next, in words, when not mining; null while mining. */
  next: string | null;
  /** The work keys are in memory, so "Pause mining" (`vault.lock` with keepMining false) can drop them. */
  workKeysInMemory: boolean;
  walletUnlocked: boolean;
  /** The selected network's name; null while it cannot be read. */
  networkName: string | null;
  competitions: { joined: number; joining: number; failed: number };
  /** Paid to this miner's coldkey in the last 24 hours (whole tokens); null while it cannot be read. */
  earnedToday: { amount: string; symbol: string } | null;
  updatedAt: string;
}

export const presenceMethods = {
  'presence.get': method<PresenceView>()({
    input: z.object({}).strict(),
    summary: 'Mining state, competitions and earnings of the last 24 hours in one view (the tray icon and minerva status).',
  }),
};

export const presenceEvents = {
  'presence.changed': event<PresenceView>('The mining state, the competitions or the earnings of the tray changed.'),
};
