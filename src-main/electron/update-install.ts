import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { AppError, isAppError, missingCase } from '@shared/contract/errors';
import { fsyncDir } from '@common/private-file';
import { markHealthy, rollBack, startupCheck, updatesDir, type StartupDecision } from '@core/updates/pending';
import type { UpdateInstaller } from '@core/updates/updates.service';
import { HIDDEN_FLAG } from './login-item';

/**
 * How the desktop app installs a verified update (core's `UpdateInstaller`, docs/updates.md), without
 * `electron`: `updater.ts` hands in Electron's relaunch and quit. Core has already checked the file
 * (Ed25519 over the channel file, then size and SHA-512): this module only puts it in place.
 *
 *   - AppImage (Linux, `$APPIMAGE` set): the running AppImage is copied to
 *     `<data dir>/updates/previous-<version>.AppImage` (the rollback); the verified file replaces
 *     `$APPIMAGE` atomically (a temp file in the same folder, chmod 0755, fsync, rename, fsync the
 *     folder) and the app relaunches from `$APPIMAGE` (not from `process.execPath`, which points into
 *     the old AppImage's mount and goes away with it).
 *   - Windows (NSIS): the verified installer is kept as `<data dir>/updates/installer-<version>.exe`
 *     (the rollback of the next update), started detached with `--updated /S --force-run` (as
 *     electron-updater's NsisUpdater: silent, waits for the app to exit, starts it again) and the app quits.
 *   - everything else (macOS dmg, deb, snap, Store, portable, a development run): no installer —
 *     core then says to install the new version from the website (updates.service.ts).
 *
 * Tested against real files in a temp folder: tests/unit/electron/update-install.test.ts.
 */
export type InstallPlan = { kind: 'appimage'; appImage: string } | { kind: 'nsis' } | { kind: 'none'; why: string };

export interface HostFacts {
  platform: string;
  env: Record<string, string | undefined>;
  /** app.isPackaged: a development run never installs anything. */
  packaged: boolean;
  /** process.windowsStore */
  windowsStore?: boolean | undefined;
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
    return { kind: 'nsis' };
  }
  if (f.platform === 'darwin') return { kind: 'none', why: 'macOS (the app from the dmg is replaced by hand)' };
  return { kind: 'none', why: `no installer for ${f.platform}` };
}

/** The verified file each installer accepts (the channel file may list several: AppImage and deb share latest-linux.yml). */
export const INSTALL_FILE_EXTENSION = { appimage: 'AppImage', nsis: 'exe' } as const;

/** electron-updater's NsisUpdater arguments: `--updated` (the installer waits for the app to exit), silent, and start the app again. */
export const NSIS_ARGS = ['--updated', '/S', '--force-run'] as const;

/** The arguments of the relaunched app: the same, but never started hidden (the miner just pressed Restart). */
export function relaunchArgs(argv: readonly string[]): string[] {
  return argv.slice(1).filter((a) => a !== HIDDEN_FLAG);
}

/**
 * Replaces `target` with a copy of `source`, atomically: copied to a temp file beside `target`
 * (same folder, so the rename cannot cross file systems), given `mode`, fsynced, checked to be as
 * large as `source`, then renamed over `target` and the folder fsynced. A failure at any step
 * removes the temp file and leaves `target` as it was. `beforeRename` runs last before the rename
 * (tests use it to fail there).
 */
export function replaceFileAtomic(source: string, target: string, options: { mode?: number; beforeRename?: (temp: string) => void } = {}): void {
  const temp = join(dirname(target), `.${basename(target)}.update-${process.pid}.tmp`);
  try {
    copyFileSync(source, temp);
    chmodSync(temp, options.mode ?? 0o755);
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const copied = statSync(temp).size;
    const expected = statSync(source).size;
    if (copied !== expected) throw new Error(`copied ${copied} of ${expected} bytes`);
    options.beforeRename?.(temp);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncDir(dirname(target));
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
function pruneKept(dir: string, prefix: string, extension: string, keep: readonly string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith(`.${extension}`) && !keep.includes(name)) rmSync(join(dir, name), { force: true });
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

  const keepPrevious = (): string | null => {
    try {
      if (d.plan.kind === 'appimage') {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const name = keptFileName('previous', d.version, extension);
        const kept = join(dir, name);
        replaceFileAtomic(d.plan.appImage, kept, { mode: 0o755 });
        pruneKept(dir, PREVIOUS_PREFIX, extension, [name]);
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
      try {
        replaceFileAtomic(file, appImage, { mode: 0o755 });
      } catch (error) {
        d.log?.warn('the AppImage could not be replaced; the running version stays', { error: (error as Error).message });
        throw new AppError(
          'UNAVAILABLE',
          `Minerva could not replace ${appImage} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}), so this version stays as it was. Move the AppImage into a folder you can write to and restart it, or download Minerva ${version} from the Minerva website.`,
          { cause: error },
        );
      }
      // The download is no longer needed (a kept rollback file stays where it is).
      if (dirname(file) === dir && !basename(file).startsWith(PREVIOUS_PREFIX)) rmSync(file, { force: true });
      d.log?.info('AppImage replaced; relaunching', { version });
      d.relaunch({ execPath: appImage, args: relaunchArgs(d.argv) });
      d.quit();
      return;
    }
    // NSIS: keep the installer under a name the next update finds (its rollback), then run it.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = keptFileName('installer', version, extension);
    const kept = join(dir, name);
    try {
      if (file !== kept) renameSync(file, kept);
      pruneKept(dir, INSTALLER_PREFIX, extension, [name, keptFileName('installer', d.version, extension)]);
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
