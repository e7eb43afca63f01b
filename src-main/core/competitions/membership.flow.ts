import { AppError, isAppError } from '@shared/contract/errors';
import type { MembershipStep } from '@shared/contract/competitions';
import type { FlowSpec, FlowStore, FlowWait, StepContext } from '../kernel/flow-engine';
import type { ScopedLogger } from '../log/logger';
import type { CatalogueEntry, KeySigner, NetworkClient } from '../network/client';
import type { ActiveNetwork } from '../network/networks.service';
import type { CompetitionsConfig } from './competitions.config';
import type { MinerKeys } from './competitions.service';
import type { MembershipRow } from './memberships.repo';
import { TxFollower } from './tx-follow';

/**
 * Joining and leaving a competition as a durable flow (kernel/flow-engine.ts). A membership row
 * is the flow's state: its `steps` say where it is (register → join, or leave), and the engine's
 * decisions are written into its columns (attempts, retry_at, error_*; see `record`). The engine
 * does the retrying with backoff, the wait for the wallet's unlock and the resume after a restart;
 * the steps here only do the work, each idempotent:
 *
 * - register: skipped when the hotkey is on chain; a registration sent is stored (`pending_tx`)
 *   before anything waits on it, so a restart follows it and never sends a second one; a
 *   transaction the chain lost (`unknown`) is sent again.
 * - join: the signed join (with the EOA's proof for private inference).
 * - leave: the signed leave.
 */
export const MEMBERSHIP_FLOW = 'competitions.membership';

export type MembershipStepId = MembershipStep['id'];

/**
 * The steps as the miner reads them. On Bittensor nothing is sent to join or leave: the hotkey's
 * UID on the subnet is what counts (registering by burn is the Bittensor card's explicit,
 * confirmed act), and Minerva only starts or stops its own work — the words say so.
 */
export const joinSteps = (networkKind: ActiveNetwork['kind'] = 'practice'): MembershipStep[] =>
  networkKind === 'bittensor'
    ? [
        { id: 'register', label: 'Check that your hotkey has a UID on the subnet', state: 'pending', detail: null },
        { id: 'join', label: 'Start taking part (Bittensor needs no signed join)', state: 'pending', detail: null },
      ]
    : [
        { id: 'register', label: 'Register your hotkey on the chain', state: 'pending', detail: null },
        { id: 'join', label: 'Send your signed join to the hub', state: 'pending', detail: null },
      ];
export const leaveSteps = (networkKind: ActiveNetwork['kind'] = 'practice'): MembershipStep[] => [
  networkKind === 'bittensor'
    ? { id: 'leave', label: 'Stop taking part (your UID stays on the subnet)', state: 'pending', detail: null }
    : { id: 'leave', label: 'Send your signed leave to the hub', state: 'pending', detail: null },
];

const WINDOW_SECONDS = 300;
const LOCKED_WORDS = 'Waiting for you to unlock your wallet.';

export interface MembershipFlowDeps {
  store: FlowStore<MembershipRow>;
  log: ScopedLogger;
  config: CompetitionsConfig;
  now: () => Date;
  activeNetwork: () => Promise<ActiveNetwork>;
  entry: (competitionId: string) => Promise<{ network: ActiveNetwork; entry: CatalogueEntry }>;
  clientFor: (network: ActiveNetwork) => NetworkClient;
  /** The miner's keys, unlocked (throws VAULT_MISSING or VAULT_LOCKED). */
  keys: () => MinerKeys;
  onChanged: (rows: MembershipRow[]) => void;
}

/** The flow's id for a membership row (its primary key). */
export const membershipId = (networkId: string, competitionId: string): string => `${networkId}/${competitionId}`;

/**
 * Longer than ~80 lines on purpose: it is the flow's step functions (each well under 40 lines) as
 * closures over `deps`, followed by the spec that names them; split up, one flow would be spread
 * over several files with the same deps passed to each.
 */
