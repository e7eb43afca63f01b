import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '@core/create-core';
import { openDatabase } from '@core/db/open';
import { JobsRepo } from '@core/inference/jobs.repo';
import { JOB_STATES, type JobState } from '@shared/contract/inference';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function seeded(n: number): { repo: JobsRepo; db: ReturnType<typeof openDatabase> } {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'minerva-jobs-')), 'minerva.db'), MIGRATIONS);
  const repo = new JobsRepo(db);
  db.transaction(() => {
    for (let i = 0; i < n; i += 1) {
      const row = repo.receive({ networkId: 'practice', competitionId: i % 2 ? 'a' : 'b', routerUrl: 'http://r', jobId: uuid(i), sessionId: 101, taskId: i, inputUrn: `urn:cts:payload:v2:101:${uuid(i)}`, deadline: 'd', leaseExpiresAt: 'l', nowMs: 1_000 + i });
      const state: JobState = i % 10 === 0 ? 'failed' : 'reported';
      repo.update(row.seq, { state, router_done: 1, total_ms: i % 100, finished_ms: 1_000 + i, ...(state === 'failed' ? { error_code: 'ENVELOPE_INVALID', error_message: 'words' } : {}) }, 1_000 + i);
    }
  })();
  return { repo, db };
}

describe('jobs repository', () => {
  it('lists newest first with filters, pages back, and counts per state for the filter', () => {
    const { repo } = seeded(200);
    const all = repo.list({ limit: 50 });
    expect(all.total).toBe(200);
    expect(all.jobs[0]?.taskId).toBe(199);
    expect(all.counts.failed).toBe(20);
    expect(all.counts.reported).toBe(180);
    const page2 = repo.list({ limit: 50, before: all.jobs.at(-1)!.id });
    expect(page2.jobs[0]?.taskId).toBe(149);
    const failedA = repo.list({ limit: 500, competitionId: 'a', states: ['failed'] });
    // i % 10 === 0 is even: competition b only
    expect(failedA.total).toBe(0);
    expect(failedA.counts.reported).toBe(100);
    const failedB = repo.list({ limit: 500, competitionId: 'b', states: ['failed'] });
    expect(failedB.jobs.every((j) => j.state === 'failed' && j.error?.code === 'ENVELOPE_INVALID')).toBe(true);
    expect(failedB.total).toBe(20);
    expect(Object.keys(all.counts).sort()).toEqual([...JOB_STATES].sort());
  });

  it('answers a 20,000-row list through indexes (no full sort), with stats over the window', () => {
    const { repo, db } = seeded(20_000);
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan("SELECT * FROM inference_jobs WHERE competition_id = 'a' ORDER BY seq DESC LIMIT 500")).not.toMatch(/TEMP B-TREE/);
    expect(plan("SELECT * FROM inference_jobs WHERE state IN ('failed') ORDER BY seq DESC LIMIT 500")).toMatch(/inference_jobs_state/);
    expect(plan('SELECT state, total_ms FROM inference_jobs WHERE finished_ms >= 5')).toMatch(/inference_jobs_finished/);
    const page = repo.list({ limit: 20_000 });
    expect(page.jobs).toHaveLength(20_000);
    expect(page.total).toBe(20_000);
    const stats = repo.stats(1_000 + 20_000, 10);
    expect(stats.reported).toBeGreaterThan(8_000);
    expect(stats.p50Ms).not.toBeNull();
    expect(stats.totalFailed).toBe(2_000);
    // One rate: the figure is the sum of the sessions' rates (same window, same definition).
    expect(stats.perCompetition.map((c) => c.competitionId).sort()).toEqual(['a', 'b']);
    expect(stats.perCompetition.reduce((n, c) => n + c.reported, 0)).toBe(stats.reported);
    expect(stats.perCompetition.find((c) => c.competitionId === 'a')?.jobsPerMinute).toBe(Math.round((stats.perCompetition.find((c) => c.competitionId === 'a')!.reported / 10) * 60 * 10) / 10);
  });

  it('a job leased again is the same row: restarted from its input, or reported from its stored URN', () => {
    const { repo } = seeded(0);
    const job = { networkId: 'practice', competitionId: 'a', routerUrl: 'http://r', jobId: uuid(1), sessionId: 101, taskId: 1, inputUrn: `urn:cts:payload:v2:101:${uuid(1)}`, deadline: 'd', leaseExpiresAt: 'l', nowMs: 5 };
    const first = repo.receive(job);
    repo.update(first.seq, { state: 'run' }, 6);
    expect(repo.receive(job)).toMatchObject({ seq: first.seq, state: 'queued', attempts: 1 });
    repo.update(first.seq, { state: 'report', result_urn: 'urn:x' }, 7);
    expect(repo.receive(job)).toMatchObject({ seq: first.seq, state: 'report', result_urn: 'urn:x' });
    expect(repo.open('practice', 'a').map((r) => r.seq)).toEqual([first.seq]);
    repo.update(first.seq, { state: 'reported', router_done: 1 }, 8);
    expect(repo.open('practice', 'a')).toEqual([]);
    // Leased again after it was reported (the router lost our report): report the same URN again.
    expect(repo.receive(job)).toMatchObject({ state: 'report', result_urn: 'urn:x', router_done: 0 });
  });
});
