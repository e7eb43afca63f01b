/**
 * §2.2 as the miner lives it, against a router that decides by `ENCRYPTION_ALLOWED_LIST` alone
 * (no chain membership): not on the list → 403 and the key-safety warning; a global entry or a
 * session entry → jobs answered; a task entry → only that task is leased, and only its task key
 * is issued (a session-scoped input then fails with KEY_FORBIDDEN and the warning).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { InferenceStatus, JobView } from '@shared/contract/inference';
import type { RewardsView } from '@shared/contract/rewards';
import type { VaultOverview } from '@shared/contract/vault';
import { call, completion, COMPETITION, expectedCompletion, PASSWORD, SESSION, startParties, untilJobs, untilStatus, type Parties } from './harness';

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

const OTHER = `0x${'ab'.repeat(20)}`;
const worker = (s: InferenceStatus) => s.workers.find((w) => w.competitionId === COMPETITION);

describe('allowed list (§2.2) as the miner sees it', () => {
  it('global, session and task entries grant exactly their scope; a miner not on the list gets 403 and the warning', async () => {
    parties = await startParties({ withRouter: false, env: { MINERVA_INFERENCE_BACKOFF_BASE_MS: '50', MINERVA_INFERENCE_BACKOFF_MAX_MS: '300', MINERVA_INFERENCE_POLL_WAIT_S: '1', MINERVA_INFERENCE_FORBIDDEN_RETRY_MS: '200' } });
    const { core, token, ownRouter: own } = parties;
    const restart = (allowed: string, taskScopedInputs = false) => own.restart(allowed, { taskScopedInputs });

    const overview = await call<VaultOverview>(core, 'vault.create', { password: PASSWORD });
    const eoa = overview.identities.find((i) => i.role === 'eoa')!.address;
    // Not on the list (the chain is not asked): every poll is refused.
    await restart(OTHER);
    await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
    await call(core, 'competitions.join', { id: COMPETITION });
    const refused = await untilStatus(core, (s) => worker(s)?.state === 'forbidden');
    expect(worker(refused)?.detail).toMatch(/not on the session's allowed list/);
    expect(refused.warnings).toEqual([{ competitionId: COMPETITION, code: 'KEY_FORBIDDEN', message: expect.stringContaining(eoa) as string }]);
    const rewards = await call<RewardsView>(core, 'rewards.get', { range: 'day' });
    expect(rewards.checklist.find((c) => c.id === 'worker')).toMatchObject({ ok: false, detail: expect.stringMatching(/allowed list/) as string });

    // Global entry: any scope.
    await restart(`${OTHER};${eoa}`);
    const ok = await untilStatus(core, (s) => worker(s)?.state === 'running');
    expect(ok.warnings).toEqual([]);
    let r = await completion(own.running.url, token, 'global entry prompt', 30);
    expect(r.json.output).toBe(expectedCompletion('global entry prompt'));

    // Session entry (lowercase, compared case-insensitively).
    await restart(`${SESSION}:${eoa.toLowerCase()}`);
    await untilStatus(core, (s) => worker(s)?.state === 'running');
    r = await completion(own.running.url, token, 'session entry prompt', 30);
    expect(r.json.output).toBe(expectedCompletion('session entry prompt'));

    // Task entry with session-scoped inputs: that task's job is leased, but the session key is refused.
    await call(core, 'vault.lock'); // wipes the keys fetched so far
    await call(core, 'vault.unlock', { password: PASSWORD });
    let task = own.running.repository.nextTaskId(SESSION) + 1;
    await restart(`${SESSION}-${task}:${eoa}`);
    await untilStatus(core, (s) => worker(s)?.state === 'running');
    r = await completion(own.running.url, token, 'task entry, session key', 30);
    expect(r).toMatchObject({ status: 502, json: { error: { code: 'MINER_FAILED' } } });
    const failed = await untilJobs(core, (js) => js.some((j) => j.taskId === task && j.state === 'failed'));
    expect(failed.find((j) => j.taskId === task)?.error).toMatchObject({ code: 'KEY_FORBIDDEN', message: expect.stringMatching(/not on the session's allowed list/) as string });
    const warned = await call<InferenceStatus>(core, 'inference.status');
    expect(warned.warnings[0]?.message).toContain(eoa);
    // The next task is not this address's: it is never leased to it.
    r = await completion(own.running.url, token, 'not my task', 2);
    expect(r.status).toBe(504);
    expect((await call<{ jobs: JobView[] }>(core, 'inference.jobs', { limit: 100 })).jobs.some((j) => j.taskId === task + 1)).toBe(false);

    // Task entry with task-scoped inputs: the task key is issued and the job answered.
    task = own.running.repository.nextTaskId(SESSION) + 1;
    await restart(`${SESSION}-${task}:${eoa}`, true);
    r = await completion(own.running.url, token, 'task entry, task key', 30);
    expect(r.json.output).toBe(expectedCompletion('task entry, task key'));
    const done = await untilJobs(core, (js) => js.some((j) => j.taskId === task && j.state === 'reported'));
    expect(done.find((j) => j.taskId === task)?.scopeType).toBe('task');
    await untilStatus(core, (s) => s.warnings.length === 0 && worker(s)?.state === 'running');
  });
});
