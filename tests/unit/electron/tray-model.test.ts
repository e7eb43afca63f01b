import { describe, expect, it } from 'vitest';
import type { PresenceView } from '@shared/contract/presence';
import { closeAction, hiddenNotice, isAppRoute, startsHidden, trayIconDir, trayMenu, trayPlatform, type TrayItem, type TrayPlatform } from '../../../src-main/electron/tray-model';

const PLATFORMS: TrayPlatform[] = ['darwin', 'win32', 'linux'];

function presence(patch: Partial<PresenceView>): PresenceView {
  return {
    host: 'electron',
    state: 'mining',
    headline: 'Mining — 2 competitions',
    next: null,
    workKeysInMemory: true,
    walletUnlocked: false,
    networkName: 'Practice network',
    competitions: { joined: 2, joining: 0, failed: 0 },
    earnedToday: { amount: '12.5', symbol: 'PRAC' },
    updatedAt: '2026-12-06T14:00:00.000Z',
    ...patch,
  };
}

const labels = (items: TrayItem[]): string[] => items.map((i) => (i.type === 'separator' ? '—' : `${i.label}${i.enabled ? '' : ' (disabled)'}`));
const action = (items: TrayItem[], id: string) => items.find((i): i is Extract<TrayItem, { type: 'item' }> => i.type === 'item' && i.id === id)?.action;

