import { isAppError } from '@shared/contract/errors';
import type { ChecklistItem, CompetitionEarnings, EarningVerdict, RewardsRange, RewardsView } from '@shared/contract/rewards';
import type { CompetitionsApi } from '../competitions/competitions.feature';
import type { MinerKeys } from '../competitions/competitions.service';
import type { MembershipRow } from '../competitions/memberships.repo';
import type { CompetitionView } from '@shared/contract/competitions';
import type { ScopedLogger } from '../log/logger';
import type { NetworkClient } from '../network/client';
import type { ActiveNetwork } from '../network/networks.service';
import type { WorkDone } from '../module-deps';
import { earningChecklistItem, earningVerdict, earningWindows } from './earning';
import { bittensorChecklist } from './bittensor-checklist';
import type { NeuronView } from '@shared/contract/bittensor';
import { sumAmounts } from '@shared/format/amount';

/** Whether a competition's worker runs; later features (jobs, runner, checkpoints) report here. */
export type WorkerStatus = (competitionId: string, kind: string) => { running: boolean; detail: string };

export interface RewardsDeps {
  log: ScopedLogger;
  activeNetwork: () => Promise<ActiveNetwork & { name: string }>;
  clientFor: (network: ActiveNetwork) => NetworkClient;
  keys: () => MinerKeys | undefined;
  competitions: CompetitionsApi;
  workerStatus: WorkerStatus;
  /** The miner's latest job or submission, in words (null ok: nothing to judge yet). */
  /** The latest work of any kind, and the page (`#/…`) that shows it. */
  lastActivity: () => { ok: boolean | null; detail: string; href: string };
  /** Work done for a competition in [since, until) by the feature of its kind (null: that kind reports none). */
  workDone: (networkId: string, competitionId: string, kind: string, since: Date, until: Date) => WorkDone | null;
  now: () => Date;
  /** On a Bittensor network: our hotkey in the metagraph (null on other kinds). */
  bittensorStanding?: () => Promise<{ networkName: string; hotkey: string | null; neurons: NeuronView[] } | null>;
}

const RANGE_MS: Record<RewardsRange, number> = { day: 86_400_000, week: 7 * 86_400_000 };
/** Block time assumed when a network does not say (Bittensor's 12 s). */
const DEFAULT_BLOCK_MS = 12_000;

/** Balance and rewards from the chain's ledger, and the "why am I not earning?" checklist. */
export class RewardsService {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastBlock = -1;

  constructor(private readonly deps: RewardsDeps) {}

