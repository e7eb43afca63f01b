import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@core/log/logger';
import { lastUpdateRecord, readPendingUpdate, updatesDir, writePendingUpdate } from '@core/updates/pending';
import { UpdatesService } from '@core/updates/updates.service';
import {
  COPY_CHUNK_BYTES,
  NSIS_ARGS,
  canWriteFolder,
  perMachineWords,
  createDesktopInstaller,
  installPlan,
  keptFileName,
  markUpdateHealthy,
  relaunchArgs,
  replaceFileAtomic,
  updateStartup,
  type InstallPlan,
} from '../../../src-main/electron/update-install';
import { startTestFeed, type TestFeed } from '../../helpers/update-feed';
import { tempDir } from '../vault/helpers';

/**
 * The desktop installer's Node side (src-main/electron/update-install.ts) on real files in a temp
 * folder: which installer for which host, the atomic AppImage replacement (content, mode, a failure
 * leaving the old file whole), the kept rollback file, the NSIS installer really started with its
 * arguments, and the start-up rollback over core's real marker. Electron's relaunch and quit are
 * the only stand-ins (they would end the test process).
 */
const dirs: { cleanup(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));
function temp(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d.path;
}
const mode = (file: string): number => statSync(file).mode & 0o777;

/** A data folder and an "installed" AppImage in its own folder (as ~/Applications). */
function appImageHost(old = 'the running Minerva 0.1.0') {
  const dataDir = temp('upd-data');
  const apps = temp('upd-apps');
  const appImage = join(apps, 'Minerva.AppImage');
  writeFileSync(appImage, old);
  chmodSync(appImage, 0o755);
  const calls: string[] = [];
  const relaunched: { execPath: string; args: string[] }[] = [];
  const plan: Extract<InstallPlan, { kind: 'appimage' }> = { kind: 'appimage', appImage };
  const installer = createDesktopInstaller({
    plan,
    dataDir,
    version: '0.1.0',
    argv: ['/tmp/.mount_MinervXYZ/minerva', '--hidden', '--no-sandbox'],
    relaunch: (o) => {
      calls.push('relaunch');
      relaunched.push(o);
    },
    quit: () => calls.push('quit'),
  });
  return { dataDir, apps, appImage, installer, calls, relaunched };
}

/** A verified file as core leaves it in `<data dir>/updates/` (0600). */
function verified(dataDir: string, name: string, body: string): string {
  mkdirSync(updatesDir(dataDir), { recursive: true });
  const file = join(updatesDir(dataDir), name);
  writeFileSync(file, body, { mode: 0o600 });
  return file;
}

