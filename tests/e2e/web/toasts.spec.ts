import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';

/**
 * Toasts (components/Toasts.tsx): each has its own timer, which other toasts do not restart and
 * which stops while the pointer is on it; a toast saying the wallet is missing or locked goes the
 * moment the wallet is made or unlocked, so the next pages show no stale "Create or import a
 * wallet first"; Escape dismisses a focused toast and focus lands on the page's heading.
 */
const PASSWORD = 'orbit lantern walnut cascade';

/** To a page by keyboard, so the pointer stays where it is (on a toast). */
async function goByKeyboard(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: label, exact: true })).toBeVisible();
}

test('toasts expire on their own timers, go when the wallet they speak of is made or unlocked, and Escape dismisses them', async ({ app, page }, testInfo) => {
  test.setTimeout(180_000);
  await app.login(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  const missing = page.getByRole('alert').filter({ hasText: 'Create or import a wallet first' });

  // Joining without a wallet says so, once however often it is tried.
  await nav.getByRole('link', { name: 'Competitions' }).click();
  await expect(page.getByRole('list', { name: 'Competitions' }).getByRole('listitem')).toHaveCount(3);
  const join = page.getByRole('button', { name: /^Join / }).first();
  await join.click();
  await expect(missing).toBeVisible();
  await join.click();
  await join.click();
  await expect(missing).toHaveCount(1);
  await expect(missing.getByRole('link', { name: 'Create a wallet' })).toBeVisible();

  // Other toasts arriving meanwhile do not keep it up: "Rewards updated." every 2 s, and the error
  // still leaves after its 10 s (it used to be restarted by each new toast and stay for good).
  const shownAt = Date.now();
  await nav.getByRole('link', { name: 'Rewards' }).click();
  const refresh = page.getByRole('button', { name: 'Refresh' });
  await expect
    .poll(
      async () => {
        await refresh.click();
        return missing.count();
      },
      { timeout: 16_000, intervals: [2_000] },
    )
    .toBe(0);
  expect(Date.now() - shownAt).toBeGreaterThan(8_000);

  // While the pointer is on a toast it stays (time to read it and reach its link)…
  await nav.getByRole('link', { name: 'Competitions' }).click();
  await join.click();
  await expect(missing).toBeVisible();
  await missing.hover();
  await page.waitForTimeout(11_000);
  await expect(missing).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('toast-no-wallet.png') });

  // …but not once it is wrong: a wallet made meanwhile (by keyboard, the pointer still on the
  // toast) takes it away at once.
  await goByKeyboard(page, 'Wallet & Security');
  await page.getByRole('button', { name: 'Create a new wallet' }).focus();
  await page.keyboard.press('Enter');
  const form = page.getByRole('form', { name: 'Create a new wallet' });
  await form.getByLabel('Wallet password').fill(PASSWORD);
  await form.getByLabel('Type it again').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create wallet' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Hold to show the recovery phrase' })).toBeVisible();
  await expect(missing).toHaveCount(0, { timeout: 2_000 });
  // The next pages show no stale message about the wallet.
  await page.mouse.move(10, 10);
  for (const label of ['Dashboard', 'Rewards', 'Competitions']) {
    await nav.getByRole('link', { name: label, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: label, exact: true })).toBeVisible();
    await expect(page.locator('.toasts')).not.toContainText(/wallet/i);
  }
  await page.screenshot({ path: testInfo.outputPath('after-wallet-created.png') });

  // Locked: joining asks to unlock. Escape on the focused toast dismisses it; focus goes to the
  // heading (to the next toast's dismiss button when there is one: none is left by now).
  await expect(page.locator('.toasts > *')).toHaveCount(0);
  await page.getByRole('banner').getByRole('button', { name: 'Lock' }).click();
  await page.getByRole('dialog', { name: 'Lock the wallet' }).getByRole('button', { name: 'Lock everything (stop mining)' }).click();
  await expect(page.getByRole('banner')).toContainText('Wallet locked');
  const locked = page.getByRole('alert').filter({ hasText: 'Unlock your wallet to join' });
  await join.click();
  await expect(locked).toBeVisible();
  await locked.getByRole('button', { name: 'Dismiss message' }).focus();
  await page.keyboard.press('Escape');
  await expect(locked).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 1, name: 'Competitions' })).toBeFocused();

  // Unlocking takes the "unlock" toast away too, even with the pointer on it.
  await join.click();
  await expect(locked).toBeVisible();
  await locked.hover();
  await goByKeyboard(page, 'Wallet & Security');
  const unlock = page.getByRole('form', { name: 'Unlock the wallet' });
  await unlock.getByLabel(/password/i).fill(PASSWORD);
  await unlock.getByLabel(/password/i).press('Enter');
  await expect(page.getByRole('banner')).toContainText('Wallet unlocked');
  await expect(locked).toHaveCount(0, { timeout: 2_000 });
});