export function membershipFlow(deps: MembershipFlowDeps): FlowSpec<MembershipRow, MembershipStepId> {
  const registrations = new TxFollower(() => deps.config.txTimeoutMs, 'registration');
  type Ctx = StepContext<MembershipRow>;

  /** Everything a step needs, or a wait while another network is selected (it resumes when it is again). */
  async function prepare(row: MembershipRow, ctx: Ctx): Promise<{ entry: CatalogueEntry; client: NetworkClient; keys: MinerKeys; hotkey: KeySigner; onChain: boolean } | FlowWait<MembershipRow>> {
    const network = await deps.activeNetwork();
    if (network.id !== row.networkId) return ctx.wait(new Date(ctx.now().getTime() + 60_000), `Waits until the network ${row.networkId} is selected again.`);
    const { entry } = await deps.entry(row.competitionId);
    const keys = deps.keys();
    return { entry, client: deps.clientFor(network), keys, hotkey: keys.hotkey(entry.hotkeyScheme), onChain: network.kind === 'bittensor' };
  }

  const withStep = (row: MembershipRow, id: MembershipStepId, patch: Partial<MembershipStep>): MembershipStep[] => row.steps.map((s) => (s.id === id ? { ...s, ...patch } : s));
  const show = (ctx: Ctx, row: MembershipRow, id: MembershipStepId, state: MembershipStep['state'], detail: string): MembershipRow => ctx.save({ steps: withStep(row, id, { state, detail }) });
  const pollAgain = (ctx: Ctx, words: string): FlowWait<MembershipRow> => ctx.wait(new Date(ctx.now().getTime() + deps.config.txPollMs), words);

  async function register(row: MembershipRow, ctx: Ctx): Promise<Partial<MembershipRow> | FlowWait<MembershipRow>> {
    const ready = await prepare(row, ctx);
    if (!('entry' in ready)) return ready;
    const { entry, client, keys, hotkey } = ready;
    if (row.pendingTx) {
      // A registration was sent (maybe before a restart): follow it, never send a second one.
      const tx = await registrations.check(client, row.pendingTx);
      if (tx.state === 'pending') return pollAgain(ctx, 'Waiting for the chain to include your registration…');
      if (tx.state === 'included') {
        deps.log.info('hotkey registered', { competition: entry.id, hotkey: hotkey.address, tx: row.pendingTx });
        return { pendingTx: null, steps: withStep(row, 'register', { state: 'done', detail: 'Registered.' }) };
      }
      ctx.save({ pendingTx: null });
      if (tx.state === 'failed') throw new AppError('CONFLICT', `The chain refused the registration: ${tx.reason}.`, { details: { permanent: true } });
      throw new AppError('UNAVAILABLE', 'The chain does not know the registration that was sent; sending it again.');
    }
    row = show(ctx, row, 'register', 'active', 'Checking the chain…');
    if (await client.isRegistered(entry.id, hotkey.address)) return { steps: withStep(row, 'register', { state: 'skipped', detail: 'Already registered.' }) };
    const coldkey = keys.coldkeyAddress();
    if (!coldkey) throw new AppError('VAULT_MISSING', 'Your wallet has no coldkey address. Import your coldkey (watch-only is enough) to register.');
    const { txId } = await client.register(entry.id, hotkey, coldkey);
    // Stored before waiting: a restart follows this transaction.
    ctx.save({ pendingTx: txId, steps: withStep(row, 'register', { state: 'active', detail: 'Waiting for the chain to include your registration…' }) });
    return pollAgain(ctx, 'Waiting for the chain to include your registration…');
  }

  async function join(row: MembershipRow, ctx: Ctx): Promise<Partial<MembershipRow> | FlowWait<MembershipRow>> {
    const ready = await prepare(row, ctx);
    if (!('entry' in ready)) return ready;
    const { entry, client, keys, hotkey } = ready;
    row = show(ctx, row, 'join', 'active', ready.onChain ? 'Starting…' : 'Sending your signed join…');
    const body: Record<string, unknown> = {};
    if (entry.kind === 'private-inference') {
      const proof = keys.eoaSign(`minerva-join:${entry.id}:${hotkey.address}`);
      body.eoa = proof.address;
      body.eoa_signature = proof.signature;
    }
    await client.join(entry, hotkey, body);
    deps.log.info('joined competition', { competition: entry.id, hotkey: hotkey.address });
    return { ...settled, state: 'joined', joinedAt: ctx.now().toISOString(), steps: withStep(row, 'join', { state: 'done', detail: 'Joined.' }) };
  }

  async function leave(row: MembershipRow, ctx: Ctx): Promise<Partial<MembershipRow> | FlowWait<MembershipRow>> {
    const ready = await prepare(row, ctx);
    if (!('entry' in ready)) return ready;
    row = show(ctx, row, 'leave', 'active', ready.onChain ? 'Stopping…' : 'Sending your signed leave…');
    await ready.client.leave(ready.entry, ready.hotkey);
    deps.log.info('left competition', { competition: ready.entry.id });
    return { ...settled, state: 'left', steps: withStep(row, 'leave', { state: 'done', detail: 'Left.' }) };
  }

  const current = (row: MembershipRow): MembershipStepId | null => stepOf(row);
  const onCurrent = (row: MembershipRow, patch: Partial<MembershipStep>): MembershipStep[] => {
    const id = current(row);
    return id === null ? row.steps : withStep(row, id, patch);
  };

  return {
    kind: MEMBERSHIP_FLOW,
    store: deps.store,
    idOf: (row) => membershipId(row.networkId, row.competitionId),
    stepOf,
    steps: { register, join, leave, deregister: leave },
    retry: { baseMs: deps.config.backoffBaseMs, maxMs: deps.config.backoffMaxMs, maxAttempts: deps.config.maxAttempts },
    // The hub answers CONFLICT for a join it cannot take yet (a registration it has not seen): try again.
    classify: (error) => (isAppError(error) && error.code === 'CONFLICT' && error.details?.permanent !== true ? 'retry' : undefined),
    record: {
      failed: (row, error) => {
        const message = explain(error, deps.now());
        deps.log.warn('membership step failed', { competition: row.competitionId, intent: row.intent, code: codeOf(error) });
        return { state: 'failed', attempts: row.attempts + 1, errorCode: codeOf(error), errorMessage: message, retryAt: null, steps: onCurrent(row, { state: 'failed', detail: message }) };
      },
      retrying: (row, { error, attempt, retryAt }) => {
        const message = explain(error, deps.now());
        const seconds = Math.max(1, Math.round((retryAt.getTime() - deps.now().getTime()) / 1000));
        deps.log.warn('membership step failed; trying again', { competition: row.competitionId, intent: row.intent, code: codeOf(error), attempt });
        return { attempts: attempt, errorCode: codeOf(error), errorMessage: message, retryAt: retryAt.toISOString(), steps: onCurrent(row, { state: 'active', detail: `${message} Trying again in ${seconds} s.` }) };
      },
      // Paused, not failed, and not an attempt: it resumes when the wallet is unlocked.
      waitingUnlock: (row) => ({ errorCode: 'VAULT_LOCKED', errorMessage: 'Unlock your wallet to join or leave competitions.', retryAt: null, steps: onCurrent(row, { state: 'pending', detail: LOCKED_WORDS }) }),
      waiting: (row, wait) => ({ steps: onCurrent(row, { state: 'active', detail: wait.detail }) }),
      resumed: () => ({ errorCode: null, errorMessage: null, retryAt: null }),
    },
    onChanged: deps.onChanged,
  };
}

