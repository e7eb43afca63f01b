import { dirname } from 'node:path';
import { app } from 'electron';
import { canWriteFolder, createDesktopInstaller, installPlan, updateStartup, type DesktopInstaller, type InstallerDeps } from './update-install';

/**
 * Core's `UpdateInstaller` for this desktop app, thin: which installer fits this host, and Electron's
 * relaunch and quit. Everything else (the AppImage replacement, the NSIS arguments, the rollback at
 * start) is in `update-install.ts` and unit-tested on real files; docs/updates.md.
 * No installer where the app cannot replace itself (macOS, deb, a development run): core then says
 * to install new versions from the website.
 */
export function desktopUpdater(o: { dataDir: string; version: string; log: InstallerDeps['log'] }): { installer: DesktopInstaller | undefined; why: string | null; words: string | null } {
  // Windows: a per-machine install (Program Files) is one this user cannot write to (update-install.ts).
  const installDir = process.platform === 'win32' && app.isPackaged ? dirname(process.execPath) : undefined;
  const plan = installPlan({
    platform: process.platform,
    env: process.env,
    packaged: app.isPackaged,
    windowsStore: process.windowsStore,
    installDir,
    installDirWritable: installDir === undefined ? undefined : canWriteFolder(installDir),
  });
  if (plan.kind === 'none') return { installer: undefined, why: plan.why, words: plan.words ?? null };
  const installer = createDesktopInstaller({
    plan,
    dataDir: o.dataDir,
    version: o.version,
    argv: process.argv,
    relaunch: (options) => app.relaunch(options),
    // app.quit, not app.exit: `will-quit` in main.ts closes core (database, data-folder lock, the
    // practice network) before the process ends; app.relaunch starts the new one after that.
    quit: () => app.quit(),
    ...(o.log ? { log: o.log } : {}),
  });
  return { installer, why: null, words: null };
}

/**
 * At every start, before core opens (pending.ts): counts a trial start of a fresh update, or rolls
 * back after failed ones — reinstalling the kept previous version, which relaunches the app
 * (`relaunching: true`: start nothing). `note` is for the log once core is open.
 */
export async function startUpdates(o: {
  dataDir: string;
  version: string;
  log: InstallerDeps['log'];
}): Promise<{ relaunching: true } | { relaunching: false; installer: DesktopInstaller | undefined; words: string | null; note: string | null }> {
  const { installer, why, words } = desktopUpdater(o);
  const step = updateStartup(o.dataDir, o.version, installer !== undefined);
  const notes = [why ? `updates are shown, not installed, on this installation: ${why}` : null, step.note];
  if (step.action === 'reinstall' && installer) {
    try {
      await installer.install(step.previous, step.version);
      return { relaunching: true };
    } catch (error) {
      notes.push(`rolling back to ${step.version} failed, so this version starts: ${(error as Error).message}`);
    }
  }
  return { relaunching: false, installer, words, note: notes.filter((n) => n !== null).join('; ') || null };
}
