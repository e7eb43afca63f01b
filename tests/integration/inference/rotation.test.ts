/**
 * §2.8 rotation while core's worker serves the session: the key is fetched per (scope,
 * key_version) of each input; a result is sealed under its input's version even after the router
 * moved on (its active version is then another); completions flowing during a rotation all come
 * back right.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '@shared/contract/inference';
import { rotate } from '@devnet/router/operator';
import { call, completion, COMPETITION, expectedCompletion, joinInference, SESSION, startParties, untilJobs, type Parties } from './harness';

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

describe('rotation mid-run', () => {
  it('keeps each result at its input’s key version and loses no job', async () => {
    parties = await startParties({ proxy: true });
    const { core, network, token, proxy, dataDir } = parties;
    const router = network.router!;
    await joinInference(core);
    await call(core, 'inference.setConcurrency', { competitionId: COMPETITION, concurrency: 4 });

    // A job read at v1 whose upload is held until the router's active version is v2.
    proxy!.rule(/^PUT \/api\/v2\/offchain(\/|$)/, 'hold');
    const held = completion(router.url, token, 'sealed before the rotation', 60);
    await untilJobs(core, (js) => js.some((j) => j.state === 'upload') && proxy!.held() > 0);
    const rotated = await rotate({ dataDir });
    expect(rotated).toMatchObject({ fromVersion: 'v1', toVersion: 'v2', failed: [] });
    expect(router.reloadKeyring()).toBe('v2');
    proxy!.clear();
    proxy!.release();
    expect((await held).json.output).toBe(expectedCompletion('sealed before the rotation'));
    const [first] = await untilJobs(core, (js) => js.length === 1 && js[0]!.state === 'reported');
    expect(first!.keyVersion).toBe('v1');
    const view = (await (await fetch(`${router.url}/api/v2/sessions/${SESSION}/tasks/${first!.taskId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      input: { key_version: string };
      result: { key_version: string; urn: string };
    };
    // The backfill moved the stored input to v2; the result keeps the version its input had when read.
    expect(view.input.key_version).toBe('v2');
    expect(view.result).toMatchObject({ key_version: 'v1', urn: first!.resultUrn });

    // Completions flowing through another rotation: every one answered, under v2 and v3.
    const prompts = Array.from({ length: 10 }, (_, i) => `flowing prompt number ${i}`);
    const early = prompts.slice(0, 5).map((p) => completion(router.url, token, p, 60));
    await new Promise((r) => setTimeout(r, 150));
    expect((await rotate({ dataDir })).failed).toEqual([]);
    router.reloadKeyring();
    const late = prompts.slice(5).map((p) => completion(router.url, token, p, 60));
    const answers = await Promise.all([...early, ...late]);
    expect(answers.map((a) => a.json.output)).toEqual(prompts.map((p) => expectedCompletion(p)));
    const jobs = await untilJobs(core, (js) => js.length === 11 && js.every((j) => j.state === 'reported'));
    const versions = new Set(jobs.map((j: JobView) => j.keyVersion));
    expect(versions.has('v3')).toBe(true);
    expect(new Set(jobs.map((j) => j.taskId)).size).toBe(11);
  });
});
