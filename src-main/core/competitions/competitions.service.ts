import { AppError, isAppError } from '@shared/contract/errors';
import type { CompetitionView, CompetitionsView, MembershipStep, MembershipView } from '@shared/contract/competitions';
import type { AuditRepo } from '../db/audit.repo';
import type { Db } from '../db/open';
import type { ScopedLogger } from '../log/logger';
import type { CatalogueEntry, KeySigner, NetworkClient } from '../network/client';
import type { ActiveNetwork } from '../network/networks.service';
import { CatalogueCacheRepo, MembershipsRepo, type MembershipRow } from './memberships.repo';

/** The miner's keys as the join flow needs them; the vault provides it and never hands out a key. */
export interface MinerKeys {
  isUnlocked(): boolean;
  /** The active hotkey for a scheme: sr25519 → hotkey N; ed25519 → the checkpoint signer. Throws VAULT_LOCKED. */
  hotkey(scheme: 'sr25519' | 'ed25519'): KeySigner;
  coldkeyAddress(): string | null;
  /** EIP-191 personal_sign by the EOA (PROTOCOLS §2.9). Throws VAULT_LOCKED. */
  eoaSign(message: string): { address: string; signature: string };
  onUnlocked(listener: () => void): () => void;
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
  now: () => Date;
  onChange: (view: CompetitionsView) => void;
  /** Backoff for retryable faults (ms for attempt n, from 1). */
  backoffMs?: (attempt: number) => number;
  /** How often a sent transaction is checked for inclusion, and for how long. */
  txPollMs?: number;
  txTimeoutMs?: number;
  maxAttempts?: number;
}

const RETRYABLE = new Set(['UNAVAILABLE', 'NETWORK_ERROR', 'TIMEOUT', 'CONFLICT']);
const CATALOGUE_TTL_MS = 60_000;
const WINDOW_SECONDS = 300;

const joinSteps = (): MembershipStep[] => [
  { id: 'register', label: 'Register your hotkey on the chain', state: 'pending', detail: null },
  { id: 'join', label: 'Send your signed join to the hub', state: 'pending', detail: null },
];
const leaveSteps = (): MembershipStep[] => [{ id: 'leave', label: 'Send your signed leave to the hub', state: 'pending', detail: null }];

