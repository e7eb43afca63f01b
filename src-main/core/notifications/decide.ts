import type { AppNotification } from '@shared/contract/updates';
import type { VaultLockReason } from '@shared/contract/vault';

/**
 * What a miner must know, decided without timers or I/O: the feature (notifications.feature.ts)
 * turns core's events into `Observation`s and posts what `decide` returns. Every decision is
 * edge-triggered (a change, never a state seen again) and every notification carries an id per
 * occurrence; an id already announced is never announced again. While "Show notifications" is off
 * the state still moves on, so turning it on later does not announce what happened meanwhile.
 *
 * Titles and bodies name competitions, files, versions and reasons: never a key, an address, a
 * path on disk or a token.
 */
export type Observation =
  | { type: 'vault-locked'; reason: VaultLockReason; mining: boolean }
  | { type: 'checkpoint'; submission: CheckpointFacts }
  | { type: 'update-ready'; version: string }
  | { type: 'work'; competitions: WorkFacts[]; walletCanWork: boolean };

/** The parts of a checkpoint submission a verdict notification needs (no path, no hash, no key). */
export interface CheckpointFacts {
  id: string;
  competitionTitle: string;
  fileName: string;
  state: 'running' | 'waiting' | 'accepted' | 'rejected' | 'failed';
  verdict: { reason: string | null; score: number | null; words: string } | null;
  /** iso: when the submission last moved. */
  updatedAt: string;
}

/** A joined competition's worker, as its feature answers "is it doing its work?". */
export interface WorkFacts {
  competitionId: string;
  title: string;
  running: boolean;
  /** In words, with what to do next. */
  detail: string;
  /** Where its work is shown (`#/jobs`, `#/runner`). */
  href: string;
}

export interface NotifyState {
  /** iso: when this core started (a verdict reached before it is not news). */
  readonly startedAt: string;
  /** Ids already announced (or decided while off), newest last, bounded. */
  readonly announced: readonly string[];
  /** Submissions' last seen states. */
  readonly checkpoints: Readonly<Record<string, CheckpointFacts['state']>>;
  /** Per joined competition: running, or since when (ms) it stopped after running. */
  readonly work: Readonly<Record<string, { running: true } | { running: false; sinceMs: number }>>;
}

export interface DecideOptions {
  enabled: boolean;
  nowMs: number;
  /** A worker must stay stopped this long before "earning stopped" (a short retry is not news). */
  earningGraceMs: number;
}

const ANNOUNCED_LIMIT = 500;

export function initialNotifyState(startedAt: string): NotifyState {
  return { startedAt, announced: [], checkpoints: {}, work: {} };
}

/** The next state and the notifications to post for one observation. */
export function decide(state: NotifyState, observation: Observation, options: DecideOptions): { state: NotifyState; notifications: AppNotification[] } {
  const at = new Date(options.nowMs).toISOString();
  const { next, candidates } = candidatesFor(state, observation, options, at);
  const fresh = candidates.filter((n, i) => !next.announced.includes(n.id) && candidates.findIndex((m) => m.id === n.id) === i);
  const announced = [...next.announced, ...fresh.map((n) => n.id)].slice(-ANNOUNCED_LIMIT);
  return { state: { ...next, announced }, notifications: options.enabled ? fresh : [] };
}

