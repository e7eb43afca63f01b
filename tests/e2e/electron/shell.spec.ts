import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronOrSkipReason } from './electron-binary';
import { REPO_ROOT } from '../../helpers/serve-process';

/**
 * Shell behaviour that only a real Electron can show: the hardened window, the app:// protocol,
 * refused navigation and window.open. Everything else is tested through `minerva serve`.
 */
const binary = electronOrSkipReason();

test.describe('Electron shell', () => {
  test.skip(!binary.path, `Electron runtime not installed: ${binary.reason ?? ''}`);

  test('opens a sandboxed window on app:// with the preload bridge only', async () => {
    const app = await electron.launch({
      executablePath: binary.path,
      args: [REPO_ROOT],
      env: { ...process.env, MINERVA_DATA_DIR: mkdtempSync(join(tmpdir(), 'minerva-electron-')) },
    });
    try {
      const win = await app.firstWindow();
      await expect(win.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
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
    const app = await electron.launch({
      executablePath: binary.path,
      args: [REPO_ROOT],
      env: { ...process.env, MINERVA_DATA_DIR: mkdtempSync(join(tmpdir(), 'minerva-electron-')) },
    });
    try {
      const win = await app.firstWindow();
      await expect(win.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
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
});