describe('which installer', () => {
  it('AppImage where $APPIMAGE is set, NSIS on packaged Windows, none elsewhere (core then says to use the website)', () => {
    const linux = { platform: 'linux', packaged: true };
    expect(installPlan({ ...linux, env: { APPIMAGE: '/home/ana/Apps/Minerva-0.1.0-x86_64.AppImage' } })).toEqual({ kind: 'appimage', appImage: '/home/ana/Apps/Minerva-0.1.0-x86_64.AppImage' });
    expect(installPlan({ ...linux, env: {} })).toMatchObject({ kind: 'none', why: expect.stringMatching(/package manager/) as unknown });
    expect(installPlan({ ...linux, env: { APPIMAGE: 'relative/Minerva.AppImage' } }).kind).toBe('none');
    // A renamed AppImage is still one (the runtime sets $APPIMAGE); the name is kept on update.
    expect(installPlan({ ...linux, env: { APPIMAGE: '/home/ana/bin/minerva' } })).toEqual({ kind: 'appimage', appImage: '/home/ana/bin/minerva' });
    expect(installPlan({ ...linux, env: { APPIMAGE: '/a/Minerva.AppImage', SNAP: '/snap/minerva/1' } }).kind).toBe('none');
    expect(installPlan({ platform: 'linux', packaged: false, env: { APPIMAGE: '/a/Minerva.AppImage' } })).toMatchObject({ kind: 'none', why: expect.stringMatching(/development/) as unknown });
    expect(installPlan({ platform: 'win32', packaged: true, env: {} })).toEqual({ kind: 'nsis' });
    expect(installPlan({ platform: 'win32', packaged: true, env: { PORTABLE_EXECUTABLE_FILE: 'C:\\M.exe' } }).kind).toBe('none');
    expect(installPlan({ platform: 'win32', packaged: true, env: {}, windowsStore: true }).kind).toBe('none');
    expect(installPlan({ platform: 'darwin', packaged: true, env: { APPIMAGE: '/a/Minerva.AppImage' } })).toMatchObject({ kind: 'none', why: expect.stringMatching(/macOS/) as unknown });
  });

  it('Windows installed for every user (a folder this user cannot write): no silent install, and words saying what to do instead', () => {
    const win = { platform: 'win32', packaged: true, env: {} };
    expect(installPlan({ ...win, installDir: 'C:\\Users\\ana\\AppData\\Local\\Programs\\Minerva', installDirWritable: true })).toEqual({ kind: 'nsis' });
    const perMachine = installPlan({ ...win, installDir: 'C:\\Program Files\\Minerva', installDirWritable: false });
    expect(perMachine).toMatchObject({ kind: 'none', why: expect.stringMatching(/all users in C:\\Program Files\\Minerva .*administrator/) as unknown });
    if (perMachine.kind !== 'none') return;
    expect(perMachine.words).toBe(perMachineWords('C:\\Program Files\\Minerva'));
    expect(perMachine.words).toMatch(/installed for every user of this computer \(in C:\\Program Files\\Minerva\), so only an administrator can update it/);
    expect(perMachine.words).toMatch(/Download the new installer from the Minerva website and run it; Windows asks for an administrator's permission/);
    // An elevated app (it can write there) updates as usual: the installer it starts inherits the rights.
    expect(installPlan({ ...win, installDir: 'C:\\Program Files\\Minerva', installDirWritable: true })).toEqual({ kind: 'nsis' });
    // The other platforms never ask.
    expect(installPlan({ platform: 'linux', packaged: true, env: { APPIMAGE: '/a/M.AppImage' }, installDirWritable: false }).kind).toBe('appimage');
  });

  it('finds whether a folder can be written by writing in it (real folders), leaving nothing behind', (context) => {
    const dir = temp('upd-probe');
    expect(canWriteFolder(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(canWriteFolder(join(dir, 'missing'))).toBe(false);
    writeFileSync(join(dir, 'a-file'), '');
    expect(canWriteFolder(join(dir, 'a-file'))).toBe(false);
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    if (process.getuid?.() === 0) {
      // root writes through a chmod: a read-only mount is the folder it cannot write.
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', locked], { stdio: 'ignore' });
      } catch {
        context.skip('running as root without the right to mount a read-only folder');
      }
      try {
        expect(canWriteFolder(locked)).toBe(false);
      } finally {
        execFileSync('umount', [locked]);
      }
    } else {
      chmodSync(locked, 0o500);
      expect(canWriteFolder(locked)).toBe(false);
      chmodSync(locked, 0o700);
    }
  });

  it('relaunches with the same arguments, never hidden; runs NSIS as electron-updater does', () => {
    expect(relaunchArgs(['/tmp/.mount_x/minerva', '--hidden', '--no-sandbox'])).toEqual(['--no-sandbox']);
    expect(NSIS_ARGS).toEqual(['--updated', '/S', '--force-run']);
  });
});

describe('atomic replacement', () => {
  it('replaces the file with the new bytes, mode 0755, and leaves no temp file (a copy, and a hard link)', async () => {
    for (const link of [false, true]) {
      const dir = temp('upd-replace');
      const target = join(dir, 'Minerva.AppImage');
      writeFileSync(target, 'old');
      chmodSync(target, 0o700);
      const source = join(temp('upd-src'), 'new.AppImage');
      writeFileSync(source, 'new version bytes', { mode: 0o600 });
      // Both temp folders are on one file system here, so the default links.
      await expect(replaceFileAtomic(source, target, { mode: 0o755, link })).resolves.toBe(link ? 'link' : 'copy');
      expect(readFileSync(target, 'utf8')).toBe('new version bytes');
      expect(mode(target)).toBe(0o755);
      expect(readdirSync(dir)).toEqual(['Minerva.AppImage']);
      expect(readFileSync(source, 'utf8')).toBe('new version bytes'); // the source stays
      expect(statSync(target).ino === statSync(source).ino).toBe(link);
    }
  });

  it('copies a large file in chunks with progress, leaving the event loop free, byte for byte', async () => {
    const dir = temp('upd-large');
    const source = join(dir, 'Minerva-0.2.0.AppImage');
    const body = randomBytes(24 * COPY_CHUNK_BYTES + 12345);
    writeFileSync(source, body);
    const target = join(dir, 'Minerva.AppImage');
    writeFileSync(target, 'old');
    const progress: number[] = [];
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 1);
    try {
      await replaceFileAtomic(source, target, { link: false, mode: 0o755, onProgress: (copied, total) => progress.push(copied / total) });
    } finally {
      clearInterval(ticker);
    }
    // A synchronous copy would run in one turn of the event loop: no timer in between.
    expect(ticks).toBeGreaterThan(3);
    expect(progress).toHaveLength(25);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(createHash('sha256').update(readFileSync(target)).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(statSync(target).ino).not.toBe(statSync(source).ino);
  });

  it('a failure mid-copy leaves the old file whole and removes the temp file', async () => {
    const dir = temp('upd-replace');
    const target = join(dir, 'Minerva.AppImage');
    writeFileSync(target, 'old, still running');
    chmodSync(target, 0o755);
    const source = join(temp('upd-src'), 'new.AppImage');
    writeFileSync(source, randomBytes(3 * COPY_CHUNK_BYTES));
    let sawTemp = -1;
    const failing = replaceFileAtomic(source, target, {
      link: false,
      onProgress: (copied) => {
        const temps = readdirSync(dir).filter((n) => n.endsWith('.tmp'));
        sawTemp = temps.length === 1 ? statSync(join(dir, temps[0]!)).size : -1;
        if (copied >= COPY_CHUNK_BYTES) throw new Error('disk gone');
      },
    });
    await expect(failing).rejects.toThrow('disk gone');
    expect(sawTemp).toBe(COPY_CHUNK_BYTES); // the copy was under way beside the target
    expect(readFileSync(target, 'utf8')).toBe('old, still running');
    expect(mode(target)).toBe(0o755);
    expect(readdirSync(dir)).toEqual(['Minerva.AppImage']);
  });

  it('a full disk mid-copy (a real 2 MiB tmpfs, another file system: no link) leaves the old file whole', async (context) => {
    if (process.getuid?.() !== 0) context.skip('mounting a small tmpfs needs root');
    const dir = temp('upd-full');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      context.skip('running as root without the right to mount a tmpfs');
    }
    try {
      const target = join(dir, 'Minerva.AppImage');
      writeFileSync(target, 'old, still running');
      const source = join(temp('upd-src'), 'new.AppImage');
      writeFileSync(source, randomBytes(6 * COPY_CHUNK_BYTES));
      await expect(replaceFileAtomic(source, target, { mode: 0o755 })).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(readFileSync(target, 'utf8')).toBe('old, still running');
      expect(readdirSync(dir)).toEqual(['Minerva.AppImage']);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('a failure after the copy, before the rename, leaves the old file whole and removes the temp file', async () => {
    const dir = temp('upd-replace');
    const target = join(dir, 'Minerva.AppImage');
    writeFileSync(target, 'old, still running');
    chmodSync(target, 0o755);
    const source = join(temp('upd-src'), 'new.AppImage');
    writeFileSync(source, 'new');
    let sawTemp = '';
    await expect(
      replaceFileAtomic(source, target, {
        beforeRename: (t) => {
          sawTemp = readFileSync(t, 'utf8');
          throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    expect(sawTemp).toBe('new'); // the file was complete beside the target
    expect(readFileSync(target, 'utf8')).toBe('old, still running');
    expect(mode(target)).toBe(0o755);
    expect(readdirSync(dir)).toEqual(['Minerva.AppImage']);
  });

  it('a source that cannot be read fails before anything is touched', async () => {
    const dir = temp('upd-replace');
    const target = join(dir, 'Minerva.AppImage');
    writeFileSync(target, 'old');
    await expect(replaceFileAtomic(join(dir, 'missing.AppImage'), target)).rejects.toThrow(/ENOENT/);
    await expect(replaceFileAtomic(temp('upd-a-folder'), target)).rejects.toThrow(/not a file/);
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['Minerva.AppImage']);
  });
});

describe('AppImage installer', () => {
  it('keeps the running AppImage for a rollback (one kept file at a time): a hard link, which the install does not change', async () => {
    const h = appImageHost();
    const stale = verified(h.dataDir, keptFileName('previous', '0.0.9', 'AppImage'), 'older');
    const kept = await h.installer.keepPrevious();
    expect(kept).toBe(join(updatesDir(h.dataDir), 'previous-0.1.0.AppImage'));
    expect(readFileSync(kept!, 'utf8')).toBe('the running Minerva 0.1.0');
    expect(mode(kept!)).toBe(0o755);
    expect(statSync(kept!).ino).toBe(statSync(h.appImage).ino); // same file system: no copy
    expect(existsSync(stale)).toBe(false);
    expect(h.installer.fileExtension).toBe('AppImage');
    // The install renames a new file over $APPIMAGE: the kept name still holds the old bytes.
    await h.installer.install(verified(h.dataDir, 'Minerva-0.2.0.AppImage', 'Minerva 0.2.0'), '0.2.0');
    expect(readFileSync(h.appImage, 'utf8')).toBe('Minerva 0.2.0');
    expect(readFileSync(kept!, 'utf8')).toBe('the running Minerva 0.1.0');
  });

  it('replaces $APPIMAGE with the verified file, executable, then relaunches from $APPIMAGE (not the old mount) and quits', async () => {
    const h = appImageHost();
    const file = verified(h.dataDir, 'Minerva-0.2.0.AppImage', 'Minerva 0.2.0');
    await h.installer.install(file, '0.2.0');
    expect(readFileSync(h.appImage, 'utf8')).toBe('Minerva 0.2.0');
    expect(mode(h.appImage)).toBe(0o755);
    expect(readdirSync(h.apps)).toEqual(['Minerva.AppImage']);
    expect(existsSync(file)).toBe(false); // the download is not kept twice
    expect(h.calls).toEqual(['relaunch', 'quit']);
    expect(h.relaunched).toEqual([{ execPath: h.appImage, args: ['--no-sandbox'] }]);
  });

  it('refuses a verified file of another kind (the deb of the same channel file) and touches nothing', async () => {
    const h = appImageHost();
    const deb = verified(h.dataDir, 'minerva_0.2.0_amd64.deb', 'a deb');
    await expect(h.installer.install(deb, '0.2.0')).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/is not an AppImage.*Minerva website/) as unknown });
    expect(readFileSync(h.appImage, 'utf8')).toBe('the running Minerva 0.1.0');
    expect(h.calls).toEqual([]);
  });

  it('says so in words when $APPIMAGE cannot be replaced, and does not restart', async () => {
    const h = appImageHost();
    const file = verified(h.dataDir, 'Minerva-0.2.0.AppImage', 'Minerva 0.2.0');
    rmSync(h.apps, { recursive: true }); // the folder holding the AppImage is gone (moved, unmounted)
    const error = await h.installer.install(file, '0.2.0').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/could not replace .*Minerva\.AppImage \(ENOENT\), so this version stays/) as unknown });
    expect(existsSync(file)).toBe(true); // still verified, for another try
    expect(h.calls).toEqual([]);
  });
});

describe('NSIS installer', () => {
  /** A stand-in installer that really runs (a shell script; Windows would run the .exe) and writes its arguments beside itself. */
  function nsisHost() {
    const dataDir = temp('upd-nsis');
    const calls: string[] = [];
    const installer = createDesktopInstaller({ plan: { kind: 'nsis' }, dataDir, version: '0.1.0', argv: ['Minerva.exe'], relaunch: () => calls.push('relaunch'), quit: () => calls.push('quit') });
    const setup = (version: string, executable = true): string => {
      const file = verified(dataDir, `Minerva-${version}-win-x64.exe`, '#!/bin/sh\nprintf "%s\\n" "$@" > "$(dirname "$0")/args.txt"\n');
      if (executable) chmodSync(file, 0o755);
      return file;
    };
    return { dataDir, installer, calls, setup };
  }

  it('starts the verified installer detached with --updated /S --force-run, keeps it for the next rollback, and quits', async () => {
    const h = nsisHost();
    expect(await h.installer.keepPrevious()).toBeNull(); // 0.1.0 was not installed by an update: nothing to roll back to
    await h.installer.install(h.setup('0.2.0'), '0.2.0');
    const dir = updatesDir(h.dataDir);
    await expect.poll(() => (existsSync(join(dir, 'args.txt')) ? readFileSync(join(dir, 'args.txt'), 'utf8') : '')).toBe('--updated\n/S\n--force-run\n');
    expect(h.calls).toEqual(['quit']); // the installer starts the app again, not Electron
    expect(readdirSync(dir).filter((n) => n.endsWith('.exe'))).toEqual(['installer-0.2.0.exe']);
    // The next update, from 0.2.0, keeps that installer as its rollback.
    const next = createDesktopInstaller({ plan: { kind: 'nsis' }, dataDir: h.dataDir, version: '0.2.0', argv: [], relaunch: () => undefined, quit: () => undefined });
    expect(await next.keepPrevious()).toBe(join(dir, 'installer-0.2.0.exe'));
  });

  it('says so in words when the installer cannot be started, and does not quit', async () => {
    const h = nsisHost();
    const error = await h.installer.install(h.setup('0.2.0', false), '0.2.0').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/installer could not be started \(EACCES\)\. Run .*installer-0\.2\.0\.exe yourself/) as unknown });
    expect(h.calls).toEqual([]);
  });
});