const settled: Partial<MembershipRow> = { pendingTx: null, attempts: 0, retryAt: null, errorCode: null, errorMessage: null };

/** The step a membership is at: its first step not finished, while it is joining or leaving. */
export function stepOf(row: MembershipRow): MembershipStepId | null {
  if (row.state !== 'joining' && row.state !== 'leaving') return null;
  return row.steps.find((s) => s.state !== 'done' && s.state !== 'skipped')?.id ?? null;
}

function codeOf(error: unknown): string {
  return isAppError(error) ? error.code : 'INTERNAL';
}

/** Errors in a miner's words, with what to do next. */
export function explain(error: unknown, now: Date): string {
  if (!isAppError(error)) return 'Something went wrong inside Minerva. The log has the details; press Retry.';
  const reason = typeof error.details?.reason === 'string' ? error.details.reason : '';
  if (error.code === 'UNAUTHENTICATED' && reason === 'stale signature' && typeof error.details?.serverTime === 'string') {
    const skewS = Math.round((now.getTime() - Date.parse(error.details.serverTime)) / 1000);
    const minutes = Math.round(Math.abs(skewS) / 60);
    return `Your computer's clock is off by ${minutes >= 1 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${Math.abs(skewS)} seconds`} (${skewS > 0 ? 'ahead' : 'behind'}) — the network allows ${WINDOW_SECONDS / 60}. Turn on automatic date and time, then press Retry.`;
  }
  if (error.code === 'UNAUTHENTICATED' && reason === 'unknown hotkey') return 'Your hotkey is not registered for this competition on the chain. Press Retry to register it again.';
  return error.message;
}
