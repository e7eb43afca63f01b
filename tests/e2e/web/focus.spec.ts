import { test, expect } from './fixtures';

/**
 * Keyboard and screen-reader paths (issue 16, part 9): each step of creating a wallet and of
 * joining a competition puts the focus on the new step's heading instead of letting it fall to
 * <body>; the import form forgets what was typed for another source type; a mistyped recovery
 * phrase names the word (by position) that is not in the BIP-39 word list.
 */
const PASSWORD = 'orbit lantern walnut cascade';

test('creating a wallet by keyboard: every step lands on its own heading', async ({ app, page }) => {
  await app.login(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  await page.getByRole('button', { name: 'Create a new wallet' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 2, name: 'Create a new wallet' })).toBeFocused();

  const form = page.getByRole('form', { name: 'Create a new wallet' });
  await form.getByLabel('Wallet password').fill(PASSWORD);
  await form.getByLabel('Type it again').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create wallet' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 2, name: 'Write down your recovery phrase' })).toBeFocused();

  await page.getByRole('button', { name: 'I wrote it down' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 2, name: 'Confirm your backup' })).toBeFocused();

  await page.getByRole('button', { name: 'Later' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Wallet & Security' })).toBeFocused();
  expect(await page.evaluate(() => document.activeElement === document.body)).toBe(false);
});

test('joining a competition by keyboard: the focus goes to the card, not to <body>', async ({ app, page }) => {
  await app.login(page);
  await app.createWallet(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Competitions' }).click();
  const title = (await page.getByRole('list', { name: 'Competitions' }).getByRole('heading', { level: 2 }).first().textContent())?.trim() ?? '';
  await page.getByRole('button', { name: `Join ${title}` }).focus();
  await page.keyboard.press('Enter');
  const card = page.getByRole('article', { name: title });
  await expect(card.getByRole('heading', { level: 2, name: title })).toBeFocused();
  await expect(card.getByRole('status')).toContainText('Joined with hotkey', { timeout: 60_000 });
  // From the heading, Tab reaches the card's next control (Leave) — the miner is where the action is.
  await card.getByRole('button', { name: `Leave ${title}` }).focus();
  await page.keyboard.press('Enter');
  await expect(card.getByRole('heading', { level: 2, name: title })).toBeFocused();
  await expect(card.getByRole('button', { name: `Join ${title}` })).toBeVisible({ timeout: 60_000 });
});

test('import: a mistyped word is named by its position; switching the source type clears the field and the error', async ({ app, page }, testInfo) => {
  await app.login(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  await page.getByRole('button', { name: 'Import an existing wallet' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Import an existing wallet' })).toBeFocused();
  const form = page.getByRole('form', { name: 'Import a wallet' });
  await form.getByLabel('Recovery phrase (12 or 24 words)').fill('legal winner thank year wave sausage wroth useful legal winner thank yellow');
  await form.getByLabel("New password for Minerva's wallet").fill(PASSWORD);
  await form.getByLabel('Type it again').fill(PASSWORD);
  await form.getByRole('button', { name: 'Import' }).click();
  const alert = form.getByRole('alert');
  await expect(alert).toContainText('Word 7 is not in the BIP-39 English word list');
  await expect(alert).not.toContainText('wroth');
  await page.screenshot({ path: testInfo.outputPath('import-typo.png'), fullPage: true });

  await form.getByLabel('What do you have?').selectOption('btcli');
  const folder = form.getByLabel('btcli wallet folder');
  await expect(folder).toHaveValue('');
  await expect(form.getByRole('alert')).toHaveCount(0);
  await form.getByLabel('What do you have?').selectOption('mnemonic');
  await expect(form.getByLabel('Recovery phrase (12 or 24 words)')).toHaveValue('');
});
