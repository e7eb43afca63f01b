import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { AppError, isAppError, missingCase } from '@shared/contract/errors';
import { markHealthy, rollBack, startupCheck, updatesDir, type StartupDecision } from '@core/updates/pending';
import type { UpdateInstaller } from '@core/updates/updates.service';
import { HIDDEN_FLAG } from './login-item';

/**
 * How the desktop app installs a verified update (core's `UpdateInstaller`, docs/updates.md), without
 * `electron`: `updater.ts` hands in Electron's relaunch and quit. Core has already checked the file
 * (Ed25519 over the channel file, then size and SHA-512): this module only puts it in place.
 *
 *   - AppImage (Linux, `$APPIMAGE` set): the running AppImage is kept as
 *     `<data dir>/updates/previous-<version>.AppImage` (the rollback: a hard link on the same file
 *     system, else a chunked copy that never blocks the main process); the verified file replaces
 *     `$APPIMAGE` atomically (`replaceFileAtomic`: a temp file in the same folder, chmod 0755,
 *     fsync, rename, fsync the folder) and the app relaunches from `$APPIMAGE` (not from `process.execPath`, which points into
 *     the old AppImage's mount and goes away with it).
 *   - Windows (NSIS), installed for this user: the verified installer is kept as
 *     `<data dir>/updates/installer-<version>.exe` (the rollback of the next update), started
 *     detached with `--updated /S --force-run` (as electron-updater's NsisUpdater: silent, waits
 *     for the app to exit, starts it again) and the app quits. Installed for every user (a folder
 *     this user cannot write): none, and the miner is told to run the new installer as an
 *     administrator (`perMachineWords`).
 *   - everything else (macOS dmg, deb, snap, Store, portable, a development run): no installer —
 *     core then says to install the new version from the website (updates.service.ts).
 *
 * Tested against real files in a temp folder: tests/unit/electron/update-install.test.ts.
 */
export type InstallPlan = { kind: 'appimage'; appImage: string } | { kind: 'nsis' } | { kind: 'none'; why: string; words?: string };

export interface HostFacts {
  platform: string;
  env: Record<string, string | undefined>;
  /** app.isPackaged: a development run never installs anything. */
  packaged: boolean;
  /** process.windowsStore */
  windowsStore?: boolean | undefined;
  /** Windows: the folder the app runs from (`dirname(process.execPath)`), where the installer writes. */
  installDir?: string | undefined;
  /** Windows: whether this user can write there (`canWriteFolder(installDir)`); false for a per-machine install run without elevation. */
  installDirWritable?: boolean | undefined;
}

/**
 * A per-machine install (NSIS "Anyone who uses this computer", in Program Files) is not updated
 * silently. electron-updater runs such an installer through `elevate.exe` when the channel file
 * says `isAdminRightsRequired` (only written for `nsis.perMachine: true`, which this app does not
 * set: its installer asks per-user or per-machine), else it starts it as we do, and the NSIS
 * template elevates a silent upgrade of a per-machine installation itself (UAC_RunElevated in
 * installer.nsi's install section). Either way the app has already quit when Windows asks for an
 * administrator, and when that prompt is declined, times out or is answered by a user who is not
 * one, the installer quits without a word (error 1223 is a plain Quit) and does not start Minerva
 * again: a miner away from the keyboard comes back to no miner. So the app says what to do instead.
 */
export function perMachineWords(installDir: string | undefined): string {
  return `Minerva is installed for every user of this computer${installDir ? ` (in ${installDir})` : ''}, so only an administrator can update it and it does not replace itself. Download the new installer from the Minerva website and run it; Windows asks for an administrator's permission. Your wallet and data stay as they are.`;
}

export function installPlan(f: HostFacts): InstallPlan {
  if (!f.packaged) return { kind: 'none', why: 'a development run (not packaged)' };
  if (f.platform === 'linux') {
    if (f.env.SNAP) return { kind: 'none', why: 'a snap (snapd updates it)' };
    const appImage = f.env.APPIMAGE;
    if (appImage && isAbsolute(appImage) && !appImage.includes('\0')) return { kind: 'appimage', appImage };
    return { kind: 'none', why: 'installed from a package (its package manager updates it)' };
  }
  if (f.platform === 'win32') {
    if (f.windowsStore) return { kind: 'none', why: 'the Microsoft Store build (the Store updates it)' };
    if (f.env.PORTABLE_EXECUTABLE_FILE) return { kind: 'none', why: 'the portable build' };
    if (f.installDirWritable === false) return { kind: 'none', why: `installed for all users in ${f.installDir ?? 'a folder this user cannot write'} (updating needs an administrator)`, words: perMachineWords(f.installDir) };
    return { kind: 'nsis' };
  }
  if (f.platform === 'darwin') return { kind: 'none', why: 'macOS (the app from the dmg is replaced by hand)' };
  return { kind: 'none', why: `no installer for ${f.platform}` };
}

