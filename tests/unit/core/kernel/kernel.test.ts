import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FEATURES, MIGRATIONS, coreConfig } from '@core/create-core';
import { numberField, resolveConfig, stringField } from '@core/kernel/config';
import { defineFeature } from '@core/kernel/feature';
import { collectMigrations, createKernel } from '@core/kernel/kernel';
import { SimpleUnlockGate } from '@core/kernel/unlock-gate';
import { EventBus } from '@core/rpc/events';
import { DEFAULT_SETTINGS } from '@shared/contract/settings';

describe('configuration', () => {
  const schema = {
    n: numberField({ default: 5, min: 1, max: 10, int: true, env: 'MINERVA_T_N', flag: 'n', doc: 'a number' }),
    s: stringField({ default: null, env: 'MINERVA_T_S', doc: 'a string' }),
  };
  it('takes a flag over the environment over the default, and says which', () => {
    expect(resolveConfig('t', schema, { env: {}, flags: {} }).values).toEqual({ n: 5, s: null });
    const both = resolveConfig('t', schema, { env: { MINERVA_T_N: '7', MINERVA_T_S: '/x' }, flags: { n: '3' } });
    expect(both.values).toEqual({ n: 3, s: '/x' });
    expect(both.entries.map((e) => [e.key, e.source])).toEqual([
      ['t.n', 'flag'],
      ['t.s', 'env'],
    ]);
  });
  it('clamps numbers to their range and rounds integers', () => {
    expect(resolveConfig('t', schema, { env: { MINERVA_T_N: '99.4' }, flags: {} }).values.n).toBe(10);
    expect(resolveConfig('t', schema, { env: { MINERVA_T_N: '2.6' }, flags: {} }).values.n).toBe(3);
  });
  it('ignores a value that does not parse, keeps the default and names what was ignored', () => {
    const r = resolveConfig('t', schema, { env: { MINERVA_T_N: 'lots' }, flags: {} });
    expect(r.values.n).toBe(5);
    expect(r.entries[0]).toMatchObject({ source: 'default', ignored: 'MINERVA_T_N' });
  });
  it('every core field has a doc, and env names are unique MINERVA_ names', () => {
    const entries = coreConfig({}, {});
    expect(entries.length).toBeGreaterThan(15);
    const envs = entries.map((e) => e.env).filter((e): e is string => e !== null);
    expect(new Set(envs).size).toBe(envs.length);
    for (const e of entries) expect(e.doc.length).toBeGreaterThan(10);
    for (const env of envs) expect(env).toMatch(/^MINERVA_[A-Z0-9_]+$/);
  });
  it('`minerva config --json` prints the fields with their sources', () => {
    const res = spawnSync(process.execPath, ['bin/minerva.cjs', 'config', '--json'], { encoding: 'utf8', env: { ...process.env, MINERVA_INFERENCE_CALL_TIMEOUT_MS: '2500' } });
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout) as { entries: { key: string; value: unknown; source: string }[] };
    expect(out.entries.find((e) => e.key === 'inference.callTimeoutMs')).toMatchObject({ value: 2500, source: 'env' });
    expect(out.entries.find((e) => e.key === 'inference.pollWaitS')).toMatchObject({ value: 5, source: 'default' });
  }, 60_000); // spawns the CLI bundle: slow on a loaded machine
});

describe('kernel', () => {
  const base = (background = true) => ({
    dataDir: '/nonexistent',
    db: {} as never,
    logger: { scope: () => ({ debug() {}, info() {}, warn() {}, error() {} }) } as never,
    audit: {} as never,
    ui: new EventBus(),
    now: () => new Date(),
    host: { info: {} as never, homeDir: '/', practiceHost: undefined, background },
    config: { env: {}, flags: {} },
    settings: () => DEFAULT_SETTINGS,
    gate: () => new SimpleUnlockGate(() => true),
  });

  it('refuses a contract method claimed by two features', () => {
    const a = defineFeature({ name: 'a', create: () => ({ handlers: { 'app.info': () => ({}) as never } }) });
    const b = defineFeature({ name: 'b', create: () => ({ handlers: { 'app.info': () => ({}) as never } }) });
    expect(() => createKernel([a, b], base())).toThrow(/claimed by two features/);
  });

  it('refuses a feature that uses one created after it', () => {
    const early = defineFeature({ name: 'early', create: (ctx) => (ctx.use('settings'), {}) });
    expect(() => createKernel([early], base())).toThrow(/not created before it/);
  });

  it('gives every feature the merged handlers, but only once all are created', async () => {
    const eager = defineFeature({ name: 'eager', create: (ctx) => (ctx.handlers(), {}) });
    expect(() => createKernel([eager], base())).toThrow(/before every feature was created/);
    let read: (() => unknown) | undefined;
    const reader = defineFeature({ name: 'reader', create: (ctx) => ((read = () => ctx.handlers()['app.info']({}, { transport: 'test', clientId: 't' })), {}) });
    const later = defineFeature({ name: 'later', create: () => ({ handlers: { 'app.info': () => ({ name: 'from later' }) as never } }) });
    createKernel([reader, later], base());
    expect(await read?.()).toEqual({ name: 'from later' });
  });

  it('starts features in order, closes them in reverse, and starts nothing without background work', async () => {
    const seen: string[] = [];
    const f = (name: string) => defineFeature({ name, create: () => ({ start: () => void seen.push(`start ${name}`), close: () => void seen.push(`close ${name}`) }) });
    const k = createKernel([f('x'), f('y')], base());
    await k.start();
    await k.close();
    expect(seen).toEqual(['start x', 'start y', 'close y', 'close x']);
    seen.length = 0;
    const quiet = createKernel([f('x')], base(false));
    await quiet.start();
    await quiet.close();
    expect(seen).toEqual(['close x']);
  });

  it('collects every feature’s migrations in order and refuses a version used twice', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual([...MIGRATIONS.map((m) => m.version)].sort((x, y) => x - y));
    expect(new Set(MIGRATIONS.map((m) => m.version)).size).toBe(MIGRATIONS.length);
    const dup = defineFeature({ name: 'dup', migrations: [{ version: 20, name: 'again', up() {} }], create: () => ({}) });
    expect(() => collectMigrations([...FEATURES, dup], [])).toThrow(/used twice/);
  });
});
