import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltBundleImage } from '@core/runtime/bundle';
import { ModelContainer } from '@core/runtime/model-container';
import { buildImage, dockerForTests, fixture, testScope } from './helpers';

const env = await dockerForTests();

describe.skipIf(env.skip)('a model container is locked down (read back from the engine, and from inside)', () => {
  const t = testScope();
  let image: BuiltBundleImage;
  let model: ModelContainer;

  beforeAll(async () => {
    image = await buildImage(env.docker, fixture('probe-model'));
    model = new ModelContainer({ docker: env.docker, spec: { imageId: image.imageId, owner: t.owner, role: { job: 'isolation' } }, redact: (s) => s, healthIntervalMs: 0 });
    await model.start();
  });
  afterAll(async () => {
    await model.stop();
    await t.cleanup(env.docker);
  });

  it('has no network: only loopback exists, and connections and DNS fail', async () => {
    const r = (await model.call('infer', { action: 'network' }, { timeoutMs: 15_000 })) as Record<string, unknown>;
    expect(r.interfaces).toEqual(['lo']);
    expect(r.publicIp).toBe('ENETUNREACH');
    expect(r.hostGateway).toBe('ENETUNREACH');
    expect(r.dns).not.toBe('resolved');
  });

  it('has a read-only root and bundle, runs as nobody, and may only write its small tmpfs', async () => {
    const r = (await model.call('infer', { action: 'filesystem' })) as Record<string, unknown>;
    expect(r.root).toBe('EROFS');
    expect(r.model).toBe('EROFS');
    expect(r.tmp).toBe('ok');
    expect(r.uid).toBe(65534);
  });

  it('reports its isolation from docker inspect', async () => {
    const report = await model.isolation();
    expect(report).not.toBeNull();
    expect(report!.verdict).toEqual({ ok: true, findings: [] });
    expect(report!.network).toEqual({ mode: 'none', disabled: true, interfaces: [] });
    expect(report!.capabilities).toMatchObject({ dropped: ['ALL'], added: [], privileged: false, noNewPrivileges: true });
    expect(report!.limits).toMatchObject({ memoryBytes: 256 * 1024 ** 2, cpus: 1, pids: 64 });
    expect(report!.tmpfs[0]?.path).toBe('/tmp');
    expect(report!.logDriver).toBe('none');
    expect(report!.gpu.requested).toBe(false);
    expect(report!.labels.job).toBe('isolation');
    expect(report!.user).toBe('65534:65534');
  });
});
