import { join } from 'node:path';
import { Menu, Notification, Tray, app, nativeImage, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { Core } from '@core/create-core';
import type { CallContext } from '@core/rpc/handlers';
import type { PresenceView } from '@shared/contract/presence';
import type { Settings } from '@shared/contract/settings';
import { autostartDir, loginItemPlan, syncAutostart } from './login-item';
import { closeAction, hiddenNotice, isAppRoute, trayMenu, trayPlatform, type TrayAction, type TrayModel } from './tray-model';

const CALLER: CallContext = { transport: 'electron', clientId: 'tray' };

export interface PresenceShell {
  /** The tray icon is showing (close-to-tray needs it: without it, closing quits). */
  trayShown(): boolean;
  dispose(): void;
}

/**
 * The desktop's presence (issue 17 part 4), thin: the tray / menu-bar icon drawn from core's
 * `presence.get` / `presence.changed` through the pure `trayMenu`, close-to-tray on the window,
 * and the login item from the `startAtLogin` setting. Every decision is in `tray-model.ts` and
 * `login-item.ts` (unit-tested); this file only calls Electron.
 */
export function startPresence(o: { core: Core; window: BrowserWindow; iconDir: string }): PresenceShell {
  const { core, window } = o;
  const log = core.log.scope('tray');
  const platform = trayPlatform(process.platform);
  let quitting = false;
  let toldHidden = false;
  let tray: Tray | undefined;

  const show = (href?: string): void => {
    if (window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    if (href && isAppRoute(href)) void window.webContents.executeJavaScript(`location.hash = ${JSON.stringify(href)}`).catch(() => undefined);
  };
  const act = (action: TrayAction): void => {
    if (action.kind === 'open') show(action.href);
    else if (action.kind === 'quit') app.quit();
    else
      void core.router.call('vault.lock', { keepMining: false }, CALLER).then((reply) => {
        if (!reply.ok) log.warn('pause from the tray refused', { code: reply.error.code });
      });
  };
  const render = (model: TrayModel): void => {
    if (!tray) return;
    const image = nativeImage.createFromPath(join(o.iconDir, model.icon));
    if (model.template) image.setTemplateImage(true);
    tray.setImage(image);
    tray.setToolTip(model.tooltip);
    const template: MenuItemConstructorOptions[] = model.items.map((item) =>
      item.type === 'separator' ? { type: 'separator' } : { id: item.id, label: item.label, enabled: item.enabled, ...(item.action ? { click: () => act(item.action!) } : {}) },
    );
    tray.setContextMenu(Menu.buildFromTemplate(template));
  };

  try {
    const first = trayMenu(null, platform);
    tray = new Tray(nativeImage.createFromPath(join(o.iconDir, first.icon)));
    render(first);
    // Windows opens the window on a click (the menu is on the right click); macOS and Linux show the menu.
    if (platform === 'win32') tray.on('click', () => show());
  } catch (error) {
    log.warn('no tray icon: closing the window quits Minerva', { error: (error as Error).message });
    tray = undefined;
  }

  const applyLoginItem = (enabled: boolean): void => {
    const plan = loginItemPlan(enabled, { platform: process.platform, execPath: process.execPath, appImage: process.env.APPIMAGE, packaged: app.isPackaged, appPath: app.getAppPath() });
    try {
      if (plan.kind === 'electron') app.setLoginItemSettings(plan.settings);
      else {
        const done = syncAutostart(autostartDir(process.env, app.getPath('home')), plan.enabled, plan.exec);
        if (done === 'not-ours') log.warn('an autostart entry of the same name that Minerva did not write is left alone');
      }
    } catch (error) {
      log.warn('start at login not changed', { error: (error as Error).message });
    }
  };
  const offEvents = core.events.onAny(({ event, payload }) => {
    if (event === 'presence.changed') render(trayMenu(payload as PresenceView, platform));
    else if (event === 'settings.changed') applyLoginItem((payload as Settings).startAtLogin);
  });
  void core.router.call('presence.get', {}, CALLER).then((reply) => {
    if (reply.ok) render(trayMenu(reply.result as PresenceView, platform));
  });

  applyLoginItem(core.settings().startAtLogin);

  // Quit (tray, app menu, Cmd+Q, the OS logging out) really quits; closing the window hides it.
  const onBeforeQuit = (): void => {
    quitting = true;
  };
  app.on('before-quit', onBeforeQuit);
  window.on('close', (event) => {
    if (closeAction({ quitting, closeToTray: core.settings().closeToTray, trayShown: tray !== undefined }) === 'hide') {
      event.preventDefault();
      window.hide();
      const notice = hiddenNotice({ platform, told: toldHidden, notifications: core.settings().notifications });
      toldHidden = true;
      if (notice && Notification.isSupported()) {
        const shown = new Notification({ title: notice.title, body: notice.body });
        shown.on('click', () => show());
        shown.show();
      }
    }
  });
  // macOS: a click on the Dock icon brings the hidden window back.
  const onActivate = (): void => show();
  app.on('activate', onActivate);

  return {
    trayShown: () => tray !== undefined,
    dispose() {
      offEvents();
      app.off('before-quit', onBeforeQuit);
      app.off('activate', onActivate);
      tray?.destroy();
      tray = undefined;
    },
  };
}
