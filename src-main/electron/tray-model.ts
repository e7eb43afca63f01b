import type { PresenceView } from '@shared/contract/presence';
import { amountText } from '@shared/format/amount';

/**
 * The tray / menu-bar icon as data (issue 17 part 4): its icon, tooltip and menu for a presence
 * view and a platform. Pure — no `electron` import — so every state and platform is unit-tested
 * (tests/unit/electron/tray-model.test.ts); `tray.ts` only hands this to Electron's Tray and Menu.
 */
export type TrayPlatform = 'darwin' | 'win32' | 'linux';

/** What a menu item does; `tray.ts` maps each to core calls or window actions. */
export type TrayAction =
  | { kind: 'open'; href?: string }
  /** The top bar's "Stop mining": `vault.lock` with keepMining false (every key leaves memory). */
  | { kind: 'pause' }
  | { kind: 'quit' };

export type TrayItem = { type: 'separator' } | { type: 'item'; id: string; label: string; enabled: boolean; action: TrayAction | null };

export interface TrayModel {
  /** File name in resources/tray (a macOS `…Template.png` is drawn by the system in the menu bar's colour). */
  icon: string;
  template: boolean;
  tooltip: string;
  items: TrayItem[];
}

/** Windows cuts tooltips longer than this. */
const TOOLTIP_MAX = 127;

export function trayIconFile(mining: boolean, platform: TrayPlatform): string {
  const name = mining ? 'tray' : 'tray-paused';
  if (platform === 'darwin') return `${name}Template.png`;
  if (platform === 'win32') return `${name}.ico`;
  return `${name}.png`;
}

export function trayPlatform(platform: string): TrayPlatform {
  return platform === 'darwin' || platform === 'win32' ? platform : 'linux';
}

/** The icon, tooltip and menu for this presence (null: core has not answered yet). */
export function trayMenu(presence: PresenceView | null, platform: TrayPlatform): TrayModel {
  const mining = presence?.state === 'mining';
  const headline = presence?.headline ?? 'Starting…';
  const earned = presence?.earnedToday ? amountText(presence.earnedToday.amount, presence.earnedToday.symbol) : null;
  const tooltip = clip(['Minerva', headline, earned ? `${earned} in the last 24 h` : null].filter(Boolean).join(' — '));
  const items: TrayItem[] = [
    { type: 'item', id: 'open', label: 'Open Minerva', enabled: true, action: { kind: 'open' } },
    { type: 'separator' },
    { type: 'item', id: 'state', label: headline, enabled: false, action: null },
  ];
  if (presence && presence.state !== 'no-wallet') {
    items.push({ type: 'item', id: 'earned', label: `Earned in the last 24 h: ${earned ?? 'not known yet'}`, enabled: false, action: null });
  }
  items.push({ type: 'separator' });
  items.push(...nextSteps(presence));
  items.push({ type: 'separator' }, { type: 'item', id: 'quit', label: platform === 'darwin' ? 'Quit Minerva' : 'Quit', enabled: true, action: { kind: 'quit' } });
  return { icon: trayIconFile(mining, platform), template: platform === 'darwin', tooltip, items };
}

/** Pause while the work keys are in memory; otherwise the one thing that starts mining, in the window. */
function nextSteps(presence: PresenceView | null): TrayItem[] {
  if (!presence) return [];
  const steps: TrayItem[] = [];
  if (presence.state === 'idle') steps.push({ type: 'item', id: 'join', label: 'Join a competition…', enabled: true, action: { kind: 'open', href: '#/competitions' } });
  if (presence.state === 'paused') steps.push({ type: 'item', id: 'resume', label: 'Resume mining… (needs your password)', enabled: true, action: { kind: 'open', href: '#/wallet' } });
  if (presence.state === 'no-wallet') steps.push({ type: 'item', id: 'setup', label: 'Set up a wallet…', enabled: true, action: { kind: 'open', href: '#/wallet' } });
  else if (presence.workKeysInMemory) {
    steps.push({ type: 'item', id: 'pause', label: presence.walletUnlocked ? 'Pause mining (locks the wallet)' : 'Pause mining', enabled: true, action: { kind: 'pause' } });
  }
  return steps;
}

function clip(text: string): string {
  return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}…`;
}

/** Closing the window: hide it to the tray (mining goes on) unless the app is quitting or the tray is off or missing. */
export function closeAction(o: { quitting: boolean; closeToTray: boolean; trayShown: boolean }): 'hide' | 'close' {
  return !o.quitting && o.closeToTray && o.trayShown ? 'hide' : 'close';
}

/**
 * What to say the first time in a run that closing the window hid it instead of quitting. On
 * Linux a desktop without a tray host (GNOME without its AppIndicator extension) accepts the tray
 * icon and shows nothing, so the hidden app would look gone while it mines on: the notice says
 * where it is and how to get it back (starting Minerva again opens the running one). Nothing when
 * notifications are off or it was said already.
 */
export function hiddenNotice(o: { platform: TrayPlatform; told: boolean; notifications: boolean }): { title: string; body: string } | null {
  if (o.told || !o.notifications) return null;
  const where = o.platform === 'darwin' ? 'in the menu bar' : o.platform === 'win32' ? 'in the notification area' : 'in the tray (if your desktop shows one)';
  return {
    title: 'Minerva is still running',
    body: `Mining goes on with the window closed. Open Minerva ${where} or start it again from your applications; choose Quit there to stop it.`,
  };
}

/**
 * Started by the login item: the window stays hidden (the tray is there). `--hidden` is the
 * argument the login item passes on Windows and in the Linux autostart entry; macOS says so in
 * `getLoginItemSettings()` (wasOpenedAsHidden on older macOS, wasOpenedAtLogin on all).
 */
export function startsHidden(argv: readonly string[], login: { wasOpenedAsHidden?: boolean; wasOpenedAtLogin?: boolean } = {}): boolean {
  return argv.includes('--hidden') || login.wasOpenedAsHidden === true || login.wasOpenedAtLogin === true;
}

/** Where the tray icons are: packed beside the app (extraResources), or the repository's resources/ in development. */
export function trayIconDir(o: { packaged: boolean; resourcesPath: string; bundleDir: string }): string {
  return o.packaged ? `${o.resourcesPath}/resources/tray` : `${o.bundleDir}/../../resources/tray`;
}

/** A page of the app the tray may open (a hash route, nothing else reaches the window). */
export function isAppRoute(href: string): boolean {
  return /^#\/[a-z-]+$/.test(href);
}