/**
 * Whether this process can create a file in `dir`, found by creating (then removing) one: on
 * Windows `fs.access(W_OK)` ignores ACLs, and Program Files refuses a user without elevation
 * only there. Electron's manifest turns UAC file virtualization off, so the refusal is real.
 */
export function canWriteFolder(dir: string): boolean {
  const probe = join(dir, `.minerva-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch {
    return false;
  }
  try {
    unlinkSync(probe);
  } catch {
    // created, so writable; a leftover probe is harmless
  }
  return true;
}

/** The verified file each installer accepts (the channel file may list several: AppImage and deb share latest-linux.yml). */
export const INSTALL_FILE_EXTENSION = { appimage: 'AppImage', nsis: 'exe' } as const;

/** electron-updater's NsisUpdater arguments: `--updated` (the installer waits for the app to exit), silent, and start the app again. */
export const NSIS_ARGS = ['--updated', '/S', '--force-run'] as const;

/** The arguments of the relaunched app: the same, but never started hidden (the miner just pressed Restart). */
export function relaunchArgs(argv: readonly string[]): string[] {
  return argv.slice(1).filter((a) => a !== HIDDEN_FLAG);
}

/** What `replaceFileAtomic` did: shared the source's inode (a hard link) or copied its bytes. */
export type ReplaceMethod = 'link' | 'copy';

export interface ReplaceOptions {
  /** The new file's mode (chmod, so the umask does not narrow it); absent: the source's. */
  mode?: number;
  /**
   * Hard-link `source` in place of copying its bytes when both are on one file system (default
   * true): instant, and exact. The two names then share one file, which is fine here because
   * nothing writes an AppImage or a download in place — every change is a new file renamed over
   * the name. Any refusal (another file system: EXDEV; a file the miner does not own under
   * fs.protected_hardlinks: EPERM; FAT: EPERM/ENOTSUP) falls back to the copy.
   */
  link?: boolean;
  /** Called after each chunk of a copy (never for a link): bytes copied so far, bytes in all. Throwing stops the copy. */
  onProgress?: (copied: number, total: number) => void;
  /** Runs last before the rename (tests fail there). */
  beforeRename?: (temp: string) => void | Promise<void>;
}

/** A copy reads and writes this much at a time, then gives the event loop back. */
export const COPY_CHUNK_BYTES = 1024 * 1024;

/**
 * Replaces `target` with `source`'s bytes, atomically and without blocking the event loop: a temp
 * file beside `target` (same folder, so the rename cannot cross file systems) is a hard link to
 * `source` where the file system allows it, else a copy streamed in `COPY_CHUNK_BYTES` chunks
 * through libuv's thread pool; then `mode`, fsync (data and inode: also a link's, as the download
 * may never have been synced), a size check against `source`, the rename over `target`, and an
 * fsync of the folder. A failure at any step (a full disk mid-copy, a folder that refuses writes,
 * a throwing `onProgress`) removes the temp file and leaves `target` as it was.
 */
export async function replaceFileAtomic(source: string, target: string, options: ReplaceOptions = {}): Promise<ReplaceMethod> {
  const info = await stat(source);
  if (!info.isFile()) throw Object.assign(new Error(`${source} is not a file`), { code: 'EISDIR' });
  const temp = join(dirname(target), `.${basename(target)}.update-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let method: ReplaceMethod = 'copy';
  try {
    if (options.link !== false) {
      try {
        await link(source, temp);
        method = 'link';
      } catch {
        method = 'copy';
      }
    }
    if (method === 'copy') await copyChunked(source, temp, info.size, options.mode ?? info.mode & 0o777, options.onProgress);
    const out = await open(temp, 'r');
    try {
      // A link shares the source's inode: chmod only when its mode is not already the one asked for.
      if (options.mode !== undefined && ((await out.stat()).mode & 0o777) !== options.mode) await out.chmod(options.mode);
      await out.sync();
      const size = (await out.stat()).size;
      if (size !== info.size) throw new Error(`copied ${size} of ${info.size} bytes`);
    } finally {
      await out.close();
    }
    await options.beforeRename?.(temp);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDirAsync(dirname(target));
  return method;
}

async function copyChunked(source: string, temp: string, total: number, mode: number, onProgress: ReplaceOptions['onProgress']): Promise<void> {
  const input = await open(source, 'r');
  try {
    const out = await open(temp, 'wx', mode);
    try {
      await out.chmod(mode); // the umask applied at open
      const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
      let copied = 0;
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, buffer.length, copied);
        if (bytesRead === 0) break;
        for (let written = 0; written < bytesRead; ) written += (await out.write(buffer, written, bytesRead - written, copied + written)).bytesWritten;
        copied += bytesRead;
        onProgress?.(copied, total);
      }
    } finally {
      await out.close();
    }
  } finally {
    await input.close();
  }
}

