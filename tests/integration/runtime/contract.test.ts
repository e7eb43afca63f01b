import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import { listManagedContainers } from '@core/runtime/managed';
import { scopeForDataDir } from '@core/runtime/runtime.service';
import { LABEL } from '@core/runtime/types';
import type { RpcReply } from '@shared/contract';
import type { IsolationReport, ModelLogLine, RuntimeContainer, RuntimeImage, RuntimeStatus, TeeRecord } from '@shared/contract/runtime';
import { dockerForTests, REPO } from './helpers';

const env = await dockerForTests();

describe.skipIf(env.skip)('runtime.* over the contract', () => {
  let dataDir: string;
  let core: Core;
  const ok = async <T>(method: string, input: unknown = {}): Promise<T> => {
    const reply: RpcReply = await core.router.call(method, input, { transport: 'test', clientId: 'runtime-contract' });
    if (!reply.ok) throw new Error(`${method} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.result as T;
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'minerva-runtime-core-'));
    core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false });
  });
  afterAll(async () => {
    await core.close();
    expect(await listManagedContainers(env.docker, [`${LABEL.scope}=${scopeForDataDir(dataDir)}`])).toEqual([]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the engine, runs a demo model with its isolation report and logs, and stops it', async () => {
    const status = await ok<RuntimeStatus>('runtime.checkEngine');
    expect(status.engine.state).toBe('running');
    expect(status.developerMode).toBe(false);

    const started = await ok<{ key: string; reference: string; containerId: string }>('runtime.startDemo', { name: 'text-ngram' });
    expect(started.reference).toMatch(/^minerva-model\/text-ngram:1\.0\.0@sha256:/);

    const { containers } = await ok<{ containers: RuntimeContainer[] }>('runtime.containers');
    expect(containers).toHaveLength(1);
    expect(containers[0]).toMatchObject({ id: started.containerId, state: 'running', job: 'demo:text-ngram', model: { key: 'demo:text-ngram', state: 'ready' } });
    expect(containers[0]!.usage?.memoryBytes).toBeGreaterThan(0);
    expect(containers[0]!.name).toMatch(/^minerva-demo-text-ngram-[0-9a-f]{8}$/);

    const report = await ok<IsolationReport>('runtime.isolation', { containerId: started.containerId });
    expect(report.verdict.ok).toBe(true);

    const { images } = await ok<{ images: RuntimeImage[] }>('runtime.images');
    expect(images.find((i) => started.reference.endsWith(i.id))?.pinned?.reference).toBe(started.reference);

    await ok<{ lines: ModelLogLine[] }>('runtime.logs', { key: started.key });
    await ok('runtime.stopModel', { key: started.key });
    expect((await ok<{ containers: RuntimeContainer[] }>('runtime.containers')).containers).toEqual([]);
  });

  it('checks a TEE quote and keeps the named results', async () => {
    const dir = join(REPO, 'tests', 'fixtures', 'tdx');
    const quoteB64 = readFileSync(join(dir, 'tdx_quote')).toString('base64');
    const collateral = JSON.parse(readFileSync(join(dir, 'tdx_quote_collateral.json'), 'utf8')) as Record<string, unknown>;
    const record = await ok<TeeRecord>('runtime.checkTee', { runnerId: 'sample-runner', quoteB64, collateral, at: '2025-07-01T00:00:00.000Z' });
    expect(record.ok).toBe(true);
    const wrong = await ok<TeeRecord>('runtime.checkTee', { runnerId: 'sample-runner-2', quoteB64, collateral, at: '2025-07-01T00:00:00.000Z', mrTd: ['11'.repeat(48)] });
    expect(wrong.checks.find((c) => c.name === 'mr_td')?.outcome).toBe('failed');
    const { records } = await ok<{ records: TeeRecord[] }>('runtime.teeChecks');
    expect(records.map((r) => r.runnerId).sort()).toEqual(['sample-runner', 'sample-runner-2']);
  });
});
