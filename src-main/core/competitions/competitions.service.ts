import { createHash, randomUUID } from 'node:crypto';
import { AppError, isAppError } from '@shared/contract/errors';
import { TERMINAL_SUBMISSION_STATUSES, type ChallengeSubmissionView, type CompetitionView, type CompetitionsView, type MembershipView } from '@shared/contract/competitions';
import type { NetworksView } from '@shared/contract/networks';
import type { AuditRepo } from '../db/audit.repo';
import type { Db } from '../db/open';
import type { ScopedLogger } from '../log/logger';
import type { CatalogueEntry, KeySigner, NetworkClient } from '../network/client';
import type { ActiveNetwork } from '../network/networks.service';
import type { FlowEngine, FlowHandle, FlowStore } from '../kernel/flow-engine';
import type { CompetitionsConfig } from './competitions.config';
import { joinSteps, leaveSteps, membershipFlow, membershipId } from './membership.flow';
import { CatalogueCacheRepo, MembershipsRepo, type MembershipRow } from './memberships.repo';
import { SubmissionsRepo, submissionView, type SubmissionRow } from './submissions.repo';
import { submissionStatusFlow } from './submission-status.flow';

/** Submissions per challenge in the view (the newest); older ones stay in the database. */
const SUBMISSIONS_SHOWN = 5;

/** The miner's keys as the join flow needs them; the vault provides it and never hands out a key. */
export interface MinerKeys {
  isUnlocked(): boolean;
  /** The active hotkey for a scheme: sr25519 → hotkey N; ed25519 → the checkpoint signer. Throws VAULT_LOCKED. */
  hotkey(scheme: 'sr25519' | 'ed25519'): KeySigner;
  coldkeyAddress(): string | null;
  /** EIP-191 personal_sign by the EOA (PROTOCOLS §2.9). Throws VAULT_LOCKED. */
  eoaSign(message: string): { address: string; signature: string };
  /** A rotation of the sr25519 hotkey (role 'hotkey'); the new one is active when this fires. */
  onHotkeyRotated(listener: () => void): () => void;
}

export interface CompetitionsDeps {
  db: Db;
  audit: AuditRepo;
  log: ScopedLogger;
  activeNetwork: () => Promise<ActiveNetwork>;
  clientFor: (network: ActiveNetwork) => NetworkClient;
  keys: () => MinerKeys | undefined;
  /**
   * Hotkey rotations, also of a wallet made after start (keys() is undefined until a wallet
   * exists, so subscribing through it at start missed every rotation of a new miner: issue 16).
   */
  onHotkeyRotated?: (listener: () => void) => () => void;
  /** The work keys became usable (unlock, mining resumed): a rotation made elsewhere is caught up. */
  onKeysUsable?: (listener: () => void) => () => void;
  now: () => Date;
  onChange: (view: CompetitionsView) => void;
  /** The kernel's flow engine: joins and leaves run on it (membership.flow.ts). */
  flows: Pick<FlowEngine, 'register'>;
  config: CompetitionsConfig;
}

/**
 * The competitions of the active network (a cached catalogue) and the miner's memberships. A join
 * or leave is a request that writes the membership row and starts its flow; the flow itself
 * (register → join, or leave) is membership.flow.ts, run by the kernel's flow engine.
 */