describe('start-up: trial starts, healthy, rollback', () => {
  it('counts trial starts of a fresh update; once healthy the update stays', () => {
    const dataDir = temp('upd-start');
    writePendingUpdate(dataDir, { from: '0.1.0', to: '0.2.0', previous: null });
    expect(updateStartup(dataDir, '0.2.0', true)).toMatchObject({ action: 'continue', decision: { state: 'trial', attempt: 1 } });
    markUpdateHealthy(dataDir, '0.2.0', undefined);
    expect(readPendingUpdate(dataDir)).toBeNull();
    expect(lastUpdateRecord(dataDir)).toMatchObject({ outcome: 'updated', from: '0.1.0', to: '0.2.0' });
    expect(updateStartup(dataDir, '0.2.0', true)).toEqual({ action: 'continue', decision: { state: 'none' }, note: null });
  });

  it('drops the marker of an install that did not happen', () => {
    const dataDir = temp('upd-start');
    writePendingUpdate(dataDir, { from: '0.1.0', to: '0.2.0', previous: null });
    expect(updateStartup(dataDir, '0.1.0', true)).toMatchObject({ action: 'continue', note: expect.stringMatching(/0\.2\.0 was not installed/) as unknown });
    expect(readPendingUpdate(dataDir)).toBeNull();
  });

  it('after repeated failed starts, reinstalls the kept previous version; without one it starts and says to reinstall', () => {
    const dataDir = temp('upd-start');
    const previous = verified(dataDir, 'previous-0.1.0.AppImage', 'Minerva 0.1.0');
    writePendingUpdate(dataDir, { from: '0.1.0', to: '0.2.0', previous }, new Date(Date.now() - 1000));
    expect(updateStartup(dataDir, '0.2.0', true)).toMatchObject({ action: 'continue', decision: { state: 'trial', attempt: 1 } });
    expect(updateStartup(dataDir, '0.2.0', true)).toMatchObject({ action: 'continue', decision: { state: 'trial', attempt: 2 } });
    expect(updateStartup(dataDir, '0.2.0', true)).toMatchObject({ action: 'reinstall', previous, version: '0.1.0' });
    expect(lastUpdateRecord(dataDir)).toMatchObject({ outcome: 'rolled-back', from: '0.2.0', to: '0.1.0' });

    const bare = temp('upd-start');
    writePendingUpdate(bare, { from: '0.1.0', to: '0.2.0', previous: null });
    updateStartup(bare, '0.2.0', true);
    updateStartup(bare, '0.2.0', true);
    expect(updateStartup(bare, '0.2.0', true)).toMatchObject({ action: 'continue', note: expect.stringMatching(/rolled back to 0\.1\.0\. Install Minerva 0\.1\.0 again from the website/) as unknown });
  });
});

