import type { MembershipState } from '@shared/contract/competitions';
import type { PresenceView } from '@shared/contract/presence';
import type { RewardsView } from '@shared/contract/rewards';
import type { VaultStatus } from '@shared/contract/vault';
import { defineFeature, type FeatureContext } from '../kernel/feature';
import type { CallContext } from '../rpc/handlers';
import { presenceOf } from './presence';

/** How long presence waits for the earnings (a chain that does not answer must not hold up the tray). */
const EARNINGS_TIMEOUT_MS = 4_000;
/** Changes arriving together (a lock drops keys, stops workers, changes memberships) make one update. */
const SETTLE_MS = 300;
/** "Earned in the last 24 hours" slides with the clock: looked at again this often. */
const REFRESH_MS = 60_000;

/**
 * Presence (issue 17 part 4): the mining state, the competitions and the earnings of the last 24
 * hours in one view, for the tray / menu-bar icon and `minerva status`, so both say the same.
 * Read from the other features as the UI reads them (their contract handlers and APIs); pushed
 * as `presence.changed` when it changes.
 */
export const presenceFeature = defineFeature({
  name: 'presence',
  create(ctx) {
    const networks = ctx.use('networks');
    const competitions = ctx.use('competitions');
    let last: PresenceView | undefined;
    let timer: NodeJS.Timeout | undefined;
    let refresh: NodeJS.Timeout | undefined;
    let closed = false;
    // Its own reads go through the handlers as a caller of this host would.
    const self: CallContext = { transport: ctx.host.info.host, clientId: 'presence' };
    const offs: (() => void)[] = [];

    const read = async (): Promise<PresenceView> => {
      const [wallet, memberships, networkName, paid] = await Promise.all([walletOf(ctx, self), membershipStates(competitions), nameOf(networks), earnings(ctx, self)]);
      return presenceOf({ host: ctx.host.info.host, wallet, memberships, networkName, paid, now: ctx.now() });
    };
    const update = async (): Promise<void> => {
      const next = await read();
      if (closed || (last && same(last, next))) return;
      last = next;
      ctx.ui.emit('presence.changed', next);
    };
    const soon = (): void => {
      if (closed) return;
      clearTimeout(timer);
      timer = setTimeout(() => void update().catch((error: unknown) => ctx.log.debug('presence not updated', { error })), SETTLE_MS);
      timer.unref?.();
    };

    return {
      handlers: { 'presence.get': () => read() },
      start() {
        offs.push(
          ctx.gate.onChange(soon),
          ctx.domain.on('competitions.changed', soon),
          ctx.domain.on('networks.changed', soon),
          ctx.domain.on('rewards.paid', soon),
        );
        refresh = setInterval(soon, REFRESH_MS);
        refresh.unref?.();
        soon();
      },
      close() {
        closed = true;
        clearTimeout(timer);
        clearInterval(refresh);
        offs.splice(0).forEach((off) => off());
      },
    };
  },
});

function same(a: PresenceView, b: PresenceView): boolean {
  return JSON.stringify({ ...a, updatedAt: '' }) === JSON.stringify({ ...b, updatedAt: '' });
}

async function walletOf(ctx: Pick<FeatureContext<unknown>, 'handlers'>, caller: CallContext): Promise<Pick<VaultStatus, 'state' | 'mining'>> {
  const { status } = await ctx.handlers()['vault.status']({}, caller);
  return { state: status.state, mining: status.mining };
}

async function membershipStates(competitions: { activeMemberships(): Promise<{ state: MembershipState }[]> }): Promise<MembershipState[] | null> {
  try {
    return (await competitions.activeMemberships()).map((m) => m.state);
  } catch {
    return null; // the network is not up yet
  }
}

async function nameOf(networks: { activeNamed(): Promise<{ name: string }> }): Promise<string | null> {
  try {
    return (await networks.activeNamed()).name;
  } catch {
    return null;
  }
}

/** The last 24 hours' payments, through `rewards.get` as the Rewards page reads them; null when unknown. */
async function earnings(ctx: Pick<FeatureContext<unknown>, 'handlers'>, caller: CallContext): Promise<{ amounts: string[]; symbol: string } | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const view = Promise.resolve<RewardsView>(ctx.handlers()['rewards.get']({ range: 'day' }, caller));
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), EARNINGS_TIMEOUT_MS)));
    const rewards = await Promise.race([view, late]);
    if (!rewards || rewards.error || !rewards.coldkey || !rewards.networkId) return null;
    return { amounts: rewards.perCompetition.map((c) => c.amount), symbol: rewards.symbol };
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
