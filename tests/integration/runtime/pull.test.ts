import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltBundleImage } from '@core/runtime/bundle';
import { pullImage, type PullProgress } from '@core/runtime/images';
import { RuntimeService } from '@core/runtime/runtime.service';
import { buildImage, dockerForTests, fixture, testScope } from './helpers';
import { startLocalRegistry, type LocalRegistry } from './fixtures/local-registry';

const env = await dockerForTests();

describe.skipIf(env.skip)('pulling a pinned image with progress (from a registry on 127.0.0.1)', () => {
  const t = testScope();
  let image: BuiltBundleImage;
  let registry: LocalRegistry;
  let name: string;

  beforeAll(async () => {
    image = await buildImage(env.docker, fixture('probe-model'));
    registry = await startLocalRegistry(env.docker, image.imageId, `minerva-test/pull-${t.scope}`, 'v1');
    name = `${registry.host}/${registry.repository}`;
  });
  afterAll(async () => {
    for (const ref of [`${name}:v1`, `${name}@${registry.manifestDigest}`]) await env.docker.getImage(ref).remove({ noprune: true }).catch(() => undefined);
    await registry.close();
    await t.cleanup(env.docker);
  });

  it('pulls name:tag@digest, reports progress, and resolves to the image with that registry digest', async () => {
    const progress: PullProgress[] = [];
    const pulled = await pullImage(env.docker, `${name}:v1@${registry.manifestDigest}`, { developerMode: false }, (p) => progress.push(p));
    expect(pulled.imageId).toBe(image.imageId);
    expect(pulled.ref.digest).toBe(registry.manifestDigest);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((p) => /Digest: sha256:|Status:|Pulling|Already exists|Download/.test(p.status))).toBe(true);
    const inspected = await env.docker.getImage(image.imageId).inspect();
    expect(inspected.RepoDigests).toContain(`${name}@${registry.manifestDigest}`);
    expect(inspected.RepoTags).toContain(`${name}:v1`);
  });

  it('records the pin of a pulled image and lists it, though the image carries no Minerva label', async () => {
    const runtime = new RuntimeService({ dataDir: t.dir, developerMode: () => false, redact: (s) => s, idleStopMs: 0 });
    const reference = `${name}:v1@${registry.manifestDigest}`;
    const pin = await runtime.pull(reference);
    expect(pin).toMatchObject({ reference, source: 'pulled', imageId: image.imageId });
    const listed = (await runtime.images()).find((i) => i.id === image.imageId);
    expect(listed?.pinned?.reference).toBe(reference);
    // and it runs by that reference
    const model = await runtime.ensureRunning({ key: 'job:pulled', role: { job: 'pulled' }, image: reference });
    expect(await model.call('health')).toMatchObject({ ok: true });
    await runtime.close();
  });

  it('refuses an unpinned reference before contacting the registry', async () => {
    const before = registry.requests.length;
    await expect(pullImage(env.docker, `${name}:v1`, { developerMode: false })).rejects.toMatchObject({ code: 'IMAGE_REFUSED' });
    expect(registry.requests.length).toBe(before);
  });

  it('fails when the registry has no manifest with the pinned digest', async () => {
    await expect(pullImage(env.docker, `${name}:v1@sha256:${'0'.repeat(64)}`, { developerMode: false })).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });
});
