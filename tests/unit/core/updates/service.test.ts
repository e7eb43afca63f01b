import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpdateStatus } from '@shared/contract/updates';
import { createLogger } from '@core/log/logger';
import { readPendingUpdate } from '@core/updates/pending';
import { UpdatesService, feedProblem, type UpdateInstaller } from '@core/updates/updates.service';
import { startTestFeed, type TestFeed } from '../../../helpers/update-feed';

/**
 * The updates service over a real loopback feed: the desktop app downloads, verifies and waits for
 * the miner's restart (which writes the rollback marker before the host installs); minerva serve
 * only shows what is available; a build without a feed or key says so.
 */
let feed: TestFeed;
let feedUrl: string;
let publicKey: string;
let file: Buffer;
beforeAll(async () => {
  feed = await startTestFeed({ prefix: '/' });
  feedUrl = feed.url;
  publicKey = feed.key.publicKey;
  file = feed.publish({ version: '0.3.0' }).file;
});
afterAll(() => feed.close());

function service(options: { installer?: UpdateInstaller; feed?: string | null; key?: string | null; pinned?: string | null; current?: string; host?: 'electron' | 'headless'; noInstallerWords?: string } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'minerva-updsvc-'));
  const changes: UpdateStatus[] = [];
  const ready: string[] = [];
  const log = createLogger({ dir: join(dataDir, 'logs'), console: false }).scope('updates');
  const svc = new UpdatesService({
    dataDir,
    current: options.current ?? '0.1.0',
    host: options.host ?? (options.installer ? 'electron' : 'headless'),
    platform: 'linux',
    feedUrl: options.feed === undefined ? feedUrl : options.feed,
    publicKey: options.key === undefined ? publicKey : options.key,
    pinnedKey: options.pinned === undefined ? null : options.pinned,
    installer: options.installer,
    ...(options.noInstallerWords ? { noInstallerWords: options.noInstallerWords } : {}),
    log,
    now: () => new Date('2026-12-06T05:00:00Z'),
    onChange: (s) => changes.push(s),
    onReady: (v) => ready.push(v),
  });
  return { svc, dataDir, changes, ready };
}

describe('updates service', () => {
  it('desktop: downloads and verifies, then waits; the restart writes the rollback marker before installing', async () => {
    const installed: string[] = [];
    let kept = 0;
    const installer: UpdateInstaller = {
      // Keeping an AppImage takes a while (a copy when it cannot be a hard link): a second press joins the first.
      keepPrevious: async () => {
        kept += 1;
        await new Promise((r) => setTimeout(r, 50));
        return '/opt/Minerva-0.1.0.AppImage';
      },
      install: (path) => {
        installed.push(readFileSync(path).length.toString());
        return Promise.resolve();
      },
    };
    const { svc, dataDir, changes, ready } = service({ installer });
    const status = await svc.check();
    expect(status).toMatchObject({ state: 'ready', available: { version: '0.3.0' }, canInstall: true });
    expect(status.words).toMatch(/downloaded and verified\. It installs when you restart/);
    expect(changes.map((c) => c.state)).toEqual(expect.arrayContaining(['checking', 'downloading', 'ready']));
    expect(ready).toEqual(['0.3.0']);
    expect(installed).toEqual([]); // nothing is installed until the miner restarts
    await Promise.all([svc.restart(), svc.restart()]);
    expect(kept).toBe(1);
    expect(installed).toEqual([String(file.length)]);
    expect(readPendingUpdate(dataDir)).toMatchObject({ from: '0.1.0', to: '0.3.0', previous: '/opt/Minerva-0.1.0.AppImage', attempts: 0 });
  });

  it('headless: shows what is available and that the desktop app updates itself; restart is refused', async () => {
    const { svc, ready } = service();
    const status = await svc.check();
    expect(status).toMatchObject({ state: 'available', canInstall: false, available: { version: '0.3.0' } });
    expect(status.words).toMatch(/The desktop app updates itself; this is minerva serve/);
    expect(ready).toEqual([]);
    await expect(svc.restart()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('desktop without an installer (deb, macOS, a dev run): says to install from the website; restart is refused in those words', async () => {
    const { svc } = service({ host: 'electron' });
    const status = await svc.check();
    expect(status).toMatchObject({ state: 'available', canInstall: false, host: 'electron' });
    expect(status.words).toMatch(/cannot replace itself.*Minerva website or your package manager/);
    await expect(svc.restart()).rejects.toThrow(/cannot replace itself/);
  });

  it("desktop without an installer but with the host's words (a per-machine Windows install): those words, not the generic ones", async () => {
    const words = 'Minerva is installed for every user of this computer, so only an administrator can update it. Download the new installer from the Minerva website and run it.';
    const { svc } = service({ host: 'electron', noInstallerWords: words });
    const status = await svc.check();
    expect(status).toMatchObject({ state: 'available', canInstall: false });
    expect(status.words).toBe(`Minerva 0.3.0 is available (signature checked). ${words}`);
    await expect(svc.restart()).rejects.toMatchObject({ code: 'UNSUPPORTED', message: words });
  });

  it('a key other than the pinned release key raises a standing warning; the pinned key does not', async () => {
    const test = service();
    expect(test.svc.status().keyWarning).toMatch(/not the Minerva release key.*MINERVA_UPDATE_PUBLIC_KEY/);
    expect(test.svc.status().configured).toBe(true);
    // The warning stays through a check, whatever its outcome.
    expect((await test.svc.check()).keyWarning).not.toBeNull();
    expect(service({ pinned: publicKey }).svc.status().keyWarning).toBeNull();
    expect(service({ feed: null, key: null }).svc.status().keyWarning).toBeNull();
  });

  it('the same version is up to date; a newer running version refuses the feed as a downgrade', async () => {
    expect((await service({ current: '0.3.0' }).svc.check()).state).toBe('up-to-date');
    const newer = service({ current: '0.4.0' });
    await expect(newer.svc.check()).rejects.toMatchObject({ code: 'UPDATE_DOWNGRADE' });
    expect(newer.svc.status()).toMatchObject({ state: 'error', error: { code: 'UPDATE_DOWNGRADE' } });
  });

  it('a build with no feed or key, or a plain-http remote feed, says so and checks nothing', async () => {
    const none = service({ feed: null });
    expect(none.svc.status()).toMatchObject({ configured: false });
    expect(none.svc.status().words).toMatch(/no update feed or release key/);
    await expect(none.svc.check()).rejects.toMatchObject({ code: 'UPDATE_NOT_CONFIGURED' });
    const plain = service({ feed: 'http://updates.example/' });
    await expect(plain.svc.check()).rejects.toThrow(/must be https/);
    expect(feedProblem('https://updates.example/')).toBeNull();
    expect(feedProblem('http://127.0.0.1:8080/')).toBeNull();
  });
});