function candidatesFor(state: NotifyState, o: Observation, options: DecideOptions, at: string): { next: NotifyState; candidates: AppNotification[] } {
  switch (o.type) {
    case 'vault-locked': {
      const n = walletLocked(o.reason, o.mining, at, options.nowMs);
      return { next: state, candidates: n ? [n] : [] };
    }
    case 'checkpoint':
      return checkpointVerdict(state, o.submission, at);
    case 'update-ready':
      return {
        next: state,
        candidates: [{ id: `update-ready:${o.version}`, kind: 'update-ready', title: `Minerva ${o.version} is ready to install`, body: 'It was downloaded and its signature checked. Restart Minerva when it suits you to install it.', href: '#/settings', at }],
      };
    case 'work':
      return earningStopped(state, o.competitions, o.walletCanWork, options, at);
    default: {
      const never: never = o;
      throw new Error(`unhandled observation ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A lock the miner did not ask for. Their own Lock click (`user`) is not news, nor is the app
 * closing; the idle timer, sleep and the screen lock happen while they are away.
 */
export function walletLocked(reason: VaultLockReason, mining: boolean, at: string, nowMs: number): AppNotification | null {
  if (reason === 'user' || reason === 'closed') return null;
  const why = reason === 'idle' ? 'after a while without activity' : reason === 'suspend' ? 'because the computer went to sleep' : 'because the screen was locked';
  return {
    id: `wallet-locked:${reason}:${nowMs}`,
    kind: 'wallet-locked',
    title: 'Your wallet locked itself',
    body: mining
      ? `It locked ${why}. Mining goes on with the work keys; your coldkey and recovery phrase need the password.`
      : `It locked ${why}, and mining stopped. Unlock it to continue earning.`,
    href: '#/wallet',
    at,
  };
}

function checkpointVerdict(state: NotifyState, s: CheckpointFacts, at: string): { next: NotifyState; candidates: AppNotification[] } {
  const previous = state.checkpoints[s.id];
  const next: NotifyState = { ...state, checkpoints: { ...state.checkpoints, [s.id]: s.state } };
  const verdict = s.state === 'accepted' || s.state === 'rejected';
  // News: a submission seen moving, or one that reached its verdict since this core started.
  const news = verdict && previous !== s.state && (previous !== undefined || s.updatedAt >= state.startedAt);
  if (!news) return { next, candidates: [] };
  return { next, candidates: [verdictNotification(s, at)] };
}

export function verdictNotification(s: CheckpointFacts, at: string): AppNotification {
  const accepted = s.state === 'accepted';
  const score = s.verdict?.score;
  const words = s.verdict?.words?.trim();
  const body = accepted
    ? `${sentence(`${s.fileName}${score === null || score === undefined ? '' : ` scored ${formatScore(score)}`}`)} ${sentence(words || 'The validator accepted it')}`
    : `${sentence(`${s.fileName}: ${words || (s.verdict?.reason ? `the validator said: ${s.verdict.reason}` : 'the validator rejected it')}`)} The Checkpoints page says what to do next.`;
  return {
    id: `checkpoint-verdict:${s.id}`,
    kind: 'checkpoint-verdict',
    title: accepted ? `Checkpoint accepted for ${s.competitionTitle}` : `Checkpoint rejected for ${s.competitionTitle}`,
    body,
    href: '#/checkpoints',
    at,
  };
}

/** Ends a phrase with a full stop unless it has its own. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(3).replace(/0+$/, '');
}

/**
 * A competition's worker that was running has stopped and stayed stopped for the grace time.
 * Never for one not yet running (starting up), one left (no longer listed), or while the wallet
 * cannot work (the lock is the cause, and the lock has its own notification when it is news).
 */
function earningStopped(state: NotifyState, competitions: WorkFacts[], walletCanWork: boolean, options: DecideOptions, at: string): { next: NotifyState; candidates: AppNotification[] } {
  const work: Record<string, NotifyState['work'][string]> = {};
  const candidates: AppNotification[] = [];
  for (const c of competitions) {
    const before = state.work[c.competitionId];
    if (c.running) {
      work[c.competitionId] = { running: true };
      continue;
    }
    if (!before) continue; // never seen running: nothing stopped
    // While the wallet cannot work, the clock restarts: the worker gets its grace after the unlock.
    const sinceMs = before.running || !walletCanWork ? options.nowMs : before.sinceMs;
    work[c.competitionId] = { running: false, sinceMs };
    if (!walletCanWork || options.nowMs - sinceMs < options.earningGraceMs) continue;
    candidates.push({
      id: `earning-stopped:${c.competitionId}:${sinceMs}`,
      kind: 'earning-stopped',
      title: `${c.title}: not earning`,
      body: `Minerva stopped doing its work for ${c.title}. ${c.detail}`.trim(),
      href: c.href,
      at,
    });
  }
  return { next: { ...state, work }, candidates };
}
