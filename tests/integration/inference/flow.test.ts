/**
 * The job loop end to end through core: unlock, join the practice inference competition, and
 * completions sent to the real router come back decrypted and equal to what the text model
 * computes — through the core's worker, the real container and the router's offchain store.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceStatus, JobView, PlaygroundAnswer } from '@shared/contract/inference';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { RewardsView } from '@shared/contract/rewards';
import { call, completion, COMPETITION, expectedCompletion, joinInference, PASSWORD, SESSION, startParties, untilJobs, untilStatus, waitFor, type Parties } from './harness';

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

describe('private inference through core', () => {
  it('answers completions with the model’s output, reports each job once, and the Playground shows what the router stored', async () => {
    parties = await startParties();
    const { core, network, token } = parties;
    await joinInference(core);
    await call(core, 'inference.setConcurrency', { competitionId: COMPETITION, concurrency: 4 });
    const routerUrl = network.endpoints.router!;

    const batched: JobView[][] = [];
    core.events.onAny((m) => {
      if (m.event === 'inference.jobsChanged') batched.push((m.payload as { jobs: JobView[] }).jobs);
    });
    const prompts = ['The miller opened the gate', 'A quiet river ran past the mill', 'Bread and salt'];
    // The three jobs wait together while the wallet is locked, then start at once (one model start for all).
    await call(core, 'vault.lock');
    await untilStatus(core, (s) => s.workers[0]?.state === 'paused-locked');
    const pending = Promise.all(prompts.map((p) => completion(routerUrl, token, p)));
    await new Promise((r) => setTimeout(r, 500));
    await call(core, 'vault.unlock', { password: PASSWORD });
    const answers = await pending;
    for (const [i, a] of answers.entries()) {
      expect(a.status).toBe(200);
      expect(a.json.output).toBe(expectedCompletion(prompts[i]!));
      expect(a.json.model).toBe('text-ngram');
    }
    const jobs = await untilJobs(core, (js) => js.length === 3 && js.every((j) => j.state === 'reported'));
    // Jobs that arrived together shared one model start: one container.
    expect((await call<{ containers: unknown[] }>(core, 'runtime.containers')).containers).toHaveLength(1);
    const started = readFileSync(join(parties.dataDir, 'logs', 'minerva.log'), 'utf8').split('\n').filter((l) => l.includes('model container started'));
    expect(started).toHaveLength(1);
    for (const j of jobs) {
      expect(j.competitionId).toBe(COMPETITION);
      expect(j.sessionId).toBe(SESSION);
      expect(j.keyVersion).toBe('v1');
      expect(j.scopeType).toBe('session');
      expect(j.resultUrn).toMatch(/^urn:cts:payload:v2:101:/);
      expect(j.steps.map((s) => s.ms === null)).toEqual([false, false, false, false, false, false]);
      expect(j.totalMs).not.toBeNull();
      expect(j.inputBytes).toBeGreaterThan(0);
      expect(j.outputBytes).toBeGreaterThan(0);
    }
    // Each task appears once on the router, done with our URN.
    for (const j of jobs) {
      const view = (await (await fetch(`${routerUrl}/api/v2/sessions/${SESSION}/tasks/${j.taskId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string; result: { urn: string } };
      expect(view.state).toBe('done');
      expect(view.result.urn).toBe(j.resultUrn);
    }
    // Events came batched: fewer batches than row changes.
    expect(batched.flat().length).toBeGreaterThan(batched.length);

    const status = await call<InferenceStatus>(core, 'inference.status');
    expect(status.stats.totalReported).toBe(3);
    expect(status.stats.p50Ms).not.toBeNull();
    expect(status.warnings).toEqual([]);
    const rewards = await call<RewardsView>(core, 'rewards.get', { range: 'day' });
    expect(rewards.checklist.find((c) => c.id === 'worker')?.ok).toBe(true);
    const activity = rewards.checklist.find((c) => c.id === 'activity');
    expect(activity?.ok).toBe(true);
    expect(activity?.detail).toMatch(/^Job 101·\d+: answered and reported in \d+ ms \(/);

    // The Playground: the prompt through the router's completion API, back decrypted, with what the router stored.
    const play = await call<PlaygroundAnswer>(core, 'inference.playgroundSend', { competitionId: COMPETITION, prompt: 'The baker lit the oven' });
    expect(play.output).toBe(expectedCompletion('The baker lit the oven'));
    expect(play.stored.map((s) => [s.role, s.payloadType, s.keyVersion])).toEqual([
      ['input', 'encrypted', 'v1'],
      ['result', 'encrypted', 'v1'],
    ]);
    expect(play.stored.every((s) => s.ciphertextBytes > 0)).toBe(true);
    expect(play.jobRowId).not.toBeNull();
    const { jobs: mine } = await call<{ jobs: JobView[] }>(core, 'inference.jobs', { limit: 1 });
    expect(mine[0]?.id).toBe(play.jobRowId);
    expect(mine[0]?.taskId).toBe(play.taskId);

    // Nothing in the data folder (app database and WAL, logs, router database and blobs) holds a prompt or an output.
    const needles = [...prompts, 'The baker lit the oven', ...prompts.map((p) => expectedCompletion(p)), expectedCompletion('The baker lit the oven')].map((t) => Buffer.from(t));
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const files = walk(parties.dataDir);
    expect(files.some((f) => f.endsWith('minerva.db'))).toBe(true);
    for (const f of files) for (const n of needles) expect(readFileSync(f).includes(n), `${f} holds plaintext`).toBe(false);

    // Concurrency is kept (and survives a network switch).
    await call(core, 'inference.setConcurrency', { competitionId: COMPETITION, concurrency: 5 });
    const after = await waitFor<InferenceStatus>(core, 'inference.statusChanged', (s) => s.workers[0]?.concurrency === 5, 5_000).catch(() => call<InferenceStatus>(core, 'inference.status'));
    expect(after.workers[0]?.concurrency).toBe(5);

    // Another network: the Playground refuses in words; the worker stops, and comes back with the practice network.
    const added = await call<{ profiles: { id: string; name: string }[] }>(core, 'networks.add', { name: 'Elsewhere', chainUrl: network.endpoints.chain, hubUrl: network.endpoints.hub! });
    await call(core, 'networks.select', { id: added.profiles.find((p) => p.name === 'Elsewhere')!.id });
    await expect(call(core, 'inference.playgroundSend', { competitionId: COMPETITION, prompt: 'hello' })).rejects.toThrow(/UNSUPPORTED .*practice network only/);
    await untilStatus(core, (s) => s.workers.length === 0);
    await call(core, 'networks.select', { id: 'practice' });
    const back = await untilStatus(core, (s) => s.workers.some((w) => w.state === 'running'));
    expect(back.workers[0]?.concurrency).toBe(5);
  });

  it('answers a Playground prompt sent the moment the join resolves, before the worker’s own membership event has started it', async () => {
    parties = await startParties();
    const { core } = parties;
    await call(core, 'vault.create', { password: PASSWORD });
    await call(core, 'competitions.list', { refresh: true });
    // The moment the catalogue says "joined" (what the Competitions page shows), not a moment later when the worker runs.
    const joined = waitFor<CompetitionsView>(core, 'competitions.changed', (v) => v.competitions.some((c) => c.id === COMPETITION && c.membership?.state === 'joined'));
    await call(core, 'competitions.join', { id: COMPETITION });
    await joined;
    const play = await call<PlaygroundAnswer>(core, 'inference.playgroundSend', { competitionId: COMPETITION, prompt: 'Straight after joining' });
    expect(play.output).toBe(expectedCompletion('Straight after joining'));
    // Not joined: still refused in words.
    await call(core, 'competitions.leave', { id: COMPETITION });
    await expect(call(core, 'inference.playgroundSend', { competitionId: COMPETITION, prompt: 'hello' })).rejects.toThrow(/FORBIDDEN Join this competition first/);
  });
});
