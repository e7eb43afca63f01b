/**
 * `presence.get` / `presence.changed` in core (issue 17 part 4): what the tray icon shows, read
 * from a real core on a real SQLite file and a real vault file. Pause is the top bar's Stop
 * mining (`vault.lock` with keepMining false). No practice network is started here, so no
 * competition is joined and earnings are unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import type { RpcReply } from '@shared/contract';
import type { PresenceView } from '@shared/contract/presence';
import { tempDir } from '../../unit/vault/helpers';

let core: Core;
const data = tempDir('presence-data');
const home = tempDir('presence-home');
const pushed: PresenceView[] = [];

async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const reply: RpcReply = await core.router.call(method, input, { transport: 'test', clientId: 'presence-test' });
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
}

async function pushedState(state: PresenceView['state']): Promise<PresenceView> {
  for (let i = 0; i < 100; i++) {
    const hit = pushed.find((p) => p.state === state);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no presence.changed with state ${state}; pushed: ${pushed.map((p) => p.state).join(', ')}`);
}

beforeAll(() => {
  core = createCore({ dataDir: data.path, host: 'headless', version: 'test', logConsole: false, homeDir: home.path });
  core.events.onAny(({ event, payload }) => {
    if (event === 'presence.changed') pushed.push(payload as PresenceView);
  });
});
afterAll(async () => {
  await core.close();
  data.cleanup();
  home.cleanup();
});

describe('presence', () => {
  it('follows the wallet: not set up → keys ready → paused by Stop mining → mining mode keeps the keys', async () => {
    expect(await call<PresenceView>('presence.get')).toMatchObject({ host: 'headless', state: 'no-wallet', headline: 'Not set up', workKeysInMemory: false, earnedToday: null });

    await call('vault.create', { password: 'a long enough passphrase 81', acceptWeak: true });
    const ready = await call<PresenceView>('presence.get');
    expect(ready).toMatchObject({ state: 'idle', headline: 'Not mining', walletUnlocked: true, workKeysInMemory: true, competitions: { joined: 0, joining: 0, failed: 0 } });
    expect((await pushedState('idle')).walletUnlocked).toBe(true);

    // The tray's Pause: the same call as the top bar's Stop mining.
    await call('vault.lock', { keepMining: false });
    expect(await call<PresenceView>('presence.get')).toMatchObject({ state: 'paused', headline: 'Mining paused — wallet locked', workKeysInMemory: false, walletUnlocked: false });
    expect((await pushedState('paused')).next).toMatch(/password/);

    await call('vault.unlock', { password: 'a long enough passphrase 81' });
    await call('vault.lock', { keepMining: true });
    expect(await call<PresenceView>('presence.get')).toMatchObject({ state: 'idle', workKeysInMemory: true, walletUnlocked: false });
    // Lock state and counts only: nothing secret in what the tray reads.
    expect(JSON.stringify(pushed)).not.toContain('passphrase');
  });
});
