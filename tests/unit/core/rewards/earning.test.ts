/** The checklist's "work done, nothing paid" rules (src-main/core/rewards/earning.ts), for every kind of competition. */
import { describe, expect, it } from 'vitest';
import { aboutDuration, earningChecklistItem, earningVerdict, earningWindows, latestActivity, LOOKBACK_EPOCHS, PAYABLE_AFTER_EPOCHS, type EarningInput } from '@core/rewards/earning';

const EPOCH = 60_000; // the practice network: 30 blocks of 2 s
const jobs = (count: number) => ({ count, one: 'job reported', many: 'jobs reported' });
const rounds = (count: number) => ({ count, one: 'round served', many: 'rounds served' });
const checkpoints = (count: number) => ({ count, one: 'checkpoint accepted', many: 'checkpoints accepted' });

function input(over: Partial<EarningInput>): EarningInput {
  return { competitionId: 'practice-inference', title: 'Private inference', kind: 'private-inference', epochMs: EPOCH, payableWork: jobs(0), recentWork: jobs(0), paid: 0, symbol: 'PRAC', ...over };
}

describe('earningVerdict', () => {
  it('work old enough to be paid and nothing paid: unpaid, with the numbers, the epoch and what to do next', () => {
    const v = earningVerdict(input({ payableWork: jobs(172), recentWork: jobs(3) }));
    expect(v.state).toBe('unpaid');
    expect(v.words).toBe('Private inference: 172 jobs reported in the last 5 minutes and nothing paid (a payment was due at the end of each epoch, every 60 seconds).');
    expect(v.next).toMatch(/router pays at the end of each epoch.*Join again/);
    expect(v.fix).toEqual({ label: 'Join again', href: '#/competitions' });
  });

  it('catches it for every kind, each with its own next step', () => {
    const runner = earningVerdict(input({ competitionId: 'practice-runner', title: 'Runner', kind: 'model-runner', epochMs: 120_000, payableWork: rounds(1) }));
    expect(runner.state).toBe('unpaid');
    expect(runner.words).toContain('1 round served');
    expect(runner.fix?.href).toBe('#/runner');
    const ckpt = earningVerdict(input({ competitionId: 'practice-checkpoint', title: 'Checkpoints', kind: 'checkpoint', payableWork: checkpoints(2) }));
    expect(ckpt.state).toBe('unpaid');
    expect(ckpt.words).toContain('2 checkpoints accepted');
    expect(ckpt.next).toContain('a score of 0 earns nothing');
    expect(ckpt.fix?.href).toBe('#/checkpoints');
    const other = earningVerdict(input({ kind: 'something-new', payableWork: jobs(1) }));
    expect(other.state).toBe('unpaid');
    expect(other.next).toMatch(/operator/);
  });

  it('anything paid over the look-back is paid; only recent work is waiting; no work is idle', () => {
    expect(earningVerdict(input({ payableWork: jobs(10), paid: 33.3333 })).state).toBe('paid');
    expect(earningVerdict(input({ payableWork: jobs(10), paid: 33.3333 })).words).toBe('Private inference: paid 33.3333 PRAC for 10 jobs reported in the last 5 minutes.');
    // A tiny payment is paid, and says how much as a plain decimal (it once read "paid 0 PRAC").
    expect(earningVerdict(input({ payableWork: jobs(1), paid: '0.0000001' })).words).toBe('Private inference: paid 0.0000001 PRAC for 1 job reported in the last 5 minutes.');
    expect(earningVerdict(input({ payableWork: jobs(1), paid: '123456789012345678901.5' })).words).toBe('Private inference: paid 123,456,789,012,345,678,901.5 PRAC for 1 job reported in the last 5 minutes.');
    const waiting = earningVerdict(input({ recentWork: jobs(1) }));
    expect(waiting.state).toBe('waiting');
    expect(waiting.words).toContain('1 job reported just now');
    expect(earningVerdict(input({})).state).toBe('idle');
    // A kind that reports no work (null) is idle, not unpaid.
    expect(earningVerdict(input({ payableWork: null, recentWork: null })).state).toBe('idle');
  });
});

describe('earningWindows', () => {
  it(`looks back ${LOOKBACK_EPOCHS} epochs and counts as payable what is older than ${PAYABLE_AFTER_EPOCHS}`, () => {
    expect(earningWindows(EPOCH, 1_000_000)).toEqual({ since: 1_000_000 - 5 * EPOCH, payableUntil: 1_000_000 - 2 * EPOCH });
  });

  it('never looks back more than a day (long epochs)', () => {
    const day = 86_400_000;
    const w = earningWindows(12 * 3_600_000, 10 * day);
    expect(w.since).toBe(9 * day);
    expect(w.payableUntil).toBe(9 * day);
  });
});

describe('earningChecklistItem', () => {
  it('fails when any competition did work and was not paid, even if another was paid', () => {
    const item = earningChecklistItem([
      earningVerdict(input({ competitionId: 'practice-checkpoint', title: 'Checkpoints', kind: 'checkpoint', payableWork: checkpoints(1), paid: 200 })),
      earningVerdict(input({ payableWork: jobs(172) })),
    ]);
    expect(item.id).toBe('earning');
    expect(item.ok).toBe(false);
    expect(item.label).toBe('Work done is being paid');
    expect(item.detail).toMatch(/^Private inference: 172 jobs reported .* nothing paid .*Join again/);
    expect(item.fix).toEqual({ label: 'Join again', href: '#/competitions' });
  });

  it('passes when work is paid; unknown while the only work is too recent or there is none', () => {
    expect(earningChecklistItem([earningVerdict(input({ payableWork: jobs(3), paid: 100 }))]).ok).toBe(true);
    const waiting = earningChecklistItem([earningVerdict(input({ recentWork: jobs(1) }))]);
    expect(waiting.ok).toBeNull();
    expect(waiting.detail).toContain('first payment comes after the epoch ends');
    expect(earningChecklistItem([earningVerdict(input({}))]).ok).toBeNull();
    expect(earningChecklistItem([]).detail).toBe('Join a competition and do its work to earn.');
  });
});

describe('aboutDuration', () => {
  it('says durations in time', () => {
    expect([aboutDuration(4_500), aboutDuration(60_000), aboutDuration(300_000), aboutDuration(4 * 3_600_000)]).toEqual(['about 5 seconds', 'about 60 seconds', 'about 5 minutes', 'about 4 hours']);
  });
});

describe('latestActivity', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 3, minute)).toISOString();
  it('names the newest work of any kind and links to that work’s own page (a failed job goes to Jobs, not Checkpoints)', () => {
    const v = latestActivity(
      [
        { at: at(1), ok: true, detail: 'Checkpoint accepted', href: '#/checkpoints' },
        { at: at(5), ok: false, detail: 'Job 7: the model failed', href: '#/jobs' },
        { at: at(3), ok: true, detail: 'Coordinator calls', href: '#/runner' },
      ],
      (iso) => iso.slice(11, 16),
    );
    expect(v).toEqual({ ok: false, detail: 'Job 7: the model failed (03:05)', href: '#/jobs' });
  });
  it('no work yet: unknown, not failed', () => {
    expect(latestActivity([], String)).toEqual({ ok: null, detail: 'No jobs or submissions yet.', href: '#/dashboard' });
  });
});
