import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * Window and shell hardening as pure functions, so unit tests can pin them without Electron
 * (electron/fiddle's getMainWindowOptions, Actual's security.ts, VS Code's validatedIpcMain).
 */

export const APP_SCHEME = 'app';
export const APP_HOST = 'minerva';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** IPC channels: exactly two, both prefixed. */
export const IPC_RPC_CHANNEL = 'app:rpc';
export const IPC_EVENT_CHANNEL = 'app:event';

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Minerva',
    backgroundColor: '#0f1115',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The window may only ever show our own app:// origin. */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/** In-window navigation: only within the app origin (hash routes). Everything else is refused. */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/** Hosts the app links to (documentation, help). `shell.openExternal` refuses everything else. */
export const EXTERNAL_HOSTS: readonly string[] = ['docs.docker.com', 'github.com', 'docs.bittensor.com', 'docs.phala.network', 'docs.crunchdao.com'];

export function isSafeExternalUrl(url: string, allowedHosts: readonly string[] = EXTERNAL_HOSTS): boolean {
  const u = parse(url);
  if (!u || u.protocol !== 'https:' || u.username !== '' || u.password !== '' || u.port !== '') return false;
  return allowedHosts.includes(u.hostname.toLowerCase());
}

/** IPC senders: our origin and the main frame only. */
export function isTrustedSender(frame: { url: string; isMainFrame: boolean } | null | undefined): boolean {
  return frame !== null && frame !== undefined && frame.isMainFrame && isAppUrl(frame.url);
}

/** Permission requests from the page: only writing to the clipboard (copy buttons). */
export function isAllowedPermission(permission: string): boolean {
  return permission === 'clipboard-sanitized-write';
}
