import { readFileSync } from 'node:fs';
import { axeFindings } from './axe';
import { expect, test } from './fixtures';

/**
 * Issue 17 part 4 through `minerva serve`: the desktop-only settings (keep in the tray when the
 * window closes, start at login) are shown with their defaults but cannot be changed here, and
 * say why. The tray itself is Electron-only (tests/e2e/electron); what it shows comes from core's
 * presence.get (tests/integration/app/presence.test.ts).
 */
test('headless Settings shows the desktop-only options disabled, with the reason', async ({ app, page }, testInfo) => {
  await app.login(page);
  await page.goto(`${new URL(page.url()).origin}/#/settings`);
  const card = page.getByRole('region', { name: 'Desktop app' });
  await expect(card).toBeVisible();
  const tray = card.getByRole('checkbox', { name: 'Keep Minerva in the tray when the window is closed' });
  const login = card.getByRole('checkbox', { name: 'Start Minerva when I log in' });
  await expect(tray).toBeDisabled();
  await expect(login).toBeDisabled();
  // Defaults: close-to-tray on (mining keeps going), start at login off (opt-in).
  await expect(tray).toBeChecked();
  await expect(login).not.toBeChecked();
  await expect(tray).toHaveAccessibleDescription(/mining keeps going in the background[\s\S]*Desktop app only/);
  await expect(login).toHaveAccessibleDescription(/Desktop app only: minerva serve has no window/);
  await card.scrollIntoViewIfNeeded();
  const shot = testInfo.outputPath('settings-desktop-card.png');
  await card.screenshot({ path: shot });
  expect(readFileSync(shot).length).toBeGreaterThan(1000);
  expect(await axeFindings(page)).toEqual([]);

});