export class CompetitionsService {
  private readonly memberships: MembershipsRepo;
  private readonly cache: CatalogueCacheRepo;
  private readonly running = new Map<string, Promise<void>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private lastError: string | null = null;
  private closed = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: CompetitionsDeps) {
    this.memberships = new MembershipsRepo(deps.db);
    this.cache = new CatalogueCacheRepo(deps.db);
  }

  /** Resumes flows a previous run left unfinished (crash, restart, locked wallet). */
  start(): void {
    for (const row of this.memberships.list()) {
      if (row.state === 'joining' || row.state === 'leaving') this.schedule(row, 0);
    }
    const keys = this.deps.keys();
    if (!keys) return;
    this.unsubscribe.push(
      keys.onUnlocked(() => {
        for (const row of this.memberships.list()) if ((row.state === 'joining' || row.state === 'leaving') && row.errorCode === 'VAULT_LOCKED') this.schedule(row, 0);
      }),
      keys.onHotkeyRotated(() => void this.rejoinAfterRotation()),
    );
  }

  /**
   * After a hotkey rotation, every competition joined with the sr25519 hotkey is joined again with
   * the new one: the same flow (register, then signed join), shown with its steps.
   */
  private async rejoinAfterRotation(): Promise<void> {
    try {
      const network = await this.deps.activeNetwork();
      const catalogue = this.catalogue(network.id);
      for (const row of this.memberships.list(network.id)) {
        const entry = catalogue.find((e) => e.id === row.competitionId);
        if (row.state !== 'joined' || entry?.hotkeyScheme !== 'sr25519') continue;
        this.deps.log.info('hotkey rotated: joining again with the new hotkey', { competition: row.competitionId, old: row.hotkey });
        await this.join(row.competitionId, 'app');
      }
    } catch (error) {
      this.deps.log.warn('could not rejoin after hotkey rotation', { error });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe.splice(0).forEach((off) => off());
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
    await Promise.allSettled([...this.background]);
  }

  // ---- catalogue ----

  /** Never fails for an unreachable network: the view carries the reason, and the last list known. */
  async list(refresh: boolean): Promise<CompetitionsView> {
    let network: ActiveNetwork;
    try {
      network = await this.deps.activeNetwork();
    } catch (error) {
      return { networkId: '', competitions: [], fetchedAt: null, error: messageOf(error) };
    }
    const cached = this.cache.get(network.id);
    const stale = !cached || Date.now() - Date.parse(cached.fetchedAt) > CATALOGUE_TTL_MS;
    if (refresh || stale) {
      try {
        const client = this.deps.clientFor(network);
        const entries = await client.catalogue();
        const counts = await Promise.all(entries.map((e) => client.participants(e.id).catch(() => null)));
        const withCounts = entries.map((e, i) => ({ ...e, participants: counts[i] ?? null }));
        this.cache.put(network.id, this.deps.now().toISOString(), JSON.stringify(withCounts));
        this.lastError = null;
      } catch (error) {
        this.lastError = `The competitions list could not be loaded: ${messageOf(error)}`;
        this.deps.log.warn('catalogue fetch failed', { network: network.id, error });
      }
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
    }));
    return { networkId, competitions, fetchedAt: this.cache.get(networkId)?.fetchedAt ?? null, error: this.lastError };
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
      steps: joinSteps(),
      pendingTx: null,
      attempts: 0,
      retryAt: null,
      errorCode: null,
      errorMessage: null,
      joinedAt: null,
      updatedAt: this.deps.now().toISOString(),
    };
    this.save(row);
    const action = existing?.state === 'joined' && existing.hotkey !== hotkey.address ? 'competitions.rejoin' : 'competitions.join';
    this.deps.audit.append({ at: row.updatedAt, actor, action, detail: { network: network.id, competition: competitionId, hotkey: hotkey.address, ...(action === 'competitions.rejoin' ? { previousHotkey: existing?.hotkey } : {}) } });
    this.schedule(row, 0);
    return toView(row);
  }

  async leave(competitionId: string): Promise<MembershipView> {
    const { network } = await this.entry(competitionId);
    const existing = this.memberships.get(network.id, competitionId);
    if (!existing || existing.state === 'left') throw new AppError('NOT_FOUND', 'You are not in this competition.');
    this.requireKeys();
    const row: MembershipRow = { ...existing, state: 'leaving', intent: 'leave', steps: leaveSteps(), pendingTx: null, attempts: 0, retryAt: null, errorCode: null, errorMessage: null, updatedAt: this.deps.now().toISOString() };
    this.save(row);
    this.deps.audit.append({ at: row.updatedAt, actor: 'user', action: 'competitions.leave', detail: { network: network.id, competition: competitionId } });
    this.schedule(row, 0);
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
    this.save(again);
    this.schedule(again, 0);
    return toView(again);
  }

  /** Memberships of the active network (for workers and the rewards checklist). */
  async activeMemberships(): Promise<MembershipRow[]> {
    const network = await this.deps.activeNetwork();
    return this.memberships.list(network.id);
  }

  /** The catalogue entry of a competition of the active network (fetching the catalogue if needed). */
  async entry(competitionId: string): Promise<{ network: ActiveNetwork; entry: CatalogueEntry }> {
    const network = await this.deps.activeNetwork();
    let entry = this.catalogue(network.id).find((e) => e.id === competitionId);
    if (!entry) {
      await this.list(true);
      entry = this.catalogue(network.id).find((e) => e.id === competitionId);
    }
    if (!entry) throw new AppError('NOT_FOUND', 'This competition is not in the network’s catalogue any more. Refresh the list.');
    return { network, entry };
  }

  private requireKeys(): MinerKeys {
    const keys = this.deps.keys();
    if (!keys) throw new AppError('VAULT_MISSING', 'Create or import a wallet first (Wallet & Security).');
    if (!keys.isUnlocked()) throw new AppError('VAULT_LOCKED', 'Unlock your wallet to join or leave competitions.');
    return keys;
  }

  private save(row: MembershipRow): void {
    row.updatedAt = this.deps.now().toISOString();
    this.memberships.save(row);
    this.changed(row.networkId);
  }

  // ---- the flow engine ----

  private schedule(row: MembershipRow, delayMs: number): void {
    const key = `${row.networkId}/${row.competitionId}`;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (this.closed || this.running.has(key)) return;
      const run = this.run(row.networkId, row.competitionId).finally(() => this.running.delete(key));
      this.running.set(key, run);
    }, delayMs);
    this.timers.set(key, timer);
  }

  private async run(networkId: string, competitionId: string): Promise<void> {
    const row = this.memberships.get(networkId, competitionId);
    if (!row || (row.state !== 'joining' && row.state !== 'leaving')) return;
    try {
      const network = await this.deps.activeNetwork();
      if (network.id !== networkId) return; // resumes when its network is selected again
      const { entry } = await this.entry(competitionId);
      const keys = this.requireKeys();
      const hotkey = keys.hotkey(entry.hotkeyScheme);
      const client = this.deps.clientFor(network);
      if (row.intent === 'join') await this.runJoin(row, entry, client, keys, hotkey);
      else await this.runLeave(row, entry, client, hotkey);
    } catch (error) {
      this.fail(row, error);
    }
  }

  private step(row: MembershipRow, id: MembershipStep['id'], state: MembershipStep['state'], detail: string | null = null): void {
    row.steps = row.steps.map((s) => (s.id === id ? { ...s, state, detail } : s));
    this.save(row);
  }

  private async runJoin(row: MembershipRow, entry: CatalogueEntry, client: NetworkClient, keys: MinerKeys, hotkey: KeySigner): Promise<void> {
    const register = row.steps.find((s) => s.id === 'register');
    if (register && register.state !== 'done' && register.state !== 'skipped') {
      this.step(row, 'register', 'active', 'Checking the chain…');
      if (row.pendingTx) {
        // A registration was sent before a restart: follow it, never send a second one.
        await this.followTx(row, client, row.pendingTx);
        row.pendingTx = null;
        this.step(row, 'register', 'done', 'Registered.');
      } else if (await client.isRegistered(entry.id, hotkey.address)) {
        this.step(row, 'register', 'skipped', 'Already registered.');
      } else {
        const coldkey = keys.coldkeyAddress();
        if (!coldkey) throw new AppError('VAULT_MISSING', 'Your wallet has no coldkey address. Import your coldkey (watch-only is enough) to register.');
        const { txId } = await client.register(entry.id, hotkey, coldkey);
        row.pendingTx = txId;
        this.step(row, 'register', 'active', 'Waiting for the chain to include your registration…');
        await this.followTx(row, client, txId);
        row.pendingTx = null;
        this.step(row, 'register', 'done', 'Registered.');
        this.deps.log.info('hotkey registered', { competition: entry.id, hotkey: hotkey.address, tx: txId });
      }
    }
    this.step(row, 'join', 'active', 'Sending your signed join…');
    const body: Record<string, unknown> = {};
    if (entry.kind === 'private-inference') {
      const proof = keys.eoaSign(`minerva-join:${entry.id}:${hotkey.address}`);
      body.eoa = proof.address;
      body.eoa_signature = proof.signature;
    }
    await client.join(entry, hotkey, body);
    this.step(row, 'join', 'done', 'Joined.');
    Object.assign(row, { state: 'joined', joinedAt: this.deps.now().toISOString(), attempts: 0, retryAt: null, errorCode: null, errorMessage: null });
    this.save(row);
    this.deps.log.info('joined competition', { competition: entry.id, hotkey: hotkey.address });
    this.refreshSoon(row.networkId);
  }

  private async runLeave(row: MembershipRow, entry: CatalogueEntry, client: NetworkClient, hotkey: KeySigner): Promise<void> {
    this.step(row, 'leave', 'active', 'Sending your signed leave…');
    await client.leave(entry, hotkey);
    this.step(row, 'leave', 'done', 'Left.');
    Object.assign(row, { state: 'left', attempts: 0, retryAt: null, errorCode: null, errorMessage: null });
    this.save(row);
    this.deps.log.info('left competition', { competition: entry.id });
    this.refreshSoon(row.networkId);
  }

  private async followTx(row: MembershipRow, client: NetworkClient, txId: string): Promise<void> {
    const pollMs = this.deps.txPollMs ?? 500;
    const deadline = Date.now() + (this.deps.txTimeoutMs ?? 60_000);
    for (;;) {
      if (this.closed) throw new AppError('UNAVAILABLE', 'Minerva is stopping; the flow resumes at the next start.');
      const status = await client.txStatus(txId);
      if (status.state === 'included') return;
      if (status.state === 'failed') {
        row.pendingTx = null;
        throw new AppError('CONFLICT', `The chain refused the registration: ${status.error?.message ?? 'no reason given'}.`, { details: { chainCode: status.error?.code, permanent: true } });
      }
      if (status.state === 'unknown') {
        // The chain lost it (restart before inclusion): send it again on the next attempt.
        row.pendingTx = null;
        throw new AppError('UNAVAILABLE', 'The chain does not know the registration that was sent; sending it again.');
      }
      if (Date.now() > deadline) throw new AppError('TIMEOUT', 'The chain has not included your registration yet; still waiting.');
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private fail(row: MembershipRow, error: unknown): void {
    const code = isAppError(error) ? error.code : 'INTERNAL';
    const details = isAppError(error) ? error.details : undefined;
    const message = this.explain(error);
    const active = row.steps.find((s) => s.state === 'active');
    if (code === 'VAULT_LOCKED') {
      // Paused, not failed: it resumes when the wallet is unlocked.
      if (active) this.step(row, active.id, 'pending', 'Waiting for you to unlock your wallet.');
      Object.assign(row, { errorCode: code, errorMessage: message, retryAt: null });
      this.save(row);
      return;
    }
    const attempts = row.attempts + 1;
    const retryable = RETRYABLE.has(code) && details?.permanent !== true && attempts < (this.deps.maxAttempts ?? 8);
    this.deps.log.warn('membership step failed', { competition: row.competitionId, intent: row.intent, code, retryable, attempt: attempts });
    if (retryable) {
      const delay = (this.deps.backoffMs ?? defaultBackoff)(attempts);
      if (active) this.step(row, active.id, 'active', `${message} Trying again in ${Math.max(1, Math.round(delay / 1000))} s.`);
      Object.assign(row, { attempts, errorCode: code, errorMessage: message, retryAt: new Date(this.deps.now().getTime() + delay).toISOString() });
      this.save(row);
      this.schedule(row, delay);
      return;
    }
    if (active) this.step(row, active.id, 'failed', message);
    Object.assign(row, { state: 'failed', attempts, errorCode: code, errorMessage: message, retryAt: null });
    this.save(row);
  }

  /** Errors in a miner's words, with what to do next. */
  private explain(error: unknown): string {
    if (!isAppError(error)) return 'Something went wrong inside Minerva. The log has the details; press Retry.';
    const reason = typeof error.details?.reason === 'string' ? error.details.reason : '';
    if (error.code === 'UNAUTHENTICATED' && reason === 'stale signature' && typeof error.details?.serverTime === 'string') {
      const skewS = Math.round((this.deps.now().getTime() - Date.parse(error.details.serverTime)) / 1000);
      const minutes = Math.round(Math.abs(skewS) / 60);
      return `Your computer's clock is off by ${minutes >= 1 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${Math.abs(skewS)} seconds`} (${skewS > 0 ? 'ahead' : 'behind'}) — the network allows ${WINDOW_SECONDS / 60}. Turn on automatic date and time, then press Retry.`;
    }
    if (error.code === 'UNAUTHENTICATED' && reason === 'unknown hotkey') return 'Your hotkey is not registered for this competition on the chain. Press Retry to register it again.';
    return error.message;
  }
}

function defaultBackoff(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
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