describe('the whole AppImage update over a real loopback feed', () => {
  let feed: TestFeed;
  beforeAll(async () => {
    feed = await startTestFeed({ prefix: '/' });
  });
  afterAll(() => feed.close());

  it('core downloads and verifies, the restart replaces $APPIMAGE; failed starts of the new version put the old one back', async () => {
    const h = appImageHost('Minerva 0.1.0 bytes');
    const { file } = feed.publish({ version: '0.2.0' });
    const svc = new UpdatesService({
      dataDir: h.dataDir,
      current: '0.1.0',
      host: 'electron',
      platform: 'linux',
      feedUrl: feed.url,
      publicKey: feed.key.publicKey,
      pinnedKey: null,
      installer: h.installer,
      log: createLogger({ dir: join(h.dataDir, 'logs'), console: false }).scope('updates'),
      now: () => new Date(Date.now() - 1000),
      onChange: () => undefined,
      onReady: () => undefined,
    });
    expect(await svc.check()).toMatchObject({ state: 'ready', canInstall: true });
    await svc.restart();
    expect(readFileSync(h.appImage).equals(file)).toBe(true);
    expect(mode(h.appImage)).toBe(0o755);
    expect(h.calls).toEqual(['relaunch', 'quit']);
    const marker = readPendingUpdate(h.dataDir);
    expect(marker).toMatchObject({ from: '0.1.0', to: '0.2.0', previous: join(updatesDir(h.dataDir), 'previous-0.1.0.AppImage') });

    // 0.2.0 never becomes healthy: two trial starts, then the third start rolls back.
    updateStartup(h.dataDir, '0.2.0', true);
    updateStartup(h.dataDir, '0.2.0', true);
    const step = updateStartup(h.dataDir, '0.2.0', true);
    expect(step).toMatchObject({ action: 'reinstall', version: '0.1.0' });
    if (step.action !== 'reinstall') return;
    const asNew = createDesktopInstaller({ plan: { kind: 'appimage', appImage: h.appImage }, dataDir: h.dataDir, version: '0.2.0', argv: ['x'], relaunch: () => h.calls.push('relaunch'), quit: () => h.calls.push('quit') });
    await asNew.install(step.previous, step.version);
    expect(readFileSync(h.appImage, 'utf8')).toBe('Minerva 0.1.0 bytes');
    expect(mode(h.appImage)).toBe(0o755);
    expect(existsSync(step.previous)).toBe(true); // the kept file stays until the next update replaces it
    expect(statSync(h.appImage).ino).not.toBe(statSync(step.previous).ino); // a copy: the two names never share a file
    expect(lastUpdateRecord(h.dataDir)).toMatchObject({ outcome: 'rolled-back' });
  });
});
