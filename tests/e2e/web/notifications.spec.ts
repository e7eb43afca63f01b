import type { Page } from '@playwright/test';
import { axeFindings } from './axe';
import { createWalletInUi, expect, loginAt, test } from './fixtures';
import { recordBrowserNotifications, recordedNotifications } from './notification-recorder';
import { startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';

/**
 * Notifications in `minerva serve` (issue 17): core posts one when the wallet locks itself (the
 * real idle timer, 6 s here through MINERVA_AUTO_LOCK_SECONDS); the page shows it through the
 * browser's Notification API when allowed (recorded by an init script that still calls the real
 * constructor), else as an in-app message; with the setting off, nothing.
 */
const PASSWORD = 'orbit lantern walnut cascade';
let serve: ServeHandle | undefined;

test.afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

async function start(page: Page): Promise<void> {
  serve = await startServe({ dataDir: tempDataDir('minerva-e2e-notify-'), args: ['--block-ms', '300', '--demo-ms', '0'], env: { MINERVA_AUTO_LOCK_SECONDS: '6' } });
  await loginAt(page, await serve.newLoginUrl());
  await createWalletInUi(page, PASSWORD);
}

const recorded = recordedNotifications;

test('the idle lock shows a browser notification when allowed; none with the setting off', async ({ page, context }, testInfo) => {
  test.setTimeout(180_000);
  await recordBrowserNotifications(context);
  await start(page);

  // Nobody touches the page: the wallet locks itself and the browser shows it.
  await expect.poll(() => recorded(page), { timeout: 60_000 }).toEqual([
    { title: 'Your wallet locked itself', body: 'It locked after a while without activity. Mining goes on with the work keys; your coldkey and recovery phrase need the password.' },
  ]);
  // Shown by the browser, so no in-app message repeats it.
  await expect(page.getByRole('status').filter({ hasText: 'locked itself' })).toHaveCount(0);

  // Settings: the permission as this browser has it, and the setting turned off.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText('This browser shows them as system notifications.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Allow browser notifications' })).toHaveCount(0);
  const box = page.getByRole('checkbox', { name: 'Show notifications' });
  await expect(box).toBeChecked();
  await box.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('notifications-settings-granted.png') });
  expect(await axeFindings(page)).toEqual([]);
  await box.uncheck();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();

  // Unlock, and leave it again: it locks itself (the in-app message of the wallet says so), and no notification.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  const unlock = page.getByRole('form', { name: 'Unlock the wallet' });
  await unlock.getByLabel('Wallet password').fill(PASSWORD);
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The wallet locked itself after a while without activity' })).toBeVisible({ timeout: 60_000 });
  expect(await recorded(page)).toHaveLength(1);
});

test('without the browser’s permission the notification is an in-app message, and Settings offers to allow it', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  await start(page);
  const message = page.getByRole('status').filter({ hasText: 'Your wallet locked itself. It locked after a while without activity.' });
  await expect(message).toBeVisible({ timeout: 60_000 });
  await expect(message.getByRole('link', { name: 'Show' })).toHaveAttribute('href', '#/wallet');
  await page.screenshot({ path: testInfo.outputPath('notifications-message.png') });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText('Not asked yet: they appear as messages in this page until you allow them.')).toBeVisible();
  const allow = page.getByRole('button', { name: 'Allow browser notifications' });
  await expect(allow).toBeVisible();
  await allow.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('notifications-settings-not-asked.png') });
  expect(await axeFindings(page)).toEqual([]);
});
