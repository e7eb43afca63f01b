import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { electronOrSkipReason } from './electron-binary';
import { REPO_ROOT } from '../../helpers/serve-process';
import { AUTOSTART_FILE } from '../../../src-main/electron/login-item';

/**
 * Shell behaviour that only a real Electron can show: the hardened window, the app:// protocol,
 * refused navigation and window.open. Everything else is tested through `minerva serve`.
 */
const binary = electronOrSkipReason();

/** The app from this checkout on a fresh data folder, its window showing the Dashboard. */
async function launchApp(env: Record<string, string> = {}): Promise<{ app: ElectronApplication; win: Page }> {
  const app = await electron.launch({
    executablePath: binary.path,
    args: [REPO_ROOT],
    env: { ...process.env, MINERVA_DATA_DIR: mkdtempSync(join(tmpdir(), 'minerva-electron-')), ...env },
  });
  const win = await app.firstWindow();
  await expect(win.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  return { app, win };
}

test.describe('Electron shell', () => {
  test.skip(!binary.path, `Electron runtime not installed: ${binary.reason ?? ''}`);

  test('opens a sandboxed window on app:// with the preload bridge only', async () => {
    const { app, win } = await launchApp();
    try {
      expect(win.url()).toMatch(/^app:\/\/minerva\//);
      const exposed = await win.evaluate(() => ({
        keys: Object.keys((window as unknown as { minerva: object }).minerva).sort(),
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(exposed).toEqual({ keys: ['invoke', 'onEvent', 'pathForFile'], require: 'undefined', process: 'undefined' });
      // Navigation away from the app and new windows are refused.
      await win.evaluate(() => {
        window.location.href = 'https://app.evil/';
      });
      // Proving that nothing happens needs a short wait; there is no event to await for a refused navigation.
      await win.waitForTimeout(500);
      expect(win.url()).toMatch(/^app:\/\/minerva\//);
      await win.evaluate(() => void window.open('https://app.evil/'));
      expect(app.windows()).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  test('shows a tray icon, and closing the window hides it to the tray while the app keeps running', async () => {
    const { app } = await launchApp();
    try {
      // Electron lists no trays; the window hides on close only while the tray icon is shown
      // (closeAction in tray-model.ts), so a hidden window proves the tray exists.
      // Close-to-tray is on by default: the window hides, the app and its window stay.
      await app.evaluate(({ BrowserWindow }) => {
        BrowserWindow.getAllWindows()[0]?.close();
      });
      await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible()))).toEqual([false]);
      expect(app.process().exitCode).toBeNull();
    } finally {
      await app.close();
    }
  });

  test('the first close that hides the window says so in one OS notification, once per run', async () => {
    const { app } = await launchApp();
    try {
      // Record what main shows: the electron module main imports is the one evaluate gets.
      await app.evaluate(({ Notification }) => {
        const shown: { title: string; body: string }[] = [];
        (globalThis as unknown as { shownNotices: typeof shown }).shownNotices = shown;
        // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the instance as `this`
        const original = Notification.prototype.show;
        Notification.prototype.show = function (this: Electron.Notification) {
          shown.push({ title: this.title, body: this.body });
          original.call(this);
        };
      });
      const notices = (): Promise<{ title: string; body: string }[]> => app.evaluate(() => (globalThis as unknown as { shownNotices: { title: string; body: string }[] }).shownNotices);
      const closeAndExpectHidden = async (): Promise<void> => {
        await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close());
        await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible()))).toEqual([false]);
      };
      await closeAndExpectHidden();
      await expect.poll(notices).toHaveLength(1);
      expect((await notices())[0]).toMatchObject({ title: 'Minerva is still running', body: expect.stringMatching(/Mining goes on/) as unknown as string });
      // Shown again and closed again: nothing more to say in this run.
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.show());
      await closeAndExpectHidden();
      expect(await notices()).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  test('"Start Minerva when I log in" registers the login item, hidden, and turning it off removes it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'minerva-electron-home-'));
    const config = join(home, '.config');
    const { app, win } = await launchApp({ HOME: home, XDG_CONFIG_HOME: config });
    const registered = async (): Promise<boolean> =>
      process.platform === 'linux'
        ? existsSync(join(config, 'autostart', AUTOSTART_FILE))
        : app.evaluate(({ app: electronApp }) => electronApp.getLoginItemSettings().openAtLogin);
    try {
      await win.getByRole('link', { name: 'Settings' }).click();
      const box = win.getByLabel('Start Minerva when I log in');
      await expect(box).not.toBeChecked();
      expect(await registered()).toBe(false);
      await box.check();
      await win.getByRole('button', { name: 'Save settings' }).click();
      await expect(win.getByText('Saved.')).toBeVisible();
      await expect.poll(registered).toBe(true);
      if (process.platform === 'linux') {
        const entry = readFileSync(join(config, 'autostart', AUTOSTART_FILE), 'utf8');
        expect(entry).toMatch(/^Exec=.*--hidden/m);
      }
      await box.uncheck();
      await win.getByRole('button', { name: 'Save settings' }).click();
      await expect.poll(registered).toBe(false);
    } finally {
      await app.close();
    }
  });
});
