import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JOB_STATES, type JobState, type JobView } from '@shared/contract/inference';
import { applyFilter, emptyIndex, indexFrom, JOB_LIMIT, formatRate, mergeBatch } from '../../../src-renderer/features/inference/jobs-model';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');

function job(n: number, patch: Partial<JobView> = {}): JobView {
  const at = new Date(T0 + n * 1000).toISOString();
  return {
    id: `row-${String(n).padStart(6, '0')}`,
    jobId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    competitionId: n % 3 === 0 ? 'other' : 'practice-inference',
    sessionId: n % 3 === 0 ? 102 : 101,
    taskId: n,
    inputUrn: `urn:x:${n}`,
    resultUrn: null,
    keyVersion: null,
    scopeType: null,
    state: 'queued',
    steps: [],
    totalMs: null,
    inputBytes: null,
    outputBytes: null,
    error: null,
    receivedAt: at,
    updatedAt: at,
    deadline: at,
    ...patch,
  };
}

const ids = (index: { order: string[] }) => index.order;

describe('the Jobs page index', () => {
  it('puts new jobs in front, newest first, and replaces known ones in place', () => {
    const index = indexFrom([job(1), job(3), job(2)]);
    expect(ids(index)).toEqual(['row-000003', 'row-000002', 'row-000001']);
    const fresh = mergeBatch(index, [job(5), job(2, { state: 'run', updatedAt: new Date(T0 + 9000).toISOString() }), job(4)]);
    expect(fresh).toBe(2);
    expect(ids(index)).toEqual(['row-000005', 'row-000004', 'row-000003', 'row-000002', 'row-000001']);
    expect(index.byId.get('row-000002')?.state).toBe('run');
  });

  it('orders jobs received in the same millisecond by core row number, not as text', () => {
    const index = indexFrom([job(1, { id: '9' }), job(1, { id: '10' }), job(1, { id: '100' })]);
    expect(ids(index)).toEqual(['100', '10', '9']);
    mergeBatch(index, [job(1, { id: '11' })]);
    expect(ids(index)).toEqual(['100', '11', '10', '9']);
  });

  it('keeps the newer copy when an older update arrives late', () => {
    const index = indexFrom([job(1, { state: 'reported', updatedAt: new Date(T0 + 5000).toISOString() })]);
    mergeBatch(index, [job(1, { state: 'run', updatedAt: new Date(T0 + 2000).toISOString() })]);
    expect(index.byId.get('row-000001')?.state).toBe('reported');
  });

  it('stays sorted and duplicate-free whatever order batches arrive in (late arrivals merged)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 20 }), { maxLength: 30 }), (batches) => {
        const index = emptyIndex();
        const all = new Set<number>();
        for (const batch of batches) {
          mergeBatch(index, batch.map((n) => job(n)));
          batch.forEach((n) => all.add(n));
        }
        const expected = [...all].sort((a, b) => b - a).map((n) => job(n).id);
        expect(ids(index)).toEqual(expected);
        expect(index.byId.size).toBe(expected.length);
      }),
    );
  });

  it('holds at most JOB_LIMIT jobs, dropping the oldest', () => {
    const index = indexFrom(Array.from({ length: JOB_LIMIT }, (_, i) => job(i)));
    mergeBatch(index, [job(JOB_LIMIT), job(JOB_LIMIT + 1)]);
    expect(index.order).toHaveLength(JOB_LIMIT);
    expect(index.byId.size).toBe(JOB_LIMIT);
    expect(index.order[0]).toBe(job(JOB_LIMIT + 1).id);
    expect(index.byId.has(job(0).id)).toBe(false);
    expect(index.byId.has(job(1).id)).toBe(false);
  });

  it('filters by competition and states in one pass, counting per state for the competition', () => {
    const states: JobState[] = ['reported', 'failed', 'run'];
    const index = indexFrom(Array.from({ length: 30 }, (_, i) => job(i, { state: states[i % 3] as JobState })));
    const everything = applyFilter(index, { competitionId: '', states: new Set() });
    expect(everything.ids).toHaveLength(30);
    expect(everything.total).toBe(30);
    expect(Object.keys(everything.counts).sort()).toEqual([...JOB_STATES].sort());

    const practice = applyFilter(index, { competitionId: 'practice-inference', states: new Set(['failed']) });
    // n % 3 === 0 is the other competition (and 'reported'); n % 3 === 1 failed, 2 run.
    expect(practice.total).toBe(20);
    expect(practice.counts).toMatchObject({ reported: 0, failed: 10, run: 10 });
    expect(practice.ids).toHaveLength(10);
    expect(practice.ids.every((id) => index.byId.get(id)?.state === 'failed' && index.byId.get(id)?.competitionId === 'practice-inference')).toBe(true);
  });

  it('writes a rate one way for the figure and the sessions table', () => {
    expect([formatRate(0), formatRate(0.6), formatRate(3), formatRate(12.4)]).toEqual(['0.0', '0.6', '3.0', '12']);
  });
});
