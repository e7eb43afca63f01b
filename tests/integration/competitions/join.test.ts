import { afterEach, describe, expect, it } from 'vitest';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { RpcReply } from '@shared/contract';
import { createCore, type Core } from '@core/create-core';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import type { PracticeNetworkHost } from '@core/network/practice';
import { inProcessPracticeHost } from '../../../src-main/cli/practice-host';
import { tempDataDir } from '../../helpers/serve-process';

/**
 * Joining against the real practice network (chain + hub on 127.0.0.1, real SQLite, real
 * signatures), through core's contract as the UI calls it.
 */
const PASSWORD = 'correct horse battery staple 42';
const cores: Core[] = [];
const networks: PracticeNetwork[] = [];

afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await Promise.all(networks.splice(0).map((n) => n.stop()));
});

function open(dataDir: string, practiceHost: PracticeNetworkHost, now?: () => Date): Core {
  const core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false, practiceHost, ...(now ? { now } : {}) });
  cores.push(core);
  return core;
}

async function call<T>(core: Core, method: string, input: unknown = {}): Promise<T> {
  const reply: RpcReply = await core.router.call(method, input, { transport: 'test', clientId: 't' });
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
}

/** Resolves when `check` holds for a pushed competitions view (or the current one). */
function until(core: Core, check: (v: CompetitionsView) => boolean, timeoutMs = 60_000): Promise<CompetitionsView> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for the competitions view'));
    }, timeoutMs);
    const off = core.events.onAny((m) => {
      if (m.event === 'competitions.changed' && check(m.payload as CompetitionsView)) {
        clearTimeout(timer);
        off();
        resolve(m.payload as CompetitionsView);
      }
    });
    void call<CompetitionsView>(core, 'competitions.list').then((v) => {
      if (check(v)) {
        clearTimeout(timer);
        off();
        resolve(v);
      }
    });
  });
}

const stateOf = (v: CompetitionsView, id: string) => v.competitions.find((c) => c.id === id)?.membership?.state;

describe('joining competitions on the practice network', () => {
  it('joins all three kinds, leaves one, and keeps memberships across a restart', async () => {
    const dataDir = tempDataDir('minerva-join-');
    const host = inProcessPracticeHost(dataDir, { blockTimeMs: 200, log: () => undefined });
    let core = open(dataDir, host);
    await call(core, 'vault.create', { password: PASSWORD });
    const view = await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
    expect(view.competitions.map((c) => c.kind).sort()).toEqual(['checkpoint', 'model-runner', 'private-inference']);

    for (const c of view.competitions) await call(core, 'competitions.join', { id: c.id });
    const joined = await until(core, (v) => v.competitions.every((c) => c.membership?.state === 'joined'));
    for (const c of joined.competitions) {
      expect(c.membership?.steps.map((s) => s.state)).toEqual(['done', 'done']);
      expect(c.participants === null || c.participants >= 0).toBe(true);
    }

    const leaving = view.competitions[0]?.id ?? '';
    await call(core, 'competitions.leave', { id: leaving });
    await until(core, (v) => stateOf(v, leaving) === 'left');

    await core.close();
    cores.splice(0);
    core = open(dataDir, host);
    const again = await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
    expect(stateOf(again, leaving)).toBe('left');
    expect(again.competitions.filter((c) => c.membership?.state === 'joined')).toHaveLength(2);
    // The hub agrees: the joined hotkeys are participants.
    expect(again.competitions.filter((c) => c.id !== leaving).every((c) => (c.participants ?? 0) >= 1)).toBe(true);
  });

  it('survives the chain going away during a join: reports it, retries, completes without a second registration', async () => {
    const dataDir = tempDataDir('minerva-join-fault-');
    // The chain and hub run here, as parties the test can stop and start.
    let chain = await startPracticeNetwork({ dataDir, parties: ['chain'], blockTimeMs: 200 });
    const chainPort = Number(new URL(chain.endpoints.chain).port);
    const hub = await startPracticeNetwork({ dataDir, parties: ['hub'], chainUrl: chain.endpoints.chain });
    networks.push(hub);
    const attachHost: PracticeNetworkHost = { start: () => Promise.resolve({ endpoints: { chain: chain.endpoints.chain, hub: hub.endpoints.hub ?? '' }, attached: true }), stop: () => Promise.resolve() };
    const core = open(dataDir, attachHost);
    await call(core, 'vault.create', { password: PASSWORD });
    const view = await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
    const target = view.competitions.find((c) => c.kind === 'private-inference')?.id ?? '';

    await chain.stop();
    await call(core, 'competitions.join', { id: target });
    const reported = await until(core, (v) => Boolean(v.competitions.find((c) => c.id === target)?.membership?.error));
    const membership = reported.competitions.find((c) => c.id === target)?.membership;
    expect(membership?.state).toBe('joining');
    expect(membership?.error?.message).toMatch(/chain is not answering/);
    expect(membership?.steps[0]?.detail).toMatch(/Trying again in \d+ s/);

    chain = await startPracticeNetwork({ dataDir, parties: ['chain'], blockTimeMs: 200, ports: { chain: chainPort } });
    networks.push(chain);
    await until(core, (v) => stateOf(v, target) === 'joined', 90_000);
    const hotkeys = await fetch(`${chain.endpoints.chain}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_listHotkeys', params: { competition_id: target } }),
    }).then((r) => r.json() as Promise<{ result: { hotkeys: unknown[] } }>);
    expect(hotkeys.result.hotkeys).toHaveLength(1);
  });

  it('explains a clock 7 minutes ahead in words when the hub refuses the signed join', async () => {
    const dataDir = tempDataDir('minerva-join-clock-');
    const host = inProcessPracticeHost(dataDir, { blockTimeMs: 200, log: () => undefined });
    const core = open(dataDir, host, () => new Date(Date.now() + 7 * 60_000));
    await call(core, 'vault.create', { password: PASSWORD });
    const view = await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
    const target = view.competitions.find((c) => c.kind === 'model-runner')?.id ?? '';
    await call(core, 'competitions.join', { id: target });
    const failed = await until(core, (v) => stateOf(v, target) === 'failed');
    const m = failed.competitions.find((c) => c.id === target)?.membership;
    expect(m?.error?.message).toBe("Your computer's clock is off by 7 minutes (ahead) — the network allows 5. Turn on automatic date and time, then press Retry.");
    expect(m?.steps.map((s) => s.state)).toEqual(['done', 'failed']);
  });
});
