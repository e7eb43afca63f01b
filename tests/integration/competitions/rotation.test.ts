import { afterEach, describe, expect, it } from 'vitest';
import type { RpcReply } from '@shared/contract';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { NetworksView } from '@shared/contract/networks';
import type { RewardsView } from '@shared/contract/rewards';
import type { VaultIdentity, VaultOverview } from '@shared/contract/vault';
import { createCore, type Core } from '@core/create-core';
import { chainCall } from '@core/network/chain-call';
import { inProcessPracticeHost } from '../../../src-main/cli/practice-host';
import { tempDataDir } from '../../helpers/serve-process';

/**
 * Hotkey rotation re-joins (issue 16 part 3), checked against the real practice chain: after a
 * rotation every competition joined with the sr25519 hotkey is joined again with the new one, the
 * chain has the new hotkey registered, the membership shows it after a restart, and the earning
 * checklist calls a membership of a retired hotkey what it is — also when the rotation happened
 * while the app was not running, which the next start catches up.
 */
const PASSWORD = 'correct horse battery staple 42';
const cores: Core[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
});

async function call<T>(core: Core, method: string, input: unknown = {}): Promise<T> {
  const reply: RpcReply = await core.router.call(method, input, { transport: 'test', clientId: 't' });
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
}

async function until<T>(get: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const activeHotkey = (o: VaultOverview): VaultIdentity => o.identities.find((i) => i.role === 'hotkey' && i.active)!;

describe('hotkey rotation', () => {
  it('re-joins every sr25519 competition with the new hotkey, on chain, across a restart', async () => {
    const dataDir = tempDataDir('minerva-rotation-');
    const host = inProcessPracticeHost(dataDir, { blockTimeMs: 200, log: () => undefined });
    const open = (background = true): Core => {
      const core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false, practiceHost: host, background });
      cores.push(core);
      return core;
    };
    let core = open();
    const created = await call<VaultOverview>(core, 'vault.create', { password: PASSWORD });
    const first = activeHotkey(created);
    const listed = await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
    for (const c of listed.competitions) await call(core, 'competitions.join', { id: c.id });
    const list = () => call<CompetitionsView>(core, 'competitions.list');
    await until(list, (v) => v.competitions.every((c) => c.membership?.state === 'joined'));
    const networks = await call<NetworksView>(core, 'networks.list');
    const chainUrl = networks.practice.endpoints?.chain;
    expect(chainUrl).toBeTruthy();
    const registered = async (competitionId: string, hotkey: string) => (await chainCall(chainUrl!, 'chain_getHotkey', { competition_id: competitionId, hotkey })).registered;
    // the sr25519 ones are joined with the hotkey (the others with the checkpoint signer)
    const withHotkey = (await list()).competitions.filter((c) => c.membership?.hotkey === first.address).map((c) => c.id);
    expect(withHotkey.length).toBeGreaterThan(0);

    const { current } = await call<{ current: VaultIdentity; retired: VaultIdentity }>(core, 'vault.rotateHotkey', { role: 'hotkey' });
    expect(current.index).toBe(1);
    const rejoined = await until(list, (v) => withHotkey.every((id) => v.competitions.find((c) => c.id === id)?.membership?.hotkey === current.address && v.competitions.find((c) => c.id === id)?.membership?.state === 'joined'));
    for (const id of withHotkey) {
      expect(await registered(id, current.address)).toBe(true);
      expect(rejoined.competitions.find((c) => c.id === id)?.membership?.steps.map((s) => s.state)).toEqual(['done', 'done']);
    }
    const rewards = await call<RewardsView>(core, 'rewards.get', { range: 'day' });
    expect(rewards.checklist.find((c) => c.id === 'registered')).toMatchObject({ ok: true });

    // a restart keeps the new hotkey on the memberships
    await core.close();
    core = open();
    await call(core, 'vault.unlock', { password: PASSWORD });
    const after = await list();
    for (const id of withHotkey) expect(after.competitions.find((c) => c.id === id)?.membership?.hotkey).toBe(current.address);

    // rotated while the app is not running (`minerva wallet rotate` opens a core without background work)
    await core.close();
    const cli = open(false);
    await call(cli, 'vault.unlock', { password: PASSWORD });
    const { current: third } = await call<{ current: VaultIdentity }>(cli, 'vault.rotateHotkey', { role: 'hotkey' });
    // the CLI's core joins nothing: the checklist there sees memberships of a retired hotkey
    const stale = await call<RewardsView>(cli, 'rewards.get', { range: 'day' });
    expect(stale.checklist.find((c) => c.id === 'registered')).toMatchObject({ ok: false });
    expect(stale.checklist.find((c) => c.id === 'registered')?.detail).toMatch(/retired hotkey/u);
    await cli.close();
    // the app starts locked (addresses unknown); the unlock catches the rotation up
    core = open();
    await call(core, 'vault.unlock', { password: PASSWORD });
    await until(list, (v) => withHotkey.every((id) => v.competitions.find((c) => c.id === id)?.membership?.hotkey === third.address && v.competitions.find((c) => c.id === id)?.membership?.state === 'joined'));
    for (const id of withHotkey) expect(await registered(id, third.address)).toBe(true);
  }, 240_000);
});