/** fsync a folder (its new entries), where the platform allows (not Windows). */
async function fsyncDirAsync(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // the rename itself is still atomic
  }
}

export interface InstallerDeps {
  plan: Exclude<InstallPlan, { kind: 'none' }>;
  dataDir: string;
  /** The running version (names the kept rollback file). */
  version: string;
  /** process.argv */
  argv: readonly string[];
  /** Electron: `app.relaunch(options)` — the new process starts once this one has exited. */
  relaunch(options: { execPath: string; args: string[] }): void;
  /** Electron: quit the app the usual way (core closes first). */
  quit(): void;
  /** Starts a program detached from this one (default: node's spawn, detached, no stdio). */
  spawnDetached?: (file: string, args: readonly string[]) => Promise<void>;
  log?: { info(message: string, fields?: Record<string, unknown>): void; warn(message: string, fields?: Record<string, unknown>): void };
}

export type DesktopInstaller = UpdateInstaller & { readonly fileExtension: string };

const PREVIOUS_PREFIX = 'previous-';
const INSTALLER_PREFIX = 'installer-';

export function keptFileName(kind: 'previous' | 'installer', version: string, extension: string): string {
  return `${kind === 'previous' ? PREVIOUS_PREFIX : INSTALLER_PREFIX}${version}.${extension}`;
}

/** Removes kept files of one kind except `keep` (so a folder never holds more than one rollback). */
async function pruneKept(dir: string, prefix: string, extension: string, keep: readonly string[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith(`.${extension}`) && !keep.includes(name)) await rm(join(dir, name), { force: true });
  }
}

function defaultSpawnDetached(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { detached: true, stdio: 'ignore' });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