describe('the tray menu', () => {
  it('while mining: the coloured icon (template on macOS), earnings and Pause', () => {
    const icons = PLATFORMS.map((p) => [p, trayMenu(presence({}), p).icon, trayMenu(presence({}), p).template]);
    expect(icons).toEqual([
      ['darwin', 'trayTemplate.png', true],
      ['win32', 'tray.ico', false],
      ['linux', 'tray.png', false],
    ]);
    const model = trayMenu(presence({}), 'linux');
    expect(labels(model.items)).toEqual(['Open Minerva', '—', 'Mining — 2 competitions (disabled)', 'Earned in the last 24 h: 12.5 PRAC (disabled)', '—', 'Pause mining', '—', 'Quit']);
    expect(model.tooltip).toBe('Minerva — Mining — 2 competitions — 12.5 PRAC in the last 24 h');
    expect(action(model.items, 'pause')).toEqual({ kind: 'pause' });
    expect(action(model.items, 'open')).toEqual({ kind: 'open' });
    expect(action(model.items, 'quit')).toEqual({ kind: 'quit' });
  });

  it('tiny and huge earnings as plain decimals with their unit', () => {
    const tiny = trayMenu(presence({ earnedToday: { amount: '0.0000001', symbol: 'TAO' } }), 'linux');
    expect(labels(tiny.items)).toContain('Earned in the last 24 h: 0.0000001 TAO (disabled)');
    expect(tiny.tooltip).toBe('Minerva — Mining — 2 competitions — 0.0000001 TAO in the last 24 h');
    const huge = trayMenu(presence({ earnedToday: { amount: '1500000000000000000000', symbol: 'PRAC' } }), 'linux');
    expect(labels(huge.items)).toContain('Earned in the last 24 h: 1,500,000,000,000,000,000,000 PRAC (disabled)');
  });

  it('says that pausing locks the wallet while it is unlocked', () => {
    const model = trayMenu(presence({ walletUnlocked: true }), 'win32');
    expect(labels(model.items)).toContain('Pause mining (locks the wallet)');
  });

  it('while paused: the grey icon and Resume, which opens the unlock form (it needs the password)', () => {
    const paused = presence({ state: 'paused', headline: 'Mining paused — wallet locked', workKeysInMemory: false, earnedToday: null });
    for (const p of PLATFORMS) expect(trayMenu(paused, p).icon).toBe(p === 'darwin' ? 'tray-pausedTemplate.png' : p === 'win32' ? 'tray-paused.ico' : 'tray-paused.png');
    const model = trayMenu(paused, 'darwin');
    expect(labels(model.items)).toEqual([
      'Open Minerva',
      '—',
      'Mining paused — wallet locked (disabled)',
      'Earned in the last 24 h: not known yet (disabled)',
      '—',
      'Resume mining… (needs your password)',
      '—',
      'Quit Minerva',
    ]);
    expect(action(model.items, 'resume')).toEqual({ kind: 'open', href: '#/wallet' });
    expect(model.tooltip).toBe('Minerva — Mining paused — wallet locked');
  });

  it('with keys but nothing joined: Join a competition, and Pause still drops the keys', () => {
    const model = trayMenu(presence({ state: 'idle', headline: 'Not mining', competitions: { joined: 0, joining: 0, failed: 0 }, earnedToday: { amount: '0', symbol: 'PRAC' } }), 'linux');
    expect(model.icon).toBe('tray-paused.png');
    expect(labels(model.items)).toEqual(['Open Minerva', '—', 'Not mining (disabled)', 'Earned in the last 24 h: 0 PRAC (disabled)', '—', 'Join a competition…', 'Pause mining', '—', 'Quit']);
    expect(action(model.items, 'join')).toEqual({ kind: 'open', href: '#/competitions' });
    expect(action(model.items, 'pause')).toEqual({ kind: 'pause' });
  });

  it('without a wallet: no earnings line, and Set up a wallet', () => {
    const model = trayMenu(presence({ state: 'no-wallet', headline: 'Not set up', workKeysInMemory: false, earnedToday: null }), 'win32');
    expect(labels(model.items)).toEqual(['Open Minerva', '—', 'Not set up (disabled)', '—', 'Set up a wallet…', '—', 'Quit']);
    expect(action(model.items, 'setup')).toEqual({ kind: 'open', href: '#/wallet' });
  });

  it('before core answers: Starting…, Open and Quit only', () => {
    expect(labels(trayMenu(null, 'darwin').items)).toEqual(['Open Minerva', '—', 'Starting… (disabled)', '—', '—', 'Quit Minerva']);
    expect(trayMenu(null, 'darwin').icon).toBe('tray-pausedTemplate.png');
  });

  it('keeps the tooltip within what Windows shows', () => {
    const long = trayMenu(presence({ headline: 'x'.repeat(300) }), 'win32').tooltip;
    expect(long).toHaveLength(127);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('the window and the tray', () => {
  it('closing hides to the tray only when the setting is on, the tray shows, and the app is not quitting', () => {
    expect(closeAction({ quitting: false, closeToTray: true, trayShown: true })).toBe('hide');
    expect(closeAction({ quitting: true, closeToTray: true, trayShown: true })).toBe('close');
    expect(closeAction({ quitting: false, closeToTray: false, trayShown: true })).toBe('close');
    expect(closeAction({ quitting: false, closeToTray: true, trayShown: false })).toBe('close');
  });

  it('starts hidden from the login item only', () => {
    expect(startsHidden(['/opt/Minerva/minerva', '--hidden'])).toBe(true);
    expect(startsHidden(['/opt/Minerva/minerva'])).toBe(false);
    expect(startsHidden(['/Applications/Minerva.app/Contents/MacOS/Minerva'], { wasOpenedAtLogin: true })).toBe(true);
    expect(startsHidden(['/Applications/Minerva.app/Contents/MacOS/Minerva'], { wasOpenedAsHidden: true })).toBe(true);
    expect(startsHidden(['/Applications/Minerva.app/Contents/MacOS/Minerva'], { wasOpenedAtLogin: false, wasOpenedAsHidden: false })).toBe(false);
  });

  it('finds the icons packed or in the repository, and opens app routes only', () => {
    expect(trayIconDir({ packaged: true, resourcesPath: '/opt/Minerva/resources', bundleDir: '/x' })).toBe('/opt/Minerva/resources/resources/tray');
    expect(trayIconDir({ packaged: false, resourcesPath: '/electron', bundleDir: '/repo/dist/node' })).toBe('/repo/dist/node/../../resources/tray');
    expect(isAppRoute('#/wallet')).toBe(true);
    expect(isAppRoute('javascript:alert(1)')).toBe(false);
    expect(isAppRoute('#/wallet"; alert(1); "')).toBe(false);
    expect(trayPlatform('freebsd')).toBe('linux');
    expect(trayPlatform('darwin')).toBe('darwin');
  });
});

describe('the notice when closing hides the window', () => {
  it('says once per run, where Minerva is, that mining goes on and how to quit — unless notifications are off', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const notice = hiddenNotice({ platform, told: false, notifications: true });
      expect(notice?.title).toBe('Minerva is still running');
      expect(notice?.body).toMatch(/Mining goes on/);
      expect(notice?.body).toMatch(/start it again/);
      expect(notice?.body).toMatch(/Quit/);
      expect(hiddenNotice({ platform, told: true, notifications: true })).toBeNull();
      expect(hiddenNotice({ platform, told: false, notifications: false })).toBeNull();
    }
    expect(hiddenNotice({ platform: 'linux', told: false, notifications: true })?.body).toMatch(/if your desktop shows one/);
    expect(hiddenNotice({ platform: 'darwin', told: false, notifications: true })?.body).toMatch(/menu bar/);
  });
});
