/**
 * `minerva status` (issue 17 part 4) prints core's presence, the view the desktop's tray icon
 * draws, so the terminal and the tray say the same. Here no app runs, so the CLI opens the data
 * folder itself; a wallet file is created by the CLI first.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { PresenceView } from '@shared/contract/presence';
import { CLI, tempDataDir } from '../../helpers/serve-process';

const dataDir = tempDataDir('minerva-status-');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function minerva(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

describe('minerva status', () => {
  it('says there is no wallet yet, then that mining is paused while the wallet is locked', () => {
    const none = minerva(['status', '--json']);
    expect(none.status, none.stderr).toBe(0);
    const view = JSON.parse(none.stdout) as PresenceView;
    expect(view).toMatchObject({ state: 'no-wallet', headline: 'Not set up', workKeysInMemory: false, competitions: { joined: 0, joining: 0, failed: 0 } });
    const human = minerva(['status']);
    expect(human.stdout).toContain('Not set up\n  Open Minerva and create or import a wallet.\nWallet: none');

    const created = minerva(['wallet', 'create', '--accept-weak-password'], { MINERVA_PASSWORD: 'a long enough passphrase 81' });
    expect(created.status, created.stderr).toBe(0);
    // A new process: the wallet is on disk and locked, no key in memory.
    const locked = JSON.parse(minerva(['status', '--json']).stdout) as PresenceView;
    expect(locked).toMatchObject({ state: 'paused', headline: 'Mining paused — wallet locked', walletUnlocked: false });
    expect(minerva(['status']).stdout).toContain('Earned in the last 24 h: not known');
  });
});
