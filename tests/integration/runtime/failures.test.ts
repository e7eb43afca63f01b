import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltBundleImage } from '@core/runtime/bundle';
import { ModelContainer, type ModelContainerOptions, type ModelState } from '@core/runtime/model-container';
import { buildImage, dockerForTests, fixture, testScope } from './helpers';

const env = await dockerForTests();

describe.skipIf(env.skip)('a misbehaving model is contained', () => {
  let image: BuiltBundleImage;
  let t: ReturnType<typeof testScope>;
  const models: ModelContainer[] = [];

  beforeAll(async () => {
    image = await buildImage(env.docker, fixture('probe-model'));
  });
  afterEach(async () => {
    await Promise.allSettled(models.splice(0).map((m) => m.stop()));
    await t?.cleanup(env.docker);
  });

  const make = (extra: Partial<ModelContainerOptions> = {}) => {
    t = testScope();
    const states: ModelState[] = [];
    const model = new ModelContainer({
      docker: env.docker,
      spec: { imageId: image.imageId, owner: t.owner, role: { job: 'failures' } },
      redact: (s) => s.replace(/secret-\w+/g, '[redacted]'),
      healthIntervalMs: 0,
      restart: { baseDelayMs: 50, maxDelayMs: 200 },
      onStateChange: (s) => states.push(s),
      ...extra,
    });
    models.push(model);
    return { model, states };
  };
  const bootId = async (m: ModelContainer) => ((await m.call('health')) as { bootId: string }).bootId;

  it('restarts a model that crashes, in a new container, and keeps serving', async () => {
    const { model, states } = make();
    await model.start();
    const firstBoot = await bootId(model);
    const firstContainer = model.containerId;
    await expect(model.call('infer', { action: 'crash' })).rejects.toMatchObject({ code: 'MODEL_FAILED' });
    // the next call waits for the restart
    expect(await bootId(model)).not.toBe(firstBoot);
    expect(model.containerId).not.toBe(firstContainer);
    expect(model.restartCount).toBe(1);
    expect(states).toEqual(['starting', 'ready', 'restarting', 'ready']);
    expect(model.logs.tail().some((l) => l.stream === 'runtime' && /exited \(exit code 3\)/.test(l.text))).toBe(true);
    const old = await env.docker.getContainer(firstContainer!).inspect().catch((e: { statusCode?: number }) => e.statusCode);
    expect(old === 404 || (typeof old === 'object' && old.State.Status !== 'running')).toBe(true);
  });

  it('restarts a model that stops answering its idle health checks', async () => {
    let onReady: () => void = () => undefined;
    const { model, states } = make({
      healthIntervalMs: 300,
      onStateChange: (s) => {
        states.push(s);
        if (s === 'ready') onReady();
      },
    });
    await model.start();
    const firstBoot = await bootId(model);
    const restarted = new Promise<void>((resolve) => (onReady = resolve));
    await model.call('infer', { action: 'sicken' });
    await restarted; // no call made: the health check noticed
    expect(states).toEqual(['starting', 'ready', 'restarting', 'ready']);
    expect(model.logs.tail().some((l) => /health|timed out/.test(l.text))).toBe(true);
    expect(await bootId(model)).not.toBe(firstBoot);
  });

  it('gives up after too many crashes in the window', async () => {
    const { model } = make({ restart: { maxRestarts: 1, baseDelayMs: 20, maxDelayMs: 20, windowMs: 60_000 } });
    await model.start();
    await expect(model.call('infer', { action: 'crash' })).rejects.toMatchObject({ code: 'MODEL_FAILED' });
    await expect(model.call('infer', { action: 'crash' })).rejects.toMatchObject({ code: 'MODEL_FAILED' });
    await expect(model.call('health')).rejects.toMatchObject({ code: 'MODEL_FAILED' });
    expect(model.state).toBe('failed');
  });

  it('times out a hung model, then restarts it', async () => {
    const { model } = make();
    await model.start();
    const firstBoot = await bootId(model);
    const started = Date.now();
    await expect(model.call('infer', { action: 'hang' }, { timeoutMs: 500 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await bootId(model)).not.toBe(firstBoot);
  });

  it('refuses an oversized request without sending it, and an oversized reply by restarting the model', async () => {
    const { model } = make({ maxMessageBytes: 64 * 1024 });
    await model.start();
    const firstBoot = await bootId(model);
    await expect(model.call('infer', { action: 'echo', data: 'y'.repeat(100 * 1024) })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await bootId(model)).toBe(firstBoot); // nothing was sent, nothing broke
    expect(await model.call('infer', { action: 'echo', data: 'y'.repeat(1000) })).toEqual({ length: 1002 });
    await expect(model.call('infer', { action: 'big', bytes: 200 * 1024 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await bootId(model)).not.toBe(firstBoot);
  });

  it('never keeps what a model prints on stdout outside the protocol (it may be decrypted data)', async () => {
    const { model } = make();
    await model.start();
    await model.call('infer', { action: 'stdout-leak', text: 'decrypted prompt: the eagle lands at dawn' });
    await model.call('health');
    const text = model.logs.tail().map((l) => l.text).join('\n');
    expect(text).not.toContain('eagle');
    expect(text).toMatch(/dropped \d+ bytes of non-protocol output on stdout/);
  });

  it('keeps stderr bounded and redacted', async () => {
    const { model } = make();
    await model.start();
    await model.call('infer', { action: 'stderr', text: 'loaded weights with secret-abc123 in 12 ms' });
    await model.call('infer', { action: 'stderr', text: 'z'.repeat(10_000) });
    await model.call('health');
    const lines = model.logs.tail();
    const stderr = lines.filter((l) => l.stream === 'stderr');
    expect(stderr[0]?.text).toBe('loaded weights with [redacted] in 12 ms');
    expect(stderr[1]!.text.length).toBeLessThan(2200);
  });
});