  /**
   * Watches the ledger for new payments to this miner's coldkey and calls `onPaid` with the
   * newest block paid, so the Rewards page updates live. Quiet while there is nothing to watch.
   */
  watch(onPaid: (change: { networkId: string; block: number }) => void, everyMs = 5000): void {
    const tick = async () => {
      let coldkey: string | null = null;
      try {
        coldkey = this.deps.keys()?.coldkeyAddress() ?? null;
      } catch {
        return; // locked before the first unlock
      }
      if (!coldkey) return;
      try {
        const network = await this.deps.activeNetwork();
        const since = new Date(this.deps.now().getTime() - RANGE_MS.day);
        const entries = await this.deps.clientFor(network).rewards(coldkey, since);
        const newest = entries.reduce((max, e) => Math.max(max, e.block), -1);
        if (newest > this.lastBlock) {
          if (this.lastBlock >= 0) onPaid({ networkId: network.id, block: newest });
          this.lastBlock = newest;
        }
      } catch {
        // the checklist explains an unreachable network; the watcher just tries again
      }
    };
    this.timer = setInterval(() => void tick(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async get(range: RewardsRange): Promise<RewardsView> {
    const now = this.deps.now();
    const keys = this.deps.keys();
    const checklist: ChecklistItem[] = [];
    let network: (ActiveNetwork & { name: string }) | undefined;
    try {
      network = await this.deps.activeNetwork();
      checklist.push({ id: 'network', ok: true, label: 'Connected to a network', detail: `Working on ${network.name}.`, fix: null });
    } catch (error) {
      checklist.push({ id: 'network', ok: false, label: 'Connected to a network', detail: words(error), fix: { label: 'Check the network', href: '#/settings' } });
    }

    const unlocked = keys?.isUnlocked() ?? false;
    let coldkey: string | null = null;
    try {
      coldkey = keys?.coldkeyAddress() ?? null;
    } catch {
      coldkey = null; // locked before the first unlock: addresses are not known yet
    }
    checklist.push(
      !keys
        ? { id: 'wallet', ok: false, label: 'Wallet ready', detail: 'You have no wallet yet.', fix: { label: 'Create or import one', href: '#/wallet' } }
        : unlocked
          ? { id: 'wallet', ok: true, label: 'Wallet unlocked', detail: 'Your keys can sign work.', fix: null }
          : { id: 'wallet', ok: false, label: 'Wallet unlocked', detail: 'Work pauses while your wallet is locked.', fix: { label: 'Unlock it', href: '#/wallet' } },
    );

    const empty: RewardsView = { networkId: network?.id ?? '', symbol: 'tokens', balance: null, coldkey, range, entries: [], perCompetition: [], checklist, earning: [], metagraph: null, updatedAt: now.toISOString(), error: null };
    if (!network) return empty;

    const client = this.deps.clientFor(network);
    if (network.kind === 'bittensor' && this.deps.bittensorStanding) return this.onBittensor(empty, client, now);
    const catalogue = (await this.deps.competitions.list(false)).competitions;
    const memberships = (await this.deps.competitions.activeMemberships()).filter((m) => m.state === 'joined');
    checklist.push(
      memberships.length > 0
        ? { id: 'joined', ok: true, label: 'Joined a competition', detail: `${memberships.length} joined.`, fix: null }
        : { id: 'joined', ok: false, label: 'Joined a competition', detail: 'Rewards come from competitions you join.', fix: { label: 'Browse competitions', href: '#/competitions' } },
    );

    if (memberships.length > 0) checklist.push(...(await this.membershipChecks(memberships, catalogue, client, currentHotkeys(keys))));
    const activity = this.deps.lastActivity();
    checklist.push({ id: 'activity', ok: activity.ok, label: 'Last job or submission', detail: activity.detail, fix: activity.ok === false ? { label: 'See why', href: activity.href } : null });

    const { balance, symbol, entries, error } = await this.paid(coldkey, range, now, client, catalogue[0]?.rewards.symbol ?? 'tokens');
    const title = (id: string): string => catalogue.find((c) => c.id === id)?.title ?? id;
    // Every joined competition has a row (its work and what it earned), and so has any other that paid.
    const rangeStart = new Date(now.getTime() - RANGE_MS[range]);
    const rows = new Map<string, CompetitionEarnings>();
    for (const m of memberships) {
      const work = this.deps.workDone(network.id, m.competitionId, m.kind, rangeStart, now);
      rows.set(m.competitionId, { competitionId: m.competitionId, title: title(m.competitionId), kind: m.kind, joined: true, amount: '0', work: work && { count: work.count, words: `${work.count} ${work.count === 1 ? work.one : work.many}` } });
    }
    // Summed as decimal strings: a Number would print a tiny payment as "1e-7".
    const paidTo = new Map<string, string[]>();
    for (const e of entries) paidTo.set(e.competitionId, [...(paidTo.get(e.competitionId) ?? []), e.amount]);
    for (const [competitionId, amounts] of paidTo) {
      const row = rows.get(competitionId) ?? { competitionId, title: title(competitionId), kind: catalogue.find((c) => c.id === competitionId)?.kind ?? null, joined: false, amount: '0', work: null };
      rows.set(competitionId, { ...row, amount: sumAmounts(amounts) });
    }
    let earning: EarningVerdict[] = [];
    if (coldkey && error === null && memberships.length > 0) {
      earning = await this.earning(network.id, memberships, catalogue, client, entries, now, symbol);
      checklist.push(earningChecklistItem(earning));
    }
    return { ...empty, symbol, balance, entries, perCompetition: [...rows.values()], checklist, earning, error };
  }

  /**
   * A Bittensor network has no competitions in Minerva yet: emission accrues as stake on the
   * hotkey, so the page shows the metagraph and the checklist asks the chain's own questions.
   */
  private async onBittensor(empty: RewardsView, client: NetworkClient, now: Date): Promise<RewardsView> {
    const { balance, symbol, error } = await this.paid(empty.coldkey, empty.range, now, client, 'TAO');
    try {
      const standing = await this.deps.bittensorStanding?.();
      if (!standing) return { ...empty, symbol, balance, error };
      return { ...empty, symbol, balance, error, checklist: [...empty.checklist, ...bittensorChecklist(standing.networkName, standing.hotkey, standing.neurons)], metagraph: standing.neurons };
    } catch (e) {
      this.deps.log.warn('metagraph read failed', { error: e });
      return { ...empty, symbol, balance, error: error ?? `The metagraph could not be read from the chain: ${words(e)}` };
    }
  }

  /** "Work done, nothing paid": per joined competition, its work over the last epochs against what the chain paid for it. */
  private async earning(networkId: string, memberships: MembershipRow[], catalogue: CompetitionView[], client: NetworkClient, entries: RewardsView['entries'], now: Date, symbol: string): Promise<EarningVerdict[]> {
    let blockMs = DEFAULT_BLOCK_MS;
    try {
      blockMs = (await client.blockTimeMs?.()) ?? DEFAULT_BLOCK_MS;
    } catch {
      // the chain answered the ledger a moment ago; a missing block time falls back to the default
    }
    const verdicts: EarningVerdict[] = [];
    for (const m of memberships) {
      const entry = catalogue.find((c) => c.id === m.competitionId);
      const epochMs = Math.max(1, entry?.rewards.epochBlocks ?? 1) * blockMs;
      const { since, payableUntil } = earningWindows(epochMs, now.getTime());
      const paid = sumAmounts(entries.filter((e) => e.competitionId === m.competitionId && Date.parse(e.at) >= since).map((e) => e.amount));
      verdicts.push(
        earningVerdict({
          competitionId: m.competitionId,
          title: entry?.title ?? m.competitionId,
          kind: m.kind,
          epochMs,
          payableWork: this.deps.workDone(networkId, m.competitionId, m.kind, new Date(since), new Date(payableUntil)),
          recentWork: this.deps.workDone(networkId, m.competitionId, m.kind, new Date(payableUntil), now),
          paid,
          symbol,
        }),
      );
    }
    return verdicts;
  }

  /** Is the hotkey of every joined competition still registered, and is every worker running? */
  private async membershipChecks(memberships: MembershipRow[], catalogue: CompetitionView[], client: NetworkClient, current: Set<string> | null): Promise<ChecklistItem[]> {
    const checklist: ChecklistItem[] = [];
    const problems: string[] = [];
    for (const m of memberships) {
      const entry = catalogue.find((c) => c.id === m.competitionId);
      const title = entry?.title ?? m.competitionId;
      // issue 16: a membership of a retired hotkey is not "current", even while the chain still knows it
      if (current && !current.has(m.hotkey)) {
        problems.push(`${title}: joined with a retired hotkey (${m.hotkey.slice(0, 8)}…), not your current one; join again with the current hotkey`);
        continue;
      }
      try {
        if (!(await client.isRegistered(m.competitionId, m.hotkey))) problems.push(`${title}: the hotkey you joined with is not registered any more`);
      } catch (error) {
        problems.push(`${title}: ${words(error)}`);
      }
    }
    checklist.push(
      problems.length === 0
        ? { id: 'registered', ok: true, label: 'Hotkey registered and current', detail: 'The chain knows the hotkey of every competition you joined.', fix: null }
        : { id: 'registered', ok: false, label: 'Hotkey registered and current', detail: `${problems.join('; ')}.`, fix: { label: 'Join again', href: '#/competitions' } },
    );
    const stopped = memberships.map((m) => ({ m, s: this.deps.workerStatus(m.competitionId, m.kind) })).filter(({ s }) => !s.running);
    checklist.push(
      stopped.length === 0
        ? { id: 'worker', ok: true, label: 'Worker running', detail: 'Every competition you joined has its worker running.', fix: null }
        : { id: 'worker', ok: false, label: 'Worker running', detail: stopped.map(({ s }) => s.detail).join(' '), fix: null },
    );
    return checklist;
  }

  /** The balance and the payments of the range; a chain that cannot be read is said in words. */
  private async paid(coldkey: string | null, range: RewardsRange, now: Date, client: NetworkClient, fallbackSymbol: string): Promise<{ balance: string | null; symbol: string; entries: RewardsView['entries']; error: string | null }> {
    if (!coldkey) return { balance: null, symbol: fallbackSymbol, entries: [], error: null };
    try {
      const since = new Date(now.getTime() - RANGE_MS[range]);
      const [b, paid] = await Promise.all([client.balance(coldkey), client.rewards(coldkey, since)]);
      return { balance: b.amount, symbol: b.symbol, entries: paid, error: null };
    } catch (e) {
      this.deps.log.warn('rewards read failed', { error: e });
      return { balance: null, symbol: fallbackSymbol, entries: [], error: `Your balance could not be read from the chain: ${words(e)}` };
    }
  }
}

function words(error: unknown): string {
  return isAppError(error) ? error.message : error instanceof Error ? error.message : String(error);
}

/** The wallet's active hotkey and checkpoint signer addresses; null while they are not known (locked since start). */
function currentHotkeys(keys: { hotkey(scheme: 'sr25519' | 'ed25519'): { address: string } } | undefined): Set<string> | null {
  if (!keys) return null;
  const out = new Set<string>();
  for (const scheme of ['sr25519', 'ed25519'] as const) {
    try {
      out.add(keys.hotkey(scheme).address);
    } catch {
      // this scheme has no key, or the addresses are not known yet
    }
  }
  return out.size > 0 ? out : null;
}
