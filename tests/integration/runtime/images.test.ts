import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage, type BuiltBundleImage } from '@core/runtime/bundle';
import { listManagedImages, resolveImage } from '@core/runtime/images';
import { RuntimeService } from '@core/runtime/runtime.service';
import { buildImage, dockerForTests, fixture, testScope } from './helpers';

const env = await dockerForTests();

describe.skipIf(env.skip)('image references: pinned outside developer mode', () => {
  const t = testScope();
  let image: BuiltBundleImage;
  let repo: string;
  const strict = { developerMode: false };

  beforeAll(async () => {
    image = await buildImage(env.docker, fixture('probe-model'));
    repo = `minerva-model/policy-${t.scope}`;
    await env.docker.getImage(image.imageId).tag({ repo, tag: 'v1' });
  });
  afterAll(async () => {
    await env.docker.getImage(`${repo}:v1`).remove({ noprune: true }).catch(() => undefined);
    await t.cleanup(env.docker);
  });

  it('resolves a pinned reference to the exact local image', async () => {
    const r = await resolveImage(env.docker, `${repo}:v1@${image.imageId}`, strict);
    expect(r.imageId).toBe(image.imageId);
    expect(r.ref).toEqual({ name: repo, tag: 'v1', digest: image.imageId });
  });

  it('refuses untagged and digest-less references outside developer mode, with the reason', async () => {
    await expect(resolveImage(env.docker, `${repo}:v1`, strict)).rejects.toMatchObject({ code: 'IMAGE_REFUSED', message: expect.stringContaining('no digest') as unknown });
    await expect(resolveImage(env.docker, `${repo}@${image.imageId}`, strict)).rejects.toMatchObject({ code: 'IMAGE_REFUSED', message: expect.stringContaining('no tag') as unknown });
    await expect(resolveImage(env.docker, repo, strict)).rejects.toMatchObject({ code: 'IMAGE_REFUSED', message: expect.stringContaining('neither a tag nor a digest') as unknown });
    // developer mode runs the tag as it is now
    expect((await resolveImage(env.docker, `${repo}:v1`, { developerMode: true })).imageId).toBe(image.imageId);
  });

  it('refuses a pinned reference whose tag was moved to other code', async () => {
    const base = await ensureBaseImage(env.docker);
    const moved = `minerva-model/policy-moved-${t.scope}`;
    await env.docker.getImage(image.imageId).tag({ repo: moved, tag: 'v1' });
    await env.docker.getImage(base.id).tag({ repo: moved, tag: 'v1' });
    try {
      await expect(resolveImage(env.docker, `${moved}:v1@${image.imageId}`, strict)).rejects.toMatchObject({ code: 'IMAGE_REFUSED', message: expect.stringContaining('no longer points') as unknown });
    } finally {
      await env.docker.getImage(`${moved}:v1`).remove({ noprune: true }).catch(() => undefined);
    }
  });

  it('applies the policy in the runtime service, reading developer mode on every call', async () => {
    let developerMode = false;
    const runtime = new RuntimeService({ dataDir: t.dir, developerMode: () => developerMode, redact: (s) => s, idleStopMs: 0 });
    await expect(runtime.acquire({ key: 'job:x', role: { job: 'x' }, image: `${repo}:v1` })).rejects.toMatchObject({ code: 'IMAGE_REFUSED' });
    developerMode = true;
    const model = await runtime.acquire({ key: 'job:x', role: { job: 'x' }, image: `${repo}:v1` });
    expect(model.state).toBe('idle');
    await runtime.close();
  });

  it('lists only images Minerva built, with their pinned references and bundle hashes', async () => {
    const images = await listManagedImages(env.docker);
    const mine = images.find((i) => i.id === image.imageId);
    expect(mine?.references).toContain(`minerva-model/probe:test@${image.imageId}`);
    expect(mine?.bundle).toEqual({ name: 'probe', version: 'test', sha256: image.bundleSha256 });
    expect(images.some((i) => i.base)).toBe(true);
  });
});
