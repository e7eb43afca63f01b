import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage, type BuiltBundleImage } from '@core/runtime/bundle';
import { listManagedContainers, removeManagedContainer } from '@core/runtime/managed';
import { reap } from '@core/runtime/reaper';
import { RuntimeService, scopeForDataDir } from '@core/runtime/runtime.service';
import { LABEL } from '@core/runtime/types';
import { buildImage, dockerForTests, fixture, REPO, testScope } from './helpers';

const env = await dockerForTests();

describe.skipIf(env.skip)('foreign containers are never touched; leftovers of a crash are reaped', () => {
  const t = testScope();
  let image: BuiltBundleImage;
  let foreign: Docker.Container;

  beforeAll(async () => {
    image = await buildImage(env.docker, fixture('probe-model'));
    const base = await ensureBaseImage(env.docker);
    // Someone else's container on the same engine: no Minerva labels at all.
    foreign = await env.docker.createContainer({
      Image: base.id,
      Cmd: ['-e', 'setInterval(() => {}, 1000)'],
      name: `not-minerva-${t.scope}`,
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    await foreign.start();
  });
  afterAll(async () => {
    // The test created the foreign container, so the test removes it (by its id).
    await foreign.remove({ force: true }).catch(() => undefined);
    await t.cleanup(env.docker);
    for (const c of await listManagedContainers(env.docker, [`${LABEL.scope}=${scopeForDataDir(t.dir)}`])) await removeManagedContainer(env.docker, c.id);
  });

  it('reaps the containers of a killed app at the next start, and leaves the foreign one running', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture('crashing-app.ts'), t.dir, image.reference], {
      cwd: REPO,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(REPO, 'tsconfig.tests.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const { ids, pid } = JSON.parse(line) as { ids: string[]; pid: number };
    expect(pid).toBe(child.pid);
    expect(ids).toHaveLength(2);
    child.kill('SIGKILL');
    await once(child, 'exit');

    const scope = scopeForDataDir(t.dir);
    const left = await listManagedContainers(env.docker, [`${LABEL.scope}=${scope}`]);
    expect(left.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(left.every((c) => c.state === 'running')).toBe(true);

    const runtime = new RuntimeService({ dataDir: t.dir, developerMode: () => false, redact: (s) => s, reaperIntervalMs: 3_600_000, idleStopMs: 0 });
    await runtime.start();
    const result = await runtime.reaped();
    expect(result?.removed.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(result?.removed[0]?.reason).toMatch(/pid \d+\) is gone/);
    expect(await listManagedContainers(env.docker, [`${LABEL.scope}=${scope}`])).toEqual([]);

    // Everything else the app does leaves the foreign container alone.
    const model = await runtime.ensureRunning({ key: 'job:c', role: { job: 'c' }, image: image.reference });
    expect((await runtime.containers()).map((c) => c.id)).toEqual([model.containerId]);
    await runtime.close();
    expect(await runtime.containers()).toEqual([]);
    expect((await foreign.inspect()).State.Running).toBe(true);
  });

  it('never lists, stops, removes or reaps an unlabeled container', async () => {
    const all = await listManagedContainers(env.docker);
    expect(all.some((c) => c.id === foreign.id)).toBe(false);
    await expect(removeManagedContainer(env.docker, foreign.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(new RuntimeService({ dataDir: t.dir, developerMode: () => false, redact: (s) => s }).isolation(foreign.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // A reaper that believes every owner is dead still cannot see it.
    const r = await reap({ docker: env.docker, scope: t.scope, instance: 'someone-else', isAlive: () => false });
    expect(r.removed.some((x) => x.id === foreign.id)).toBe(false);
    expect((await foreign.inspect()).State.Running).toBe(true);
  });

  it('keeps the containers of a live app of the same scope', async () => {
    const runtime = new RuntimeService({ dataDir: t.dir, developerMode: () => false, redact: (s) => s, reaperIntervalMs: 3_600_000, idleStopMs: 0 });
    const model = await runtime.ensureRunning({ key: 'job:d', role: { job: 'd' }, image: image.reference });
    // Another instance (this same live process, as far as the pid says) reaps: nothing goes.
    const r = await reap({ docker: env.docker, scope: runtime.scope, instance: 'another-instance' });
    expect(r.removed).toEqual([]);
    expect(r.kept).toBe(1);
    expect(await runtime.call('job:d', 'health', null)).toMatchObject({ ok: true });
    await runtime.close();
    expect(model.state).toBe('stopped');
  });
});