export class CompetitionsService {
  private readonly memberships: MembershipsRepo;
  private readonly cache: CatalogueCacheRepo;
  private readonly store: FlowStore<MembershipRow>;
  private readonly flow: FlowHandle<MembershipRow>;
  private readonly submissions: SubmissionsRepo;
  private readonly statusFlow: FlowHandle<SubmissionRow>;
  private readonly background = new Set<Promise<unknown>>();
  /** The chain's block time per network, once read (epochs and phases in time as well as blocks). */
  private readonly blockMs = new Map<string, number>();
  private lastError: string | null = null;
  private closed = false;
  /** The network whose submissions were last followed (the selected one), and the followed runs to look at again once they end. */
  private selectedNetwork: string | null = null;
  private readonly lookAgain = new Set<string>();
  /** Networks whose cached catalogue no longer matches their settings (`networkConfigured`). */
  private readonly outdated = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: CompetitionsDeps) {
    this.memberships = new MembershipsRepo(deps.db);
    this.cache = new CatalogueCacheRepo(deps.db);
    this.store = this.memberships.flowStore(deps.now);
    this.flow = deps.flows.register(
      membershipFlow({
        store: this.store,
        log: deps.log,
        config: deps.config,
        now: deps.now,
        activeNetwork: deps.activeNetwork,
        entry: (id) => this.entry(id),
        clientFor: deps.clientFor,
        keys: () => this.requireKeys(),
        onChanged: (rows) => this.flowChanged(rows),
      }),
    );
    this.submissions = new SubmissionsRepo(deps.db);
    this.statusFlow = deps.flows.register(
      submissionStatusFlow({
        store: this.submissions.flowStore(deps.now),
        log: deps.log,
        config: deps.config,
        activeNetwork: deps.activeNetwork,
        entry: (network, id) => this.entryOn(network, id),
        clientFor: deps.clientFor,
        onChanged: (rows) => {
          for (const networkId of new Set(rows.map((r) => r.networkId))) this.changed(networkId);
        },
      }),
    );
  }

  /** Resumes the active network's flows a previous run left unfinished (crash, restart, locked wallet). */
  async start(): Promise<void> {
    const onRotated = this.deps.onHotkeyRotated ?? this.deps.keys()?.onHotkeyRotated.bind(this.deps.keys());
    if (onRotated) this.unsubscribe.push(onRotated(() => void this.rejoinAfterRotation()));
    // a rotation while the app was not running (`minerva wallet rotate`) is caught up here and at the unlock
    if (this.deps.onKeysUsable) this.unsubscribe.push(this.deps.onKeysUsable(() => void this.rejoinAfterRotation()));
    void this.rejoinAfterRotation();
    try {
      const network = await this.deps.activeNetwork();
      this.flow.resume((row) => row.networkId === network.id);
      this.followSubmissions(network.id);
    } catch (error) {
      this.deps.log.warn('memberships not resumed: no active network', { error });
    }
  }

  /**
   * After a hotkey rotation, every competition joined with the sr25519 hotkey is joined again with
   * the new one: the same flow (register, then signed join), shown with its steps.
   */
  private async rejoinAfterRotation(): Promise<void> {
    try {
      const keys = this.deps.keys();
      if (!keys?.isUnlocked()) return;
      let current: string;
      try {
        current = keys.hotkey('sr25519').address;
      } catch {
        return; // addresses not known yet (locked since start): the next rotation or join catches up
      }
      const network = await this.deps.activeNetwork();
      const catalogue = this.catalogue(network.id);
      for (const row of this.memberships.list(network.id)) {
        const entry = catalogue.find((e) => e.id === row.competitionId);
        if (row.intent !== 'join' || row.state === 'left' || entry?.hotkeyScheme !== 'sr25519' || row.hotkey === current) continue;
        this.deps.log.info('hotkey rotated: joining again with the new hotkey', { competition: row.competitionId, old: row.hotkey });
        await this.join(row.competitionId, 'app');
      }
    } catch (error) {
      this.deps.log.warn('could not rejoin after hotkey rotation', { error });
    }
  }

  /** Stops this feature's flows (they resume at the next start) and its background refreshes. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe.splice(0).forEach((off) => off());
    await this.flow.stop();
    await this.statusFlow.stop();
    await Promise.allSettled([...this.background]);
  }

  // ---- catalogue ----

  /** Never fails for an unreachable network: the view carries the reason, and the last list known. */
  async list(refresh: boolean): Promise<CompetitionsView> {
    let network: ActiveNetwork;
    try {
      network = await this.deps.activeNetwork();
    } catch (error) {
      return { networkId: '', competitions: [], fetchedAt: null, blockMs: null, error: messageOf(error) };
    }
    const cached = this.cache.get(network.id);
    const stale = !cached || this.outdated.has(network.id) || Date.now() - Date.parse(cached.fetchedAt) > this.deps.config.catalogueTtlMs;
    if (refresh || stale) {
      try {
        const client = this.deps.clientFor(network);
        const entries = await client.catalogue();
        const counts = await Promise.all(entries.map((e) => client.participants(e.id).catch(() => null)));
        const withCounts = entries.map((e, i) => ({ ...e, participants: counts[i] ?? null }));
        this.cache.put(network.id, this.deps.now().toISOString(), JSON.stringify(withCounts));
        this.outdated.delete(network.id);
        this.lastError = null;
      } catch (error) {
        this.lastError = `The competitions list could not be loaded: ${messageOf(error)}`;
        this.deps.log.warn('catalogue fetch failed', { network: network.id, error });
      }
    }
    this.followSubmissions(network.id);
    if (!this.blockMs.has(network.id)) {
      const ms = await this.deps
        .clientFor(network)
        .blockTimeMs?.()
        .catch(() => undefined);
      if (ms && ms > 0) this.blockMs.set(network.id, ms);
    }
    return this.viewFor(network.id);
  }

  private catalogue(networkId: string): (CatalogueEntry & { participants: number | null })[] {
    const cached = this.cache.get(networkId);
    return cached ? (JSON.parse(cached.json) as (CatalogueEntry & { participants: number | null })[]) : [];
  }

  private viewFor(networkId: string): CompetitionsView {
    const rows = new Map(this.memberships.list(networkId).map((r) => [r.competitionId, r]));
    const competitions: CompetitionView[] = this.catalogue(networkId).map((e) => ({
      id: e.id,
      netuid: e.netuid,
      slug: e.slug,
      kind: e.kind,
      title: e.title,
      description: e.description,
      requirements: e.requirements,
      rewards: e.rewards,
      rules: e.rules,
      participants: e.participants,
      membership: rows.has(e.id) ? toView(rows.get(e.id) as MembershipRow) : null,
      submissions: e.kind === 'challenge' ? this.submissions.latest(networkId, e.id, SUBMISSIONS_SHOWN).map(submissionView) : [],
    }));
    return { networkId, competitions, fetchedAt: this.cache.get(networkId)?.fetchedAt ?? null, blockMs: this.blockMs.get(networkId) ?? null, error: this.lastError };
  }

  /**
   * A network's settings changed, and a Bittensor network's catalogue follows them (the Connito
   * competition): its cached list is outdated now, whatever its age, and the active network's is
   * fetched again and pushed, so every page (not only the card that changed it) shows the new list.
   */
  networkConfigured(networkId: string): void {
    this.outdated.add(networkId);
    this.refreshSoon(networkId);
  }

  /**
   * The selected network may have changed (networks.changed): its submissions that rested while
   * another network was selected are followed again at once, without waiting for someone to open
   * the Competitions page (`minerva serve` has no page). A practice network that is not up yet is
   * left alone here: its coming up is another networks.changed.
   */
  networkSelected(view: Pick<NetworksView, 'selectedId' | 'practice'>): void {
    if (view.selectedId !== this.selectedNetwork) this.selectedNetwork = null;
    if (view.selectedId === 'practice' && view.practice.state !== 'running' && view.practice.state !== 'attached') return;
    this.followSubmissions(view.selectedId);
  }

  /** After a join or leave, fetch the catalogue again so participant counts follow. */
  private refreshSoon(networkId: string): void {
    if (this.closed) return;
    const work = this.list(true)
      .then((view) => {
        if (view.networkId === networkId && !this.closed) this.deps.onChange(view);
      })
      .catch((error: unknown) => this.deps.log.warn('catalogue refresh failed', { error }))
      .finally(() => this.background.delete(work));
    this.background.add(work);
  }

  private changed(networkId: string): void {
    this.deps.onChange(this.viewFor(networkId));
  }

  /**
   * The engine's batched changes: one view per network that changed (the view carries every
   * membership, so the renderer replaces its copy). A membership that just ended its join or
   * leave also refreshes the catalogue, so participant counts follow.
   */
  private flowChanged(rows: MembershipRow[]): void {
    for (const networkId of new Set(rows.map((r) => r.networkId))) this.changed(networkId);
    for (const networkId of new Set(rows.filter((r) => r.state === 'joined' || r.state === 'left').map((r) => r.networkId))) this.refreshSoon(networkId);
  }

  // ---- join / leave ----

  async join(competitionId: string, actor: 'user' | 'app' = 'user'): Promise<MembershipView> {
    const { network, entry } = await this.entry(competitionId);
    const keys = this.requireKeys();
    const hotkey = keys.hotkey(entry.hotkeyScheme);
    const existing = this.memberships.get(network.id, competitionId);
    if (existing && existing.intent === 'join' && existing.hotkey === hotkey.address && (existing.state === 'joined' || existing.state === 'joining')) {
      return toView(existing);
    }
    const row: MembershipRow = {
      networkId: network.id,
      competitionId,
      kind: entry.kind,
      hotkey: hotkey.address,
      state: 'joining',
      intent: 'join',
      steps: joinSteps(network.kind),
      pendingTx: null,
      attempts: 0,
      retryAt: null,
      errorCode: null,
      errorMessage: null,
      joinedAt: null,
      updatedAt: this.deps.now().toISOString(),
    };
    await this.restart(row);
    const action = existing?.state === 'joined' && existing.hotkey !== hotkey.address ? 'competitions.rejoin' : 'competitions.join';
    this.deps.audit.append({ at: row.updatedAt, actor, action, detail: { network: network.id, competition: competitionId, hotkey: hotkey.address, ...(action === 'competitions.rejoin' ? { previousHotkey: existing?.hotkey } : {}) } });
    return toView(row);
  }

  async leave(competitionId: string): Promise<MembershipView> {
    const { network } = await this.entry(competitionId);
    const existing = this.memberships.get(network.id, competitionId);
    if (!existing || existing.state === 'left') throw new AppError('NOT_FOUND', 'You are not in this competition.');
    this.requireKeys();
    const row: MembershipRow = { ...existing, state: 'leaving', intent: 'leave', steps: leaveSteps(network.kind), pendingTx: null, attempts: 0, retryAt: null, errorCode: null, errorMessage: null, updatedAt: this.deps.now().toISOString() };
    this.deps.audit.append({ at: row.updatedAt, actor: 'user', action: 'competitions.leave', detail: { network: network.id, competition: competitionId } });
    await this.restart(row);
    return toView(row);
  }

  async retry(competitionId: string): Promise<MembershipView> {
    const network = await this.deps.activeNetwork();
    const row = this.memberships.get(network.id, competitionId);
    if (!row || (row.state !== 'failed' && row.state !== 'joining' && row.state !== 'leaving')) throw new AppError('NOT_FOUND', 'There is nothing to retry for this competition.');
    const again: MembershipRow = {
      ...row,
      state: row.intent === 'join' ? 'joining' : 'leaving',
      attempts: 0,
      errorCode: null,
      errorMessage: null,
      retryAt: null,
      steps: row.steps.map((s) => (s.state === 'failed' ? { ...s, state: 'pending', detail: null } : s)),
    };
    await this.restart(again);
    return toView(again);
  }

  /**
   * A signed file submission to a joined Platform challenge (PROTOCOLS §4, docs/networks.md). The
   * hub checks the hotkey against the subnet's metagraph itself; Minerva asks the chain first so a
   * miner whose UID was taken hears it in words before anything is sent.
   */
  async submit(input: { id: string; fileName: string; contentBase64: string; contentType: string }): Promise<ChallengeSubmissionView> {
    const { network, entry } = await this.entry(input.id);
    if (entry.kind !== 'challenge') throw new AppError('UNSUPPORTED', `${entry.title} does not take file submissions here.`);
    const keys = this.requireKeys();
    const hotkey = keys.hotkey('sr25519');
    const membership = this.memberships.get(network.id, input.id);
    if (!membership || membership.state !== 'joined') throw new AppError('FORBIDDEN', `Join ${entry.title} first (Competitions), then submit.`);
    const client = this.deps.clientFor(network);
    if (!client.submit) throw new AppError('UNSUPPORTED', 'This network takes no challenge submissions.');
    if (!(await client.isRegistered(input.id, hotkey.address))) {
      throw new AppError('FORBIDDEN', `Your hotkey ${hotkey.address} has no UID on subnet ${entry.netuid} any more, so the hub would refuse the submission. Register it again in Settings → Bittensor.`);
    }
    const bytes = Buffer.from(input.contentBase64, 'base64');
    if (bytes.toString('base64') !== input.contentBase64) throw new AppError('VALIDATION', 'The file did not arrive intact (bad base64). Choose it again.');
    const answer = await client.submit(entry, hotkey, { bytes: new Uint8Array(bytes), fileName: input.fileName, contentType: input.contentType });
    const at = this.deps.now();
    // Followed from here on (submission-status.flow.ts) unless the first answer is already final or has no id to ask about.
    const follow = answer.id !== null && !(answer.status !== null && TERMINAL_SUBMISSION_STATUSES.includes(answer.status));
    const row: SubmissionRow = {
      key: `${network.id}/${input.id}/${answer.id ?? `local-${randomUUID()}`}`,
      networkId: network.id,
      competitionId: input.id,
      submissionId: answer.id,
      hotkey: hotkey.address,
      fileName: input.fileName,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      submittedAt: at.toISOString(),
      followFrom: null,
      status: answer.status,
      score: null,
      reason: null,
      following: follow ? 'following' : answer.id === null ? 'stopped' : 'done',
      checks: 0,
      failures: 0,
      checkedAt: at.toISOString(),
      nextCheckAt: follow ? new Date(at.getTime() + this.deps.config.statusPollBaseMs).toISOString() : null,
      errorCode: null,
      errorMessage: answer.id === null ? 'The hub gave no id for this submission, so Minerva cannot ask where it stands.' : null,
      updatedAt: at.toISOString(),
    };
    this.submissions.save(row);
    const view = submissionView(row);
    this.deps.audit.append({ at: view.at, actor: 'user', action: 'competitions.submit', detail: { network: network.id, competition: input.id, hotkey: view.hotkey, bytes: view.bytes, sha256: view.sha256, submissionId: view.submissionId } });
    this.deps.log.info('challenge submission sent', { competition: input.id, bytes: view.bytes, submissionId: view.submissionId, status: view.status });
    this.changed(network.id);
    if (follow) void this.statusFlow.start(row.key);
    return view;
  }

  /** Asks the hub now where a submission stands, and follows it again if Minerva had stopped asking. */
  async checkSubmission(input: { id: string; submissionId: string }): Promise<ChallengeSubmissionView> {
    const network = await this.deps.activeNetwork();
    const key = `${network.id}/${input.id}/${input.submissionId}`;
    const row = this.submissions.get(key);
    if (!row || row.submissionId === null) throw new AppError('NOT_FOUND', 'Minerva sent no such submission on this network.');
    if (row.following === 'done') return submissionView(row);
    await this.statusFlow.stop((id) => id === key);
    const again: SubmissionRow = { ...row, following: 'following', failures: 0, nextCheckAt: this.deps.now().toISOString(), updatedAt: this.deps.now().toISOString() };
    // The follow window starts again from this request for a submission Minerva had stopped asking
    // about for its age (stored apart: the time it was sent stays as shown). Before, the new start
    // was never saved, and the flow stopped again at once without asking the hub.
    if (row.following === 'stopped' && this.deps.now().getTime() - Date.parse(row.followFrom ?? row.submittedAt) > this.deps.config.statusFollowMs) again.followFrom = this.deps.now().toISOString();
    this.submissions.save(again);
    this.changed(network.id);
    void this.statusFlow.start(key);
    return submissionView(again);
  }

  /**
   * Starts following the network's submissions that still await a final status: at core start,
   * and when the network is selected or listed again after another one was selected (their check
   * rested). A check running at that moment may have seen the other network and be resting its
   * submission right now: it is looked at again once that run ends, if this network is still the
   * selected one (one such look per submission at a time).
   */
  private followSubmissions(networkId: string): void {
    if (this.closed) return;
    this.selectedNetwork = networkId;
    for (const row of this.submissions.flowStore(this.deps.now).unfinished()) {
      if (row.networkId !== networkId) continue;
      if (this.statusFlow.isRunning(row.key)) {
        if (this.lookAgain.has(row.key)) continue;
        this.lookAgain.add(row.key);
        void this.statusFlow.start(row.key).then(() => {
          this.lookAgain.delete(row.key);
          if (this.selectedNetwork === networkId) this.followSubmissions(networkId);
        });
        continue;
      }
      if (row.nextCheckAt === null) this.submissions.save({ ...row, nextCheckAt: this.deps.now().toISOString(), updatedAt: this.deps.now().toISOString() });
      void this.statusFlow.start(row.key);
    }
  }

  /** Memberships of the active network (for workers and the rewards checklist). */
  async activeMemberships(): Promise<MembershipRow[]> {
    const network = await this.deps.activeNetwork();
    return this.memberships.list(network.id);
  }

  /** The catalogue entry of a competition of the active network (fetching the catalogue if needed). */
  async entry(competitionId: string): Promise<{ network: ActiveNetwork; entry: CatalogueEntry }> {
    const network = await this.deps.activeNetwork();
    return { network, entry: await this.entryOn(network, competitionId) };
  }

  /**
   * The competition in this network's catalogue. Refreshed through `list` only while the network
   * is still the selected one: a status check whose network was switched away meanwhile must not
   * look in (or fetch) the other network's list and find its challenge "gone".
   */
  private async entryOn(network: ActiveNetwork, competitionId: string): Promise<CatalogueEntry> {
    let entry = this.catalogue(network.id).find((e) => e.id === competitionId);
    if (!entry && (await this.deps.activeNetwork().catch(() => null))?.id === network.id) {
      await this.list(true);
      entry = this.catalogue(network.id).find((e) => e.id === competitionId);
    }
    if (!entry) throw new AppError('NOT_FOUND', 'This competition is not in the network’s catalogue any more. Refresh the list.');
    return entry;
  }

  private requireKeys(): MinerKeys {
    const keys = this.deps.keys();
    if (!keys) throw new AppError('VAULT_MISSING', 'Create or import a wallet first (Wallet & Security).');
    if (!keys.isUnlocked()) throw new AppError('VAULT_LOCKED', 'Unlock your wallet to join or leave competitions.');
    return keys;
  }

  /**
   * Writes a membership as a request left it and (re)starts its flow. A flow still running for
   * it (a join in backoff, say) is stopped first, so its step cannot write over the new row.
   */
  private async restart(row: MembershipRow): Promise<void> {
    const id = membershipId(row.networkId, row.competitionId);
    await this.flow.stop((running) => running === id);
    row.updatedAt = this.deps.now().toISOString();
    this.memberships.save(row);
    this.changed(row.networkId);
    void this.flow.start(id);
  }
}

function messageOf(error: unknown): string {
  return isAppError(error) ? error.message : error instanceof Error ? error.message : String(error);
}

function toView(row: MembershipRow): MembershipView {
  return {
    competitionId: row.competitionId,
    networkId: row.networkId,
    state: row.state,
    hotkey: row.hotkey,
    steps: row.steps,
    error: row.errorCode && row.errorMessage ? { code: row.errorCode, message: row.errorMessage } : null,
    retryAt: row.retryAt,
    attempts: row.attempts,
    joinedAt: row.joinedAt,
    updatedAt: row.updatedAt,
  };
}
