import { join } from 'node:path';
import { BrowserWindow, Notification, app, powerMonitor, safeStorage, session, shell } from 'electron';
import { secretBoxFrom } from './secret-box';
import { startControlServer, type ControlServer } from '@core/control/server';
import { createCore, type Core } from '@core/create-core';
import { resolveDataDir } from '@core/data-dir';
import { APP_VERSION } from '@core/version';
import { handleAppProtocol, registerAppScheme } from './app-protocol';
import { bridgeIpc } from './ipc';
import { clickUrl, notificationOptions } from './notifications';
import type { AppNotification } from '@shared/contract/updates';
import { utilityProcessPracticeHost } from './practice-host';
import { APP_ORIGIN, isAllowedNavigation, isAllowedPermission, isSafeExternalUrl, mainWindowOptions } from './security';
import { startPresence, type PresenceShell } from './tray';
import { startsHidden, trayIconDir } from './tray-model';
import { markUpdateHealthy } from './update-install';
import { startUpdates } from './updater';

/**
 * Electron main: a thin shell around core. Everything the app does lives in core and is tested
 * through `minerva serve`; this file only hosts a hardened window.
 */
app.enableSandbox();
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let core: Core | undefined;
  let control: Promise<ControlServer | undefined> | undefined;
  let window: BrowserWindow | undefined;
  let presence: PresenceShell | undefined;

  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.show(); // also when closed to the tray
      window.focus();
    }
  });

  // Every webContents (including any the page tries to open) gets the same locks.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });

  void app.whenReady().then(async () => {
    const dataDir = resolveDataDir({ flag: process.env.MINERVA_DATA_DIR ?? app.getPath('userData') });
    // Updates (docs/updates.md): this installation's installer (none on macOS, deb, dev runs) and, before
    // core opens, the trial count of a fresh update — or its rollback, which relaunches the previous version.
    const updatesLog = { info: (m: string, f?: Record<string, unknown>) => core?.log.scope('updates').info(m, f), warn: (m: string, f?: Record<string, unknown>) => core?.log.scope('updates').warn(m, f) };
    const updates = await startUpdates({ dataDir, version: APP_VERSION, log: updatesLog });
    if (updates.relaunching) return;
    core = createCore({
      dataDir,
      host: 'electron',
      version: APP_VERSION,
      electronVersion: process.versions.electron ?? null,
      practiceHost: utilityProcessPracticeHost(dataDir, join(__dirname, 'cli.cjs')),
      // "Resume mining after a restart": the work keys sealed by the OS keychain
      secretBox: secretBoxFrom(safeStorage),
      ...(updates.installer ? { updater: updates.installer } : {}),
      ...(updates.words ? { noUpdaterWords: updates.words } : {}),
    });
    if (updates.note) core.log.scope('updates').info(updates.note);
    // `minerva` commands reach this app through its control endpoint (src-main/core/control).
    const started = core;
    control = startControlServer({ dataDir, router: started.router, events: started.events, log: started.log.scope('control'), host: 'electron', version: APP_VERSION }).catch((error: unknown) => {
      started.log.scope('control').warn('control endpoint not started: minerva commands cannot reach this app', { error: (error as Error).message });
      return undefined;
    });
    // Sleep or a locked screen locks the wallet: keypairs are dropped and their buffers zero-filled.
    powerMonitor.on('suspend', () => core?.vault.service.lock('suspend'));
    powerMonitor.on('lock-screen', () => core?.vault.service.lock('screen-locked'));
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(isAllowedPermission(permission)));
    session.defaultSession.setPermissionCheckHandler((_contents, permission) => isAllowedPermission(permission));
    handleAppProtocol(join(__dirname, '..', 'renderer'));

    window = new BrowserWindow(mainWindowOptions(join(__dirname, 'preload.cjs')));
    bridgeIpc(core, window);
    // Tray / menu-bar icon, close-to-tray and start at login (tray.ts). Started at login: no window until asked.
    presence = startPresence({ core, window, iconDir: trayIconDir({ packaged: app.isPackaged, resourcesPath: process.resourcesPath, bundleDir: __dirname }) });
    // Core's notifications (src-main/core/notifications) as OS notifications; a click shows the window on their page.
    const shown = new Set<Notification>(); // kept referenced until closed, or the click handler is lost
    core.events.onAny(({ event, payload }) => {
      if (event !== 'notifications.posted' || !Notification.isSupported()) return;
      const n = payload as AppNotification;
      const note = new Notification(notificationOptions(n));
      shown.add(note);
      note.on('close', () => shown.delete(note));
      note.on('click', () => {
        shown.delete(note);
        if (!window) return;
        void window.loadURL(clickUrl(n.href));
        window.show();
        window.focus();
      });
      note.show();
    });
    const hidden = startsHidden(process.argv, process.platform === 'darwin' ? app.getLoginItemSettings() : {});
    window.once('ready-to-show', () => {
      if (!hidden || !presence?.trayShown()) window?.show();
      // Core is open and the window is up: a freshly installed update stays (pending.ts).
      markUpdateHealthy(dataDir, APP_VERSION, updatesLog);
    });
    void window.loadURL(`${APP_ORIGIN}/index.html`);
  });

  app.on('window-all-closed', () => app.quit());
  // Stop what the app started (workers, the practice network) before the process goes.
  let quitting = false;
  app.on('will-quit', (event) => {
    if (quitting || !core) return;
    quitting = true;
    event.preventDefault();
    const closing = core;
    presence?.dispose();
    void (control ?? Promise.resolve(undefined))
      .then((c) => c?.close())
      .finally(() => void closing.close().finally(() => app.exit(0)));
  });
}
