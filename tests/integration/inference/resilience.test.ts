/**
 * What the job loop does when things go wrong around it: a locked wallet pauses jobs (none
 * fails) until the unlock; a router answering 503 puts the worker in backoff and no job is lost;
 * a restart resumes each unfinished job — reporting a result whose URN was stored, redoing one
 * whose result was not — and nothing is reported twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceStatus, JobView } from '@shared/contract/inference';
import type { RewardsView } from '@shared/contract/rewards';
import { call, completion, COMPETITION, expectedCompletion, joinInference, PASSWORD, SESSION, startParties, untilJobs, untilStatus, type Parties } from './harness';

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

const worker = (s: InferenceStatus) => s.workers.find((w) => w.competitionId === COMPETITION);

describe('job loop resilience', () => {
  it('a locked wallet pauses jobs without failing them; the unlock resumes them', async () => {
    parties = await startParties();
    const { core, network, token } = parties;
    await joinInference(core);
    await call(core, 'vault.lock');
    const paused = await untilStatus(core, (s) => worker(s)?.state === 'paused-locked');
    expect(worker(paused)?.detail).toMatch(/waiting for your password/i);
    expect(worker(paused)?.detail).not.toMatch(/nothing is lost/i);
    const rewards = await call<RewardsView>(core, 'rewards.get', { range: 'day' });
    expect(rewards.checklist.find((c) => c.id === 'worker')?.detail).toContain('waiting for your password');
    await expect(call(core, 'inference.playgroundSend', { competitionId: COMPETITION, prompt: 'hello' })).rejects.toThrow(/VAULT_LOCKED Unlock your wallet first/);

    const prompt = 'The miller opened the gate';
    const answer = completion(network.endpoints.router!, token, prompt, 60);
    await new Promise((r) => setTimeout(r, 1500));
    const { jobs } = await call<{ jobs: JobView[] }>(core, 'inference.jobs', { limit: 10 });
    expect(jobs.filter((j) => j.state === 'failed')).toEqual([]);
    await call(core, 'vault.unlock', { password: PASSWORD });
    const done = await answer;
    expect(done.status).toBe(200);
    expect(done.json.output).toBe(expectedCompletion(prompt));
    await untilStatus(core, (s) => worker(s)?.state === 'running');
    const after = await call<RewardsView>(core, 'rewards.get', { range: 'day' });
    expect(after.checklist.find((c) => c.id === 'worker')?.ok).toBe(true);
  });

  it('backs off while the router answers 503, loses no job, and a restart resumes unfinished jobs without reporting twice', async () => {
    parties = await startParties({ proxy: true, env: { MINERVA_INFERENCE_BACKOFF_BASE_MS: '50', MINERVA_INFERENCE_BACKOFF_MAX_MS: '400', MINERVA_INFERENCE_POLL_WAIT_S: '1' } });
    const { network, token, proxy } = parties;
    let core = parties.core;
    await joinInference(core);
    const routerUrl = network.endpoints.router!;

    // Router down (503 on polls, then on everything): backoff, then the job goes through.
    proxy!.rule(/^GET \/api\/v2\/miner\/jobs$/, '503');
    const backing = await untilStatus(core, (s) => worker(s)?.state === 'backoff');
    expect(worker(backing)?.retryAt).not.toBeNull();
    expect(worker(backing)?.detail).toMatch(/503/);
    const a = completion(routerUrl, token, 'first prompt of the day', 60);
    await new Promise((r) => setTimeout(r, 800));
    proxy!.clear();
    expect((await a).json.output).toBe(expectedCompletion('first prompt of the day'));

    // The report never arrives: the URN is stored; the app stops; the next start reports it.
    proxy!.rule(/\/result$/, 'hold');
    const b = completion(routerUrl, token, 'second prompt', 60);
    const [stuckB] = await untilJobs(core, (js) => js.some((j) => j.state === 'report' && j.resultUrn !== null && proxy!.held() > 0));
    const rowB = (await call<{ jobs: JobView[] }>(core, 'inference.jobs', { limit: 10, states: ['report'] })).jobs[0]!;
    expect(stuckB).toBeDefined();
    await core.close();
    proxy!.dropHeld();
    proxy!.clear();
    const putsBefore = proxy!.seen.filter((l) => l.startsWith('PUT /api/v2/offchain')).length;
    core = parties.open();
    await call(core, 'vault.unlock', { password: PASSWORD });
    expect((await b).json.output).toBe(expectedCompletion('second prompt'));
    const resumedB = await untilJobs(core, (js) => js.find((j) => j.id === rowB.id)?.state === 'reported');
    expect(resumedB.find((j) => j.id === rowB.id)?.resultUrn).toBe(rowB.resultUrn);
    expect(proxy!.seen.filter((l) => l.startsWith('PUT /api/v2/offchain')).length).toBe(putsBefore);

    // The upload never arrives: its chosen URN is recorded but the router holds nothing under it;
    // the next start finds nothing there and redoes the job from its input, under the same URN.
    proxy!.rule(/^PUT \/api\/v2\/offchain(\/|$)/, 'hold');
    const c = completion(routerUrl, token, 'third prompt', 60);
    await untilJobs(core, (js) => js.some((j) => j.state === 'upload') && proxy!.held() > 0);
    await core.close();
    proxy!.dropHeld();
    proxy!.clear();
    core = parties.open();
    await call(core, 'vault.unlock', { password: PASSWORD });
    expect((await c).json.output).toBe(expectedCompletion('third prompt'));
    const all = await untilJobs(core, (js) => js.length === 3 && js.every((j) => j.state === 'reported'));
    // One row per task, each done on the router with the URN we stored.
    expect(new Set(all.map((j) => j.taskId)).size).toBe(3);
    for (const j of all) {
      const view = (await (await fetch(`${routerUrl}/api/v2/sessions/${SESSION}/tasks/${j.taskId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string; result: { urn: string } };
      expect(view).toMatchObject({ state: 'done', result: { urn: j.resultUrn } });
    }
    // Each result was reported with one URN: the router's 200s for /result match the tasks.
    expect(proxy!.seen.filter((l) => l.endsWith('/result')).length).toBeGreaterThanOrEqual(3);
  });
});
