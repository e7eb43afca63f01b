import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { NetworksView } from '@shared/contract/networks';
import { startChopsticks, type ChopsticksChain } from '../../helpers/chopsticks';
import { tempDataDir } from '../../helpers/serve-process';

/**
 * A Bittensor network's catalogue follows its settings (the Connito competition is one of them):
 * after `networks.configure`, core itself drops the cached list and pushes the new one, so every
 * caller (the Competitions page, the CLI through a running app) sees it at once, not only the card
 * that changed it, and not after the cache's minute. The real subtensor runtime (spec 218) on
 * chopsticks.
 */
let chain: ChopsticksChain;
let core: Core | undefined;

beforeAll(async () => {
  chain = await startChopsticks();
}, 180_000);

afterAll(async () => {
  await core?.close();
  await chain?.stop();
});

async function call<T>(method: string, input: unknown): Promise<T> {
  const reply = await (core as Core).router.call(method, input, { transport: 'test', clientId: 'catalogue-configure' });
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
}

function pushed(check: (view: CompetitionsView) => boolean): Promise<CompetitionsView> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error('no competitions.changed with the new catalogue within 60 s'))), 60_000);
    const off = (core as Core).events.onAny((m) => {
      if (m.event === 'competitions.changed' && check(m.payload as CompetitionsView)) {
        clearTimeout(timer);
        off();
        resolve(m.payload as CompetitionsView);
      }
    });
  });
}

describe('networks.configure and the cached catalogue', () => {
  it('a Connito competition configured (or removed) is in the catalogue at once, without a refresh, and pushed', async () => {
    // The cache keeps a list for a minute (the default): without core refreshing it, the list read right after would be the old one.
    core = createCore({ dataDir: tempDataDir('minerva-catalogue-configure-'), host: 'headless', version: 'test', logConsole: false });
    const added = await call<NetworksView>('networks.add', { kind: 'bittensor', preset: 'custom', endpoint: chain.url, name: 'Local subtensor' });
    const id = added.profiles[1]?.id ?? '';
    await call('networks.select', { id });
    const before = await call<CompetitionsView>('competitions.list', { refresh: true });
    expect(before.networkId).toBe(id);
    expect(before.competitions).toEqual([]);

    const configured = pushed((v) => v.networkId === id && v.competitions.some((c) => c.id === 'connito-sn1'));
    await call('networks.configure', { id, connito: { netuid: 1, validatorUrl: 'http://127.0.0.1:9/validator', roundBlocks: 24, commitBlocks: 12 } });
    const listed = await call<CompetitionsView>('competitions.list', { refresh: false });
    expect(listed.competitions.map((c) => c.id)).toEqual(['connito-sn1']);
    expect((await configured).competitions.map((c) => c.title)).toEqual(['Connito checkpoints (subnet 1)']);

    const removed = pushed((v) => v.networkId === id && v.competitions.length === 0);
    await call('networks.configure', { id, connito: null });
    expect((await call<CompetitionsView>('competitions.list', { refresh: false })).competitions).toEqual([]);
    await removed;
  });
});
