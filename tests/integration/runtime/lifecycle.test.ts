import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltBundleImage } from '@core/runtime/bundle';
import { createRuntimeModule, type RuntimeModule } from '@core/runtime/runtime.handlers';
import { DomainEvents } from '@core/kernel/domain-events';
import { EventBus } from '@core/rpc/events';
import type { CompetitionsView } from '@shared/contract/competitions';
import { buildImage, dockerForTests, fixture, testScope } from './helpers';

const env = await dockerForTests();

describe.skipIf(env.skip)('model lifecycle: on demand, kept warm while a competition is active, stopped on leave or when idle', () => {
  const t = testScope();
  let image: BuiltBundleImage;
  let events: EventBus;
  const domain = new DomainEvents();
  let runtime: RuntimeModule;
  /** Resolves when a model reaches a state (pushed on the bus as runtime.modelChanged). */
  const reaches = (key: string, state: string) =>
    new Promise<void>((resolve) => {
      const off = events.onAny((m) => {
        const p = m.payload as { key?: string; state?: string };
        if (m.event === 'runtime.modelChanged' && p.key === key && p.state === state) {
          off();
          resolve();
        }
      });
    });

  beforeAll(async () => {
    image = await buildImage(env.docker, fixture('probe-model'));
    events = new EventBus();
    runtime = createRuntimeModule({ dataDir: t.dir, log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }, events, redact: (s) => s, developerMode: () => false, onCompetitionsChanged: (listener) => domain.on('competitions.changed', listener), service: { idleStopMs: 400, reaperIntervalMs: 3_600_000 } });
    await runtime.start();
  });
  afterAll(async () => {
    await runtime.close();
    await t.cleanup(env.docker);
  });

  it('stops the models of a competition the miner leaves, keeps the others, and stops an idle model that is not kept warm', async () => {
    const s = runtime.service;
    const a = await s.acquire({ key: 'runner:a', role: { runner: 'a' }, image: image.reference, competitionId: 'comp-a', keepWarm: true });
    const b = await s.ensureRunning({ key: 'runner:b', role: { runner: 'b' }, image: image.reference, competitionId: 'comp-b', keepWarm: true });
    expect(a.state).toBe('idle');
    // started on demand by the first call
    expect(await s.call('runner:a', 'health', null)).toMatchObject({ ok: true });
    expect(a.state).toBe('ready');

    const aStopped = reaches('runner:a', 'stopped');
    const view = (id: string, state: 'joined' | 'left') => ({ id, membership: { state } });
    domain.emit('competitions.changed', { networkId: 'practice', fetchedAt: null, error: null, competitions: [view('comp-a', 'left'), view('comp-b', 'joined')] } as unknown as CompetitionsView);
    await aStopped;
    expect(b.state).toBe('ready');

    const idle = await s.ensureRunning({ key: 'job:once', role: { job: 'once' }, image: image.reference });
    const idleStopped = reaches('job:once', 'stopped');
    await idleStopped;
    expect(idle.state).toBe('stopped');
    expect(b.state).toBe('ready'); // kept warm
    expect((await s.containers()).map((c) => c.id)).toEqual([b.containerId]);
  });

  it('starts one container when several callers ask for the same model at once', async () => {
    const s = runtime.service;
    const request = { key: 'job:together', role: { job: 'together' }, image: image.reference, keepWarm: true };
    const models = await Promise.all([s.ensureRunning(request), s.ensureRunning(request), s.ensureRunning(request)]);
    expect(new Set(models).size).toBe(1);
    const mine = (await s.containers()).filter((c) => c.id === models[0].containerId);
    expect(mine).toHaveLength(1);
    const before = (await s.containers()).length;
    await s.release('job:together');
    expect((await s.containers()).length).toBe(before - 1);
  });
});
