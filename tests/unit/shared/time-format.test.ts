import { describe, expect, it } from 'vitest';
import { formatBlocks, formatClock, formatDuration } from '@shared/format/time';

describe('one time format', () => {
  const now = new Date(2026, 11, 6, 15, 0, 0).getTime();

  it('writes a moment of today as a 24-hour clock with seconds, and another day with its date', () => {
    expect(formatClock(new Date(2026, 11, 6, 9, 5, 7), { now })).toBe('09:05:07');
    expect(formatClock(new Date(2026, 11, 5, 23, 59, 59).toISOString(), { now })).toBe('2026-12-05 23:59');
    expect(formatClock(new Date(2026, 11, 7, 0, 0, 1).getTime(), { now })).toBe('2026-12-07 00:00');
    expect(formatClock('2026-12-06T03:04:05.000Z', { now: Date.parse('2026-12-06T20:00:00Z'), utc: true })).toBe('03:04:05 UTC');
    expect(formatClock('2026-11-24T10:48:00.000Z', { now: Date.parse('2026-12-06T20:00:00Z'), utc: true })).toBe('2026-11-24 10:48 UTC');
  });

  it('says nothing it cannot read: a dash for a missing moment, the text itself when it is not a time', () => {
    expect(formatClock(null)).toBe('—');
    expect(formatClock(undefined)).toBe('—');
    expect(formatClock('')).toBe('—');
    expect(formatClock('soon')).toBe('soon');
    expect(formatClock(Number.NaN)).toBe('—');
  });

  it('writes a length of time in its two largest units', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(4.25)).toBe('4.3 ms');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4_500)).toBe('4.5 s');
    expect(formatDuration(12_345)).toBe('12 s');
    expect(formatDuration(59_400)).toBe('59 s');
    expect(formatDuration(59_800)).toBe('1 min');
    expect(formatDuration(270_000)).toBe('4 min 30 s');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000 + 7_000)).toBe('2 h 5 min');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h');
    expect(formatDuration(86_400_000)).toBe('1 d');
    expect(formatDuration(-90_000)).toBe('-1 min 30 s');
    expect(formatDuration(null)).toBe('—');
  });

  it('shows blocks with the time they take, and blocks alone when the block time is unknown', () => {
    expect(formatBlocks(30, 2000)).toBe('30 blocks (about 1 min)');
    expect(formatBlocks(30, 300)).toBe('30 blocks (about 9 s)');
    expect(formatBlocks(1, 12_000)).toBe('1 block (about 12 s)');
    expect(formatBlocks(7200, 12_000)).toBe('7200 blocks (about 1 d)');
    expect(formatBlocks(30, null)).toBe('30 blocks');
  });
});
