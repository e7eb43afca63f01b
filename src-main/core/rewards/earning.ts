/**
 * "Work done, nothing paid": the checklist's verdict on whether the work this miner did for each
 * joined competition was paid. Pure (no I/O), so the rules are unit-tested on their own
 * (tests/unit/core/rewards/earning.test.ts).
 *
 * A network pays per epoch, after the epoch ends (the practice router, coordinator and validator
 * alike). Work done at least `PAYABLE_AFTER_EPOCHS` epochs ago should have been paid by now; the
 * verdict looks back `LOOKBACK_EPOCHS` epochs (at most a day) and compares that work with what the
 * chain paid for the competition over the same span.
 */
import type { ChecklistItem, EarningVerdict } from '@shared/contract/rewards';
import { amountText, isPositiveAmount, type AmountValue } from '@shared/format/amount';

/** Work older than this many epochs should have been paid (one full epoch end, plus slack for settling). */
export const PAYABLE_AFTER_EPOCHS = 2;
/** How far back the verdict looks, in epochs (capped at a day). */
export const LOOKBACK_EPOCHS = 5;
const DAY_MS = 86_400_000;

export interface WorkCount {
  count: number;
  /** How to name one unit and many, e.g. "job reported" / "jobs reported". */
  one: string;
  many: string;
}

export interface EarningInput {
  competitionId: string;
  title: string;
  kind: string;
  /** Length of one epoch in time (epoch blocks × block time). */
  epochMs: number;
  /** Work done in [now − lookback, now − PAYABLE_AFTER_EPOCHS epochs]: old enough to be paid. */
  payableWork: WorkCount | null;
  /** Work done in the last PAYABLE_AFTER_EPOCHS epochs (not expected to be paid yet). */
  recentWork: WorkCount | null;
  /** What the chain paid for this competition over the lookback (whole tokens; a decimal string keeps it exact). */
  paid: AmountValue;
  symbol: string;
}

/** The look-back window of a competition (ms), and where "old enough to be paid" ends. */
export function earningWindows(epochMs: number, nowMs: number): { since: number; payableUntil: number } {
  const lookback = Math.min(LOOKBACK_EPOCHS * epochMs, DAY_MS);
  return { since: nowMs - lookback, payableUntil: nowMs - Math.min(PAYABLE_AFTER_EPOCHS * epochMs, lookback) };
}

/** A duration in plain words, rounded: "45 seconds", "3 minutes", "2 hours". */
export function spanWords(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 90) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  return `${h} hour${h === 1 ? '' : 's'}`;
}

/** The same with "about": "about 3 minutes". */
export function aboutDuration(ms: number): string {
  return `about ${spanWords(ms)}`;
}

function counted(w: WorkCount): string {
  return `${w.count} ${w.count === 1 ? w.one : w.many}`;
}

/** What to do when a competition of this kind did work and was not paid. */
function nextStep(kind: string): { words: string; fix: { label: string; href: string } } {
  switch (kind) {
    case 'private-inference':
      return {
        words: "The router pays at the end of each epoch for the jobs it accepted, to the hotkey you joined with. Join again to renew your session membership; if it still does not pay, the network's router is not paying — tell its operator (on the practice network, restart Minerva).",
        fix: { label: 'Join again', href: '#/competitions' },
      };
    case 'model-runner':
      return {
        words: "The coordinator pays the payout hotkey your runner registered, after each epoch. Check the runner's registration on the Model runner page; if it is current, the coordinator is not paying — tell the network's operator.",
        fix: { label: 'Open Model runner', href: '#/runner' },
      };
    case 'checkpoint':
      return {
        words: 'The validator pays each round after it closes, in proportion to the scores of accepted checkpoints; a score of 0 earns nothing. Check the verdicts on the Checkpoints page; if they scored above 0, the validator is not paying — tell the network’s operator.',
        fix: { label: 'Open Checkpoints', href: '#/checkpoints' },
      };
    default:
      return { words: 'The network has not paid for this work. Tell its operator.', fix: { label: 'Open Competitions', href: '#/competitions' } };
  }
}

/** One competition's verdict. */
export function earningVerdict(input: EarningInput): EarningVerdict {
  const base = { competitionId: input.competitionId, title: input.title, kind: input.kind };
  const lookback = spanWords(Math.min(LOOKBACK_EPOCHS * input.epochMs, DAY_MS));
  const payable = input.payableWork?.count ?? 0;
  const recent = input.recentWork?.count ?? 0;
  if (isPositiveAmount(input.paid)) {
    const work = input.payableWork && payable > 0 ? ` for ${counted(input.payableWork)}` : '';
    return { ...base, state: 'paid', words: `${input.title}: paid ${amountText(input.paid, input.symbol, { fractionDigits: 4 })}${work} in the last ${lookback}.`, next: null, fix: null };
  }
  if (payable > 0) {
    const step = nextStep(input.kind);
    return {
      ...base,
      state: 'unpaid',
      words: `${input.title}: ${counted(input.payableWork!)} in the last ${lookback} and nothing paid (a payment was due at the end of each epoch, every ${spanWords(input.epochMs)}).`,
      next: step.words,
      fix: step.fix,
    };
  }
  if (recent > 0) {
    return {
      ...base,
      state: 'waiting',
      words: `${input.title}: ${counted(input.recentWork!)} just now; the first payment comes after the epoch ends (within ${aboutDuration(PAYABLE_AFTER_EPOCHS * input.epochMs)}).`,
      next: null,
      fix: null,
    };
  }
  return { ...base, state: 'idle', words: `${input.title}: no work done in the last ${lookback}.`, next: null, fix: null };
}

/** The checklist item over every joined competition: failing as soon as one did work and was not paid. */
export function earningChecklistItem(verdicts: readonly EarningVerdict[]): ChecklistItem {
  const label = 'Work done is being paid';
  const unpaid = verdicts.filter((v) => v.state === 'unpaid');
  if (unpaid.length > 0) {
    const detail = unpaid.map((v) => `${v.words} ${v.next ?? ''}`.trim()).join(' ');
    return { id: 'earning', ok: false, label, detail, fix: unpaid[0]!.fix };
  }
  const paid = verdicts.filter((v) => v.state === 'paid');
  const waiting = verdicts.filter((v) => v.state === 'waiting');
  if (paid.length > 0) return { id: 'earning', ok: true, label, detail: [...paid, ...waiting].map((v) => v.words).join(' '), fix: null };
  if (waiting.length > 0) return { id: 'earning', ok: null, label, detail: waiting.map((v) => v.words).join(' '), fix: null };
  return { id: 'earning', ok: null, label, detail: verdicts.length === 0 ? 'Join a competition and do its work to earn.' : 'No work done recently, so nothing to be paid for yet.', fix: null };
}

/** One kind of work's latest activity and the page (`#/…`) that shows that work. */
export interface PagedActivity {
  at: string;
  ok: boolean | null;
  detail: string;
  href: string;
}

/** The checklist's "Last job or submission": the newest activity of any kind, linking to its own page. */
export function latestActivity(candidates: readonly PagedActivity[], when: (iso: string) => string): { ok: boolean | null; detail: string; href: string } {
  const latest = [...candidates].sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
  if (!latest) return { ok: null, detail: 'No jobs or submissions yet.', href: '#/dashboard' };
  return { ok: latest.ok, detail: `${latest.detail} (${when(latest.at)})`, href: latest.href };
}
