import { mkdtempSync } from 'node:fs';
import { MIGRATIONS } from '@core/create-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditRepo } from '@core/db/audit.repo';
import { openDatabase } from '@core/db/open';
import { createLogger } from '@core/log/logger';
import { NetworksService } from '@core/network/networks.service';
import type { PracticeNetworkHost } from '@core/network/practice';
import type { NetworksView } from '@shared/contract/networks';
import { networksMethods } from '@shared/contract/networks';

function setup(host?: PracticeNetworkHost) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'minerva-net-')), 'minerva.db'), MIGRATIONS);
  let selected = 'practice';
  const views: NetworksView[] = [];
  const service = new NetworksService({
    db,
    audit: new AuditRepo(db),
    log: createLogger({ console: false }).scope('networks'),
    practiceHost: host,
    selectedId: () => selected,
    select: (id) => (selected = id),
    now: () => new Date('2026-11-24T00:00:00Z'),
    onChange: (v) => views.push(v),
    // Bittensor endpoints are identified against the real runtime in tests/integration/bittensor/networks.test.ts.
    identify: () => Promise.reject(new Error('no Bittensor endpoint in this unit test')),
  });
  return { service, db, views, selected: () => selected };
}

/** A real host would start src-main/devnet; this one records calls and hands out fixed endpoints. */
function countingHost(fail = false) {
  const calls = { start: 0, stop: 0 };
  const host: PracticeNetworkHost = {
    start: async () => {
      calls.start += 1;
      await Promise.resolve();
      if (fail) throw new Error('port 1 refused');
      return { endpoints: { chain: 'http://127.0.0.1:1001', hub: 'http://127.0.0.1:1002' }, attached: false };
    },
    stop: async () => {
      calls.stop += 1;
      await Promise.resolve();
    },
  };
  return { host, calls };
}

describe('networks service', () => {
  it('lists the built-in practice network first and selects it by default', () => {
    const { service } = setup();
    const view = service.view();
    expect(view.selectedId).toBe('practice');
    expect(view.profiles[0]).toMatchObject({ id: 'practice', kind: 'practice', builtin: true });
    expect(view.practice.state).toBe('unavailable');
  });

  it('starts the practice network once for concurrent callers and reports its endpoints', async () => {
    const { host, calls } = countingHost();
    const { service, views } = setup(host);
    const [a, b] = await Promise.all([service.ensurePractice(), service.ensurePractice()]);
    expect(a).toEqual(b);
    expect(calls.start).toBe(1);
    expect(service.view().practice.state).toBe('running');
    expect(views.map((v) => v.practice.state)).toEqual(['starting', 'running']);
    await expect(service.active()).resolves.toEqual({ id: 'practice', kind: 'practice', chainUrl: 'http://127.0.0.1:1001', hubUrl: 'http://127.0.0.1:1002' });
    await service.stop();
    expect(calls.stop).toBe(1);
  });

  it('reports a failed start in words and refuses to hand out endpoints', async () => {
    const { host } = countingHost(true);
    const { service } = setup(host);
    await service.ensurePractice();
    expect(service.view().practice).toMatchObject({ state: 'failed' });
    expect(service.view().practice.detail).toContain('port 1 refused');
    await expect(service.active()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('a stop while the start still waits aborts it: nothing to stop, not reported as a failure, and no start afterwards', async () => {
    const calls = { start: 0, stop: 0 };
    // Like serve's host: the start waits for a gate that only the abort opens here.
    const host: PracticeNetworkHost = {
      start: (signal) => {
        calls.start += 1;
        return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('given up')), { once: true }));
      },
      stop: () => {
        calls.stop += 1;
        return Promise.resolve();
      },
    };
    const { service, views } = setup(host);
    const pending = service.ensurePractice();
    await service.stop();
    await expect(pending).resolves.toBeNull();
    expect(calls).toEqual({ start: 1, stop: 0 });
    expect(service.view().practice.state).toBe('stopped');
    expect(views.map((v) => v.practice.state)).toEqual(['starting']);
    await expect(service.ensurePractice()).resolves.toBeNull();
    expect(calls.start).toBe(1);
  });

  it('adds, selects and removes a custom network, with an audit trail', async () => {
    const { service, db, selected } = setup();
    const added = await service.add({ name: 'Mainnet', chainUrl: 'https://chain.example', hubUrl: 'https://hub.example' });
    const id = added.profiles[1]?.id ?? '';
    expect(added.profiles[1]).toMatchObject({ name: 'Mainnet', kind: 'custom', builtin: false });
    service.select(id);
    expect(selected()).toBe(id);
    expect(() => service.remove(id)).toThrow(/Switch to another network first/);
    service.select('practice');
    service.remove(id);
    expect(service.view().profiles).toHaveLength(1);
    expect(() => service.remove('practice')).toThrow(/built in/);
    expect(() => service.select('nope')).toThrow(/not in your list/);
    const actions = (db.prepare('SELECT action FROM audit_log ORDER BY id').all() as { action: string }[]).map((r) => r.action);
    expect(actions).toEqual(['networks.add', 'networks.select', 'networks.select', 'networks.remove']);
  });

  it.each([
    ['http://chain.example', false],
    ['https://chain.example', true],
    ['http://127.0.0.1:9944', true],
    ['http://localhost:9944', true],
    ['https://user:pw@chain.example', false],
    ['https://chain.example/?token=x', false],
    ['ftp://chain.example', false],
    ['javascript:alert(1)', false],
  ])('endpoint %s is accepted: %s', (url, ok) => {
    expect(networksMethods['networks.add'].input.safeParse({ name: 'n', chainUrl: url, hubUrl: 'https://hub.example' }).success).toBe(ok);
  });

  it.each([
    [{ kind: 'bittensor', preset: 'finney' }, true],
    [{ kind: 'bittensor', preset: 'test', endpoint: 'wss://node.example:443' }, true],
    [{ kind: 'bittensor', preset: 'custom', endpoint: 'ws://127.0.0.1:9945', name: 'Local subtensor' }, true],
    [{ kind: 'bittensor', preset: 'custom' }, false],
    [{ kind: 'bittensor', preset: 'custom', endpoint: 'ws://node.example:9944' }, false],
    [{ kind: 'bittensor', preset: 'custom', endpoint: 'https://node.example' }, false],
    [{ kind: 'bittensor', preset: 'mainnet' }, false],
    [{ kind: 'bittensor', preset: 'finney', hubUrl: 'https://hub.example' }, false],
  ])('Bittensor input %j is accepted: %s', (input, ok) => {
    expect(networksMethods['networks.add'].input.safeParse(input).success).toBe(ok);
  });

  it('refuses a custom Bittensor network whose endpoint is not subtensor, and stores nothing', async () => {
    const { service } = setup();
    const refused = service.add({ kind: 'bittensor', preset: 'custom', endpoint: 'ws://127.0.0.1:1' });
    await expect(refused).rejects.toThrow(/no Bittensor endpoint/);
    expect(service.view().profiles).toHaveLength(1);
  });
});
