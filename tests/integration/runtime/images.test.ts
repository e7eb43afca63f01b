import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage, readBundle, type BuiltBundleImage } from '@core/runtime/bundle';
import { packTar } from '@core/runtime/tar';
import { listManagedImages, resolveImage } from '@core/runtime/images';
import { RuntimeService } from '@core/runtime/runtime.service';
import { buildImage, demo, dockerForTests, fixture, testScope } from './helpers';

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

describe.skipIf(env.skip)('a bundle that arrives as an archive', () => {
  const t = testScope();
  afterAll(async () => {
    await t.cleanup(env.docker);
  });

  it('is checked, unpacked into the data dir, built, pinned and run', async () => {
    const bundle = await readBundle(demo('ts-predictor'));
    const chunks: Buffer[] = [];
    for await (const c of packTar(bundle.files.map((f) => ({ path: `./${f.path}`, type: 'file' as const, content: { hostPath: f.hostPath, size: f.size } })))) chunks.push(c as Buffer);
    const archive = join(t.dir, 'ts-predictor.tar.gz');
    writeFileSync(archive, gzipSync(Buffer.concat(chunks)));

    const runtime = new RuntimeService({ dataDir: t.dir, developerMode: () => false, redact: (s) => s, idleStopMs: 0 });
    const built = await runtime.importBundleArchive(archive);
    expect(built.bundleSha256).toBe(bundle.sha256);
    const model = await runtime.ensureRunning({ key: 'runner:imported', role: { runner: 'imported' }, image: built.reference });
    expect(await model.call('setup', { className: 'TrackerBase' })).toMatchObject({ ok: true });
    await runtime.close();
  });

  it('is refused whole when one member is hostile, leaving no unpacked files', async () => {
    const header = Buffer.alloc(512, 0);
    header.write('../../escape.js', 0, 100);
    header.write('0000644\0', 100);
    header.write('00000000000\0', 124);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const archive = join(t.dir, 'hostile.tar');
    writeFileSync(archive, Buffer.concat([header, Buffer.alloc(1024)]));
    const runtime = new RuntimeService({ dataDir: t.dir, developerMode: () => false, redact: (s) => s, idleStopMs: 0 });
    await expect(runtime.importBundleArchive(archive)).rejects.toMatchObject({ code: 'ARCHIVE_REFUSED' });
    const imports = join(t.dir, 'runtime', 'bundles');
    expect(existsSync(imports) ? readdirSync(imports) : []).toEqual([]);
    expect(existsSync(join(t.dir, '..', 'escape.js'))).toBe(false);
    await runtime.close();
  });
});

describe.skipIf(env.skip)('a pinned base image for bundle builds (for hosts whose node is not a Linux binary)', () => {
  const t = testScope();
  afterAll(async () => {
    await t.cleanup(env.docker);
  });

  it('builds on a pinned base and refuses an unpinned one', async () => {
    const base = await ensureBaseImage(env.docker);
    const pinned = new RuntimeService({ dataDir: t.dir, developerMode: () => false, redact: (s) => s, idleStopMs: 0, baseImage: `${base.tag}@${base.id}` });
    const built = await pinned.buildBundle(demo('text-ngram'));
    const history = (await env.docker.getImage(built.imageId).history()) as Array<{ Id: string }>;
    expect(history.some((h) => h.Id === base.id)).toBe(true);
    const unpinned = new RuntimeService({ dataDir: t.dir, developerMode: () => false, redact: (s) => s, idleStopMs: 0, baseImage: base.tag });
    await expect(unpinned.buildBundle(demo('text-ngram'))).rejects.toMatchObject({ code: 'IMAGE_REFUSED' });
    await pinned.close();
    await unpinned.close();
  });
});
