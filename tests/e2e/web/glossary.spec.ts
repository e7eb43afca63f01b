import { test, expect } from './fixtures';

/**
 * Jargon explained (issue 16 part 8): each term is a real button with its definition as the
 * accessible description, shown as a tooltip on focus and hover, hidden with Escape; blocks are
 * also said in time.
 */
test('a miner reaches a term by keyboard, hears and sees its definition, and blocks are said in time', async ({ app, page }, testInfo) => {
  await app.login(page);
  await app.createWallet(page);
  // Past the backup step (it is offered again later): the identities show.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  const coldkey = page.getByRole('listitem').filter({ has: page.getByText('Coldkey', { exact: true }) }).first();
  const scheme = coldkey.getByRole('button', { name: 'sr25519' });
  await expect(scheme).toHaveAccessibleDescription(/sr25519: A signature scheme/);
  // Keyboard: focus it and the tooltip shows; Escape hides it.
  await scheme.focus();
  const tip = page.getByRole('tooltip').filter({ hasText: 'A signature scheme' });
  await expect(tip).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('glossary-tooltip.png') });
  await page.keyboard.press('Escape');
  await expect(tip).toBeHidden();
  // Focus again shows it; Tab moves on (to the row's Copy button) and the tooltip goes with the focus.
  await scheme.blur();
  await scheme.focus();
  await expect(tip).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.locator(':focus')).toHaveAccessibleName('Copy Coldkey address');
  await expect(tip).toBeHidden();
  // The hotkey's name is explained as well.
  await expect(page.getByRole('button', { name: /^Hotkey$/ }).first()).toHaveAccessibleDescription(/cannot move funds/);

  // Competitions: an epoch in blocks is said in time too (blocks of 300 ms here), and "epoch" is explained.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Competitions' }).click();
  const card = page.getByRole('article', { name: 'Private inference (practice)' });
  await expect(card).toContainText(/per epoch of 30 blocks \(about 9 s\)/);
  await expect(card.getByRole('button', { name: 'epoch' }).first()).toHaveAccessibleDescription(/rewards are paid out/);
});
