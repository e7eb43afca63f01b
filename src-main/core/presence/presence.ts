import type { HostKind } from '@shared/contract/app';
import type { MembershipState } from '@shared/contract/competitions';
import type { PresenceState, PresenceView } from '@shared/contract/presence';
import type { VaultState } from '@shared/contract/vault';
import { sumAmounts } from '@shared/format/amount';

/** What presence is computed from (each read by the feature through another feature's API or contract handler). */
export interface PresenceInputs {
  host: HostKind;
  wallet: { state: VaultState; mining: boolean };
  /** States of this network's memberships; null while they cannot be read. */
  memberships: readonly MembershipState[] | null;
  networkName: string | null;
  /** Amounts paid in the last 24 hours (decimal strings) and the unit; null while unknown. */
  paid: { amounts: readonly string[]; symbol: string } | null;
  now: Date;
}

/**
 * The tray's and `minerva status`'s view of the app, from its inputs (pure: the same inputs give
 * the same words). See `PresenceState` for what each state means.
 */
export function presenceOf(i: PresenceInputs): PresenceView {
  const walletUnlocked = i.wallet.state === 'unlocked';
  const workKeysInMemory = walletUnlocked || i.wallet.mining;
  const states = i.memberships ?? [];
  const competitions = {
    joined: states.filter((s) => s === 'joined').length,
    joining: states.filter((s) => s === 'joining').length,
    failed: states.filter((s) => s === 'failed').length,
  };
  const active = competitions.joined + competitions.joining;
  const state: PresenceState =
    i.wallet.state === 'missing' || i.wallet.state === 'corrupt' ? 'no-wallet' : !workKeysInMemory ? 'paused' : active === 0 ? 'idle' : 'mining';
  const { headline, next } = words(state, i.wallet.state, competitions);
  return {
    host: i.host,
    state,
    headline,
    next,
    workKeysInMemory,
    walletUnlocked,
    networkName: i.networkName,
    competitions,
    earnedToday: i.paid ? { amount: sumAmounts(i.paid.amounts), symbol: i.paid.symbol } : null,
    updatedAt: i.now.toISOString(),
  };
}

function words(state: PresenceState, wallet: VaultState, c: PresenceView['competitions']): { headline: string; next: string | null } {
  switch (state) {
    case 'no-wallet':
      return wallet === 'corrupt'
        ? { headline: 'Wallet damaged', next: 'Open Minerva and restore the wallet from its backup.' }
        : { headline: 'Not set up', next: 'Open Minerva and create or import a wallet.' };
    case 'paused':
      return { headline: 'Mining paused — wallet locked', next: 'Unlock the wallet with your password to mine again.' };
    case 'idle':
      return { headline: 'Not mining', next: 'Join a competition to start mining.' };
    case 'mining': {
      const joined = `${c.joined} competition${c.joined === 1 ? '' : 's'}`;
      return { headline: c.joining > 0 ? `Mining — ${joined}, ${c.joining} joining` : `Mining — ${joined}`, next: null };
    }
  }
}
