import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronOrSkipReason } from './electron-binary';
import { lastUpdateRecord, readPendingUpdate, writePendingUpdate } from '@core/updates/pending';
import { REPO_ROOT } from '../../helpers/serve-process';
import { startTestFeed, type TestFeed } from '../../helpers/update-feed';

/**
 * The desktop's update wiring (src-main/electron/updater.ts, main.ts), which only a real Electron
 * shows: the start-up check and `markHealthy` around core (a pending update of this version becomes
 * "updated" once the window is up), and the installer chosen for this host — a development run
 * (not packaged) has none, so a verified newer version is shown with words to install it from the
 * website and no Restart button. The AppImage and NSIS installers themselves are unit-tested on
 * real files (tests/unit/electron/update-install.test.ts); a packaged build is needed to run them.
 */
const binary = electronOrSkipReason();
const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test.describe('Electron updates', () => {
  test.skip(!binary.path, `Electron runtime not installed: ${binary.reason ?? ''}`);
  let feed: TestFeed;
  test.beforeAll(async () => {
    feed = await startTestFeed();
  });
  test.afterAll(async () => {
    await feed?.close();
  });

  test('a pending update of this version is kept once the window is up; a dev run shows a verified update without installing it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'minerva-electron-upd-'));
    // As if this version had just been installed by an update from 0.0.9.
    writePendingUpdate(dataDir, { from: '0.0.9', to: version, previous: null });
    feed.publish({ version: '99.0.0' });
    const app = await electron.launch({
      executablePath: binary.path,
      args: [REPO_ROOT],
      env: { ...process.env, MINERVA_DATA_DIR: dataDir, MINERVA_UPDATE_FEED_URL: feed.url, MINERVA_UPDATE_PUBLIC_KEY: feed.key.publicKey, MINERVA_UPDATE_CHECK_EVERY_MS: '0' },
    });
    try {
      const win = await app.firstWindow();
      await expect(win.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
      // startupCheck counted the trial start before core opened; markHealthy removed the marker once the window was up.
      await expect.poll(() => readPendingUpdate(dataDir)).toBeNull();
      expect(lastUpdateRecord(dataDir)).toMatchObject({ outcome: 'updated', from: '0.0.9', to: version });

      await win.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      const card = win.getByRole('region', { name: 'Updates' });
      await expect(card).toContainText(`This is Minerva ${version} (desktop app)`);
      await expect(card).toContainText(`Updated from 0.0.9 to ${version}.`);
      await card.getByRole('button', { name: 'Check now' }).click();
      // Not packaged: no installer (updater.ts → installPlan), so core says how to update instead.
      await expect(card.getByRole('status')).toContainText('Minerva 99.0.0 is available (signature checked). This installation cannot replace itself');
      await expect(card.getByRole('button', { name: 'Restart to update' })).toHaveCount(0);
    } finally {
      await app.close();
    }
  });
});
