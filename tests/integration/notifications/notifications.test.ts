import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointSubmissionView } from '@shared/contract/checkpoints';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { AppNotification } from '@shared/contract/updates';
import { createCore, type Core } from '@core/create-core';
import type { PracticeNetworkHost } from '@core/network/practice';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { call, waitFor } from '../../helpers/core-calls';
import { tempDataDir } from '../../helpers/serve-process';
import { trainedCheckpoint } from '../../helpers/trained-checkpoint';

/**
 * The notifications feature through a real core (SQLite data folder, the vault's own idle timer,
 * the practice chain, hub and validator): a lock the miner did not click and a checkpoint
 * verdict each post exactly one `notifications.posted`, and nothing while the setting is off.
 */
const PASSWORD = 'correct horse battery staple 42';
const cores: Core[] = [];
let network: PracticeNetwork | undefined;
const savedEnv = process.env.MINERVA_AUTO_LOCK_SECONDS;

afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await network?.stop();
  network = undefined;
  if (savedEnv === undefined) delete process.env.MINERVA_AUTO_LOCK_SECONDS;
  else process.env.MINERVA_AUTO_LOCK_SECONDS = savedEnv;
});

/** Every notification the core posts, from now on. */
function record(core: Core): AppNotification[] {
  const posted: AppNotification[] = [];
  core.events.onAny((m) => {
    if (m.event === 'notifications.posted') posted.push(m.payload as AppNotification);
  });
  return posted;
}

/** Lets every listener of the event just seen run (domain listeners come after the UI's). */
const settle = () => new Promise((r) => setImmediate(r));

function open(dataDir: string): Core {
  const host: PracticeNetworkHost = {
    start: () => Promise.resolve({ endpoints: { chain: network?.endpoints.chain ?? '', hub: network?.endpoints.hub ?? '' }, attached: true }),
    stop: () => Promise.resolve(),
  };
  const core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false, practiceHost: host });
  cores.push(core);
  return core;
}

describe('notifications through core', () => {
  it('the idle lock posts one notification, the miner’s own Lock none, and none while the setting is off', async () => {
    process.env.MINERVA_AUTO_LOCK_SECONDS = '1';
    const core = open(tempDataDir('minerva-notify-lock-'));
    const posted = record(core);
    const locked = waitFor<{ reason: string }>(core, 'vault.locked', () => true);
    await call(core, 'vault.create', { password: PASSWORD });
    expect(await locked).toMatchObject({ reason: 'idle', mining: true });
    await settle();
    expect(posted.map((n) => [n.kind, n.title, n.href])).toEqual([['wallet-locked', 'Your wallet locked itself', '#/wallet']]);
    expect(posted[0]?.body).toMatch(/^It locked after a while without activity\. Mining goes on/);

    // The miner's own click: the lock they asked for is not news.
    await call(core, 'vault.unlock', { password: PASSWORD });
    const byUser = waitFor<{ reason: string }>(core, 'vault.locked', (p) => p.reason === 'user');
    await call(core, 'vault.lock', { keepMining: false });
    await byUser;
    await settle();
    expect(posted).toHaveLength(1);

    // Setting off: the same idle lock posts nothing.
    await call(core, 'settings.update', { notifications: false });
    await call(core, 'vault.unlock', { password: PASSWORD });
    const idleAgain = waitFor<{ reason: string }>(core, 'vault.locked', (p) => p.reason === 'idle');
    await idleAgain;
    await settle();
    expect(posted).toHaveLength(1);
  });

  it('a checkpoint verdict posts one notification with the score in words, and none while the setting is off', async () => {
    const dataDir = tempDataDir('minerva-notify-ckpt-');
    network = await startPracticeNetwork({ dataDir, parties: ['chain', 'hub', 'validator'], blockTimeMs: 150 });
    const core = open(dataDir);
    const posted = record(core);
    await call(core, 'vault.create', { password: PASSWORD });
    await call(core, 'competitions.list', { refresh: true });
    await call(core, 'competitions.join', { id: 'practice-checkpoint' });
    await waitFor<CompetitionsView>(core, 'competitions.changed', (v) => v.competitions.find((c) => c.id === 'practice-checkpoint')?.membership?.state === 'joined');
    const file = join(tempDataDir('minerva-notify-files-'), 'mine.ckpt');
    writeFileSync(file, trainedCheckpoint());

    const first = await call<CheckpointSubmissionView>(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: file, expertGroup: 'a', confirmPublish: true });
    const done = await waitFor<CheckpointSubmissionView>(core, 'checkpoints.changed', (v) => v.id === first.id && ['accepted', 'rejected', 'failed'].includes(v.state), 90_000);
    expect(done.state, done.verdict?.words ?? done.error?.message).toBe('accepted');
    await settle();
    await new Promise((r) => setTimeout(r, 200)); // the title lookup is asynchronous
    expect(posted.map((n) => [n.id, n.kind, n.href])).toEqual([[`checkpoint-verdict:${first.id}`, 'checkpoint-verdict', '#/checkpoints']]);
    expect(posted[0]?.title).toMatch(/^Checkpoint accepted for /);
    expect(posted[0]?.body).toMatch(/^mine\.ckpt scored [0-9.]+\. Accepted: held-out loss/);
    // Nothing secret: no path on disk, no hash, no hotkey.
    expect(JSON.stringify(posted[0])).not.toContain(file);
    expect(JSON.stringify(posted[0])).not.toContain(done.sha256 ?? '-');
    expect(JSON.stringify(posted[0])).not.toContain(done.hotkey);

    await call(core, 'settings.update', { notifications: false });
    const second = await call<CheckpointSubmissionView>(core, 'checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: file, expertGroup: 'b' });
    const secondDone = await waitFor<CheckpointSubmissionView>(core, 'checkpoints.changed', (v) => v.id === second.id && ['accepted', 'rejected', 'failed'].includes(v.state), 90_000);
    expect(secondDone.state).toBe('accepted');
    await settle();
    await new Promise((r) => setTimeout(r, 200));
    expect(posted).toHaveLength(1);
  });
});
