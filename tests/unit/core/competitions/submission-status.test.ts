import { describe, expect, it } from 'vitest';
import { TERMINAL_SUBMISSION_STATUSES } from '@shared/contract/competitions';
import { statusPollDelay } from '@core/competitions/submission-status.flow';
import { COMPETITIONS_DEFAULTS } from '@core/competitions/competitions.config';
import { submissionVerdict } from '../../../../src-renderer/features/competitions/submission-words';

/**
 * Following a Platform submission (docs/networks.md "Platform"): the pace of the questions, which
 * of PRISM's statuses end it, and the words the card shows for each. The flow itself runs against a
 * real hub in tests/integration/bittensor/platform-bittensor.test.ts.
 */
describe('submission status: pace', () => {
  it('waits 5 s after the first answer, doubling to at most 5 min', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 20, 1000].map((n) => statusPollDelay(n, COMPETITIONS_DEFAULTS));
    expect(waits).toEqual([5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000]);
  });

  it('asks 20 unanswered times (over about 70 min) before it stops, and follows for 48 h', () => {
    const total = Array.from({ length: COMPETITIONS_DEFAULTS.statusMaxFailures - 1 }, (_, i) => statusPollDelay(i + 1, COMPETITIONS_DEFAULTS)).reduce((a, b) => a + b, 0);
    expect(total / 60_000).toBeCloseTo(70.25, 2);
    expect(COMPETITIONS_DEFAULTS.statusFollowMs).toBe(48 * 3_600_000);
  });
});

describe('submission status: PRISM’s statuses', () => {
  it('ends at completed, failed and rejected only (held waits for a review)', () => {
    expect([...TERMINAL_SUBMISSION_STATUSES].sort()).toEqual(['completed', 'failed', 'rejected']);
    for (const status of ['pending', 'running', 'held', 'queued']) expect(TERMINAL_SUBMISSION_STATUSES.includes(status)).toBe(false);
  });

  it('says each in words, with the score or the challenge’s reason', () => {
    const words = (status: string | null, score: number | null = null, reason: string | null = null) => submissionVerdict({ status, score, reason });
    expect(words('pending')).toEqual({ text: 'Waiting for the challenge to evaluate it', tone: 'wait' });
    expect(words('running')).toEqual({ text: 'Being evaluated by the challenge', tone: 'wait' });
    expect(words('held', null, 'looks like submission 4')).toEqual({ text: 'Held for review by the challenge: looks like submission 4', tone: 'wait' });
    expect(words('completed', 0.8125)).toEqual({ text: 'Scored 0.8125 by the challenge', tone: 'ok' });
    expect(words('completed', 0.123456789)).toEqual({ text: 'Scored 0.1235 by the challenge', tone: 'ok' });
    expect(words('completed', 1)).toEqual({ text: 'Scored 1 by the challenge', tone: 'ok' });
    expect(words('completed')).toEqual({ text: 'Evaluated by the challenge (no score given)', tone: 'ok' });
    expect(words('failed', null, 'Traceback: NameError')).toEqual({ text: 'The challenge’s evaluation failed: Traceback: NameError', tone: 'bad' });
    expect(words('rejected')).toEqual({ text: 'Rejected by the challenge', tone: 'bad' });
    expect(words('queued')).toEqual({ text: 'The challenge says “queued”', tone: 'wait' });
    expect(words(null)).toEqual({ text: 'The hub gave no status for it', tone: 'wait' });
  });
});