export function createDesktopInstaller(d: InstallerDeps): DesktopInstaller {
  const dir = updatesDir(d.dataDir);
  const extension = INSTALL_FILE_EXTENSION[d.plan.kind];
  const spawnDetached = d.spawnDetached ?? defaultSpawnDetached;

  const keepPrevious = async (): Promise<string | null> => {
    try {
      if (d.plan.kind === 'appimage') {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const name = keptFileName('previous', d.version, extension);
        const kept = join(dir, name);
        // A hard link where $APPIMAGE and the data folder share a file system (no copy: the install
        // renames the new file over $APPIMAGE, so this name keeps the running file's bytes), else
        // a copy in chunks that leaves the event loop free (~150 MB); the mode stays the file's own.
        const started = Date.now();
        const method = await replaceFileAtomic(d.plan.appImage, kept);
        d.log?.info('the running AppImage is kept for a rollback', { method, ms: Date.now() - started });
        await pruneKept(dir, PREVIOUS_PREFIX, extension, [name]);
        return kept;
      }
      // NSIS: the installer of the running version, if an update installed it (installs below keep it).
      const kept = join(dir, keptFileName('installer', d.version, extension));
      return existsSync(kept) ? kept : null;
    } catch (error) {
      d.log?.warn('the running version could not be kept for a rollback; updating without one', { error: (error as Error).message });
      return null;
    }
  };

  const install = async (file: string, version: string): Promise<void> => {
    if (!file.toLowerCase().endsWith(`.${extension.toLowerCase()}`)) {
      throw new AppError(
        'UNSUPPORTED',
        `The verified update (${basename(file)}) is not ${d.plan.kind === 'appimage' ? 'an AppImage' : 'a Windows installer'}, so it was not installed. Download Minerva ${version} from the Minerva website.`,
      );
    }
    if (d.plan.kind === 'appimage') {
      const appImage = d.plan.appImage;
      // The download goes once installed, so $APPIMAGE may take its file (a hard link); a kept
      // rollback file stays, so it is copied — never one file under both names, which a later
      // in-place write to $APPIMAGE (cp over it) would change in the kept copy too.
      const dropAfter = dirname(file) === dir && !basename(file).startsWith(PREVIOUS_PREFIX);
      try {
        await replaceFileAtomic(file, appImage, { mode: 0o755, link: dropAfter });
      } catch (error) {
        d.log?.warn('the AppImage could not be replaced; the running version stays', { error: (error as Error).message });
        throw new AppError(
          'UNAVAILABLE',
          `Minerva could not replace ${appImage} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}), so this version stays as it was. Move the AppImage into a folder you can write to and restart it, or download Minerva ${version} from the Minerva website.`,
          { cause: error },
        );
      }
      // The download is no longer needed (a kept rollback file stays where it is).
      if (dropAfter) await rm(file, { force: true });
      d.log?.info('AppImage replaced; relaunching', { version });
      d.relaunch({ execPath: appImage, args: relaunchArgs(d.argv) });
      d.quit();
      return;
    }
    // NSIS: keep the installer under a name the next update finds (its rollback), then run it.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const name = keptFileName('installer', version, extension);
    const kept = join(dir, name);
    try {
      if (file !== kept) await rename(file, kept);
      await pruneKept(dir, INSTALLER_PREFIX, extension, [name, keptFileName('installer', d.version, extension)]);
      await spawnDetached(kept, NSIS_ARGS);
    } catch (error) {
      if (isAppError(error)) throw error;
      d.log?.warn('the installer could not be started; the running version stays', { error: (error as Error).message });
      throw new AppError('UNAVAILABLE', `The Minerva ${version} installer could not be started (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Run ${kept} yourself, or download it from the Minerva website.`, {
        cause: error,
      });
    }
    d.log?.info('installer started; quitting so it can replace the app', { version });
    d.quit();
  };

  return { fileExtension: extension, keepPrevious, install };
}

/** What the host does at start, before core opens (pending.ts has the rollback design). */
export type StartupStep = { action: 'continue'; decision: StartupDecision | null; note: string | null } | { action: 'reinstall'; previous: string; version: string; note: string };

/**
 * Every start: counts a trial start of a freshly installed version, and after too many that never
 * became healthy rolls back (the pre-upgrade database copy is put back by `rollBack`); with an
 * installer and a kept previous version the host then reinstalls it (`installer.install`), else
 * the app starts as it is and Settings → Updates says to install the previous version again.
 * Never throws: a start is never blocked by the update marker.
 */
export function updateStartup(dataDir: string, version: string, canInstall: boolean): StartupStep {
  let decision: StartupDecision;
  try {
    decision = startupCheck(dataDir, version);
  } catch (error) {
    return { action: 'continue', decision: null, note: `the update marker could not be read: ${(error as Error).message}` };
  }
  switch (decision.state) {
    case 'none':
      return { action: 'continue', decision, note: null };
    case 'not-applied':
      return { action: 'continue', decision, note: `the update to ${decision.marker.to} was not installed; the marker was dropped` };
    case 'trial':
      return { action: 'continue', decision, note: `trial start ${decision.attempt} of Minerva ${version} after an update` };
    case 'rollback': {
      let rolled: ReturnType<typeof rollBack>;
      try {
        rolled = rollBack(dataDir, decision.marker);
      } catch (error) {
        return { action: 'continue', decision, note: `the rollback failed: ${(error as Error).message}` };
      }
      if (rolled.previous && canInstall) return { action: 'reinstall', previous: rolled.previous, version: decision.marker.from, note: rolled.record.detail };
      return { action: 'continue', decision, note: rolled.record.detail };
    }
    default:
      throw missingCase(decision);
  }
}

/** Once core is open and the window is up: a freshly installed update stays (pending.ts). Never throws. */
export function markUpdateHealthy(dataDir: string, version: string, log: InstallerDeps['log']): void {
  try {
    const kept = markHealthy(dataDir, version);
    if (kept) log?.info(kept.detail);
  } catch (error) {
    log?.warn('the update marker could not be cleared', { error: (error as Error).message });
  }
}
