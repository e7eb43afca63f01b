/**
 * The Runner page's list of coordinator calls is filled from `runner.changed` events and from
 * `runner.calls` answers, in whatever order they arrive: merged by id, newest first, each once.
 */
import { describe, expect, it } from 'vitest';
import type { RunnerCallView } from '@shared/contract/runner';
import { CALLS_SHOWN, mergeCalls } from '../../../src-renderer/features/runner/runner-store';

const call = (id: number): RunnerCallView => ({ id, at: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(), method: id % 2 ? 'Call:tick' : 'Call:predict', outcome: 'accepted', reason: null, status: 'SUCCESS', ms: 1 });
const ids = (calls: RunnerCallView[]): number[] => calls.map((c) => c.id);

describe('mergeCalls', () => {
  it('keeps calls an event carried while an older list was being fetched, and repeats none', () => {
    const fromEvents = [call(12), call(11), call(10)];
    const fetched = [call(10), call(9), call(8)]; // asked before 11 and 12 were stored
    expect(ids(mergeCalls(fromEvents, fetched))).toEqual([12, 11, 10, 9, 8]);
    expect(ids(mergeCalls(fetched, fromEvents))).toEqual([12, 11, 10, 9, 8]);
  });

  it('keeps only the newest the page shows', () => {
    const many = Array.from({ length: CALLS_SHOWN + 7 }, (_, i) => call(i + 1));
    const merged = mergeCalls([], many);
    expect(merged).toHaveLength(CALLS_SHOWN);
    expect(merged[0]!.id).toBe(CALLS_SHOWN + 7);
    expect(merged.at(-1)!.id).toBe(8);
  });
});
