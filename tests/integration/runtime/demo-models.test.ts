import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCreateOptions } from '@core/runtime/container-spec';
import { ModelContainer } from '@core/runtime/model-container';
import { buildImage, demo, dockerForTests, MODELS, testScope } from './helpers';

const env = await dockerForTests();
const require = createRequire(import.meta.url);

interface InProcessModel {
  health(): unknown;
  infer?(p: unknown): unknown;
  setup?(p: unknown): unknown;
  call?(p: unknown): unknown;
}
const inProcess = (name: string, options: Record<string, unknown> = {}): InProcessModel =>
  (require(join(MODELS, name, 'model.cjs')) as { createModel(o: unknown): InProcessModel }).createModel({ dir: join(MODELS, name), ...options });

describe.skipIf(env.skip)('demo model bundles in locked-down containers', () => {
  const t = testScope();
  const models: ModelContainer[] = [];
  const start = async (name: 'text-ngram' | 'ts-predictor' | 'trainer', extra: { outputDir?: string } = {}) => {
    const image = await buildImage(env.docker, demo(name));
    const model = new ModelContainer({
      docker: env.docker,
      spec: { imageId: image.imageId, owner: t.owner, role: { job: `demo-${name}` }, ...extra },
      redact: (s) => s,
      healthIntervalMs: 0,
    });
    models.push(model);
    await model.start();
    return { model, image };
  };

  beforeAll(async () => {
    await buildImage(env.docker, demo('text-ngram'));
  });
  afterAll(async () => {
    await Promise.allSettled(models.map((m) => m.stop()));
    await t.cleanup(env.docker);
  });

  it('builds the text model into a pinned image and infers through stdio, exactly as in-process', async () => {
    const { model, image } = await start('text-ngram');
    expect(image.reference).toMatch(/^minerva-model\/text-ngram:1\.0\.0@sha256:[0-9a-f]{64}$/);
    expect(image.imageId).toBe(image.reference.split('@')[1]);
    const params = { prompt: 'The miller opened the gate', maxTokens: 25, seed: 42 };
    const remote = (await model.call('infer', params)) as { completion: string; tokens: number };
    const local = inProcess('text-ngram').infer!(params) as { completion: string };
    expect(remote.completion.length).toBeGreaterThan(10);
    expect(remote.completion).toBe(local.completion);

    const report = await model.isolation();
    expect(report?.verdict).toEqual({ ok: true, findings: [] });
    expect(report?.network.mode).toBe('none');
    expect(report?.rootfs.readOnly).toBe(true);
    expect(report?.capabilities.dropped).toContain('ALL');
    expect(report?.limits.memoryBytes).toBe(buildCreateOptions({ imageId: 'x', owner: t.owner, role: { job: 'x' } }).HostConfig?.Memory);
  });

  it('runs the time-series predictor: setup, tick, predict', async () => {
    const { model } = await start('ts-predictor');
    expect(await model.call('setup', { className: 'TrackerBase', args: [], kwargs: {} })).toMatchObject({ ok: true });
    for (let t2 = 0; t2 < 60; t2 += 1) await model.call('call', { method: 'tick', args: [{ values: { line: 3 * t2 + 2 } }] });
    const out = (await model.call('call', { method: 'predict', args: [{ horizon: 2 }] })) as { predictions: { line: { mean: number[] } } };
    expect(out.predictions.line.mean[0]).toBeCloseTo(3 * 60 + 2, 1);
    expect(out.predictions.line.mean[1]).toBeCloseTo(3 * 61 + 2, 1);
  });

  it('trains, writes a checkpoint to /out, and the held-out loss beats the uniform model', async () => {
    const out = join(t.dir, 'out');
    mkdirSync(out, { mode: 0o777 });
    // the container runs as nobody: let it write the output folder
    const { chmodSync } = await import('node:fs');
    chmodSync(out, 0o777);
    const { model } = await start('trainer', { outputDir: out });
    await model.call('setup', { kwargs: { seed: 5 } });
    const trained = (await model.call('call', { method: 'train', args: [{ steps: 300 }] })) as { step: number; trainLoss: number };
    expect(trained.step).toBe(300);
    const saved = (await model.call('call', { method: 'checkpoint' })) as { file: string; sha256: string };
    const ck = require(join(MODELS, 'trainer', 'checkpoint.cjs')) as {
      decodeCheckpoint(b: Buffer): { vocab: string; step: number };
      heldOutLoss(c: unknown, text: string): number;
    };
    const bytes = readFileSync(join(out, saved.file));
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(saved.sha256);
    const checkpoint = ck.decodeCheckpoint(bytes);
    const loss = ck.heldOutLoss(checkpoint, readFileSync(join(MODELS, 'heldout', 'trainer-heldout.txt'), 'utf8'));
    expect(checkpoint.step).toBe(300);
    expect(loss).toBeLessThan(Math.log([...checkpoint.vocab].length) - 1);
    const report = await model.isolation();
    expect(report?.verdict.ok).toBe(true);
    expect(report?.mounts.find((m) => m.destination === '/out')?.readWrite).toBe(true);
  });
});
