import { test, expect } from './fixtures';

/**
 * Weak wallet passwords (issue 16, part 5): a strength meter while typing, a weak password refused
 * unless the miner ticks "I understand…", and the critical warning's fix opening the
 * change-password form.
 */
const STRONG = 'orbit lantern walnut cascade';

test('a weak password is shown as weak while typing and refused until the miner insists; the warning\'s fix opens the change-password form', async ({ app, page }, testInfo) => {
  await app.login(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  await page.getByRole('button', { name: 'Create a new wallet' }).click();
  const form = page.getByRole('form', { name: 'Create a new wallet' });
  const meter = form.getByRole('meter');

  await form.getByLabel('Wallet password').fill('password');
  await expect(form.getByText('Password strength: Very weak.')).toBeVisible();
  await expect(form.getByText('This is a heavily used password.')).toBeVisible();
  await expect(meter).toHaveJSProperty('value', 0);
  const insist = form.getByLabel(/I understand this password is easy to guess/);
  await expect(insist).toBeVisible();
  await expect(insist).not.toBeChecked();
  await page.screenshot({ path: testInfo.outputPath('weak-meter.png'), fullPage: true });

  // Submitting without insisting: refused by core, in words, nothing created.
  await form.getByLabel('Type it again').fill('password');
  await form.getByRole('button', { name: 'Create wallet' }).click();
  await expect(form.getByRole('alert')).toContainText('This password is easy to guess');
  await expect(page.getByRole('button', { name: 'Hold to show the recovery phrase' })).toHaveCount(0);

  // A strong passphrase: the meter says so and the box goes away.
  await form.getByLabel('Wallet password').fill(STRONG);
  await expect(form.getByText(/Password strength: (Strong|Very strong)\./)).toBeVisible();
  await expect(form.getByText(/would need about .+ to guess it/)).toBeVisible();
  await expect(insist).toHaveCount(0);
  expect(await meter.evaluate((m: HTMLMeterElement) => m.value)).toBeGreaterThanOrEqual(3);
  await page.screenshot({ path: testInfo.outputPath('strong-meter.png'), fullPage: true });

  // Back to the weak one, this time insisting.
  await form.getByLabel('Wallet password').fill('password');
  await form.getByLabel(/I understand this password is easy to guess/).check();
  await form.getByRole('button', { name: 'Create wallet' }).click();
  await expect(page.getByRole('button', { name: 'Hold to show the recovery phrase' })).toBeVisible();
  await page.getByRole('button', { name: 'I wrote it down' }).click();
  await page.getByRole('button', { name: 'Later' }).click();

  // The critical warning stands; its fix opens the change-password form with the focus in it.
  const warning = page.locator('[data-warning="weak-password"]');
  await expect(warning).toContainText('critical');
  await warning.getByRole('button', { name: 'Choose a stronger password' }).click();
  const change = page.getByRole('form', { name: 'Change password' });
  await expect(change).toBeVisible();
  await expect(change.getByLabel('Current password')).toBeFocused();
  await change.getByLabel('Current password').fill('password');
  await change.getByLabel('New password', { exact: true }).fill('qwertyuiop');
  await expect(change.getByText('Password strength: Very weak.')).toBeVisible();
  await change.getByLabel('Type it again').fill('qwertyuiop');
  await change.getByRole('button', { name: 'Change password' }).click();
  await expect(change.getByRole('alert')).toContainText('easy to guess');
  await change.getByLabel('New password', { exact: true }).fill(STRONG);
  await change.getByLabel('Type it again').fill(STRONG);
  await change.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed.')).toBeVisible();
  await expect(page.locator('[data-warning="weak-password"]')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('after-change.png'), fullPage: true });
});

test('the import form has the same meter and the same refusal', async ({ app, page }) => {
  await app.login(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  await page.getByRole('button', { name: 'Import an existing wallet' }).click();
  const form = page.getByRole('form', { name: 'Import a wallet' });
  await form.getByLabel('Recovery phrase (12 or 24 words)').fill('legal winner thank year wave sausage worth useful legal winner thank yellow');
  await form.getByLabel("New password for Minerva's wallet").fill('minerva2024');
  await expect(form.getByText(/Password strength: (Very weak|Weak|Fair)\./)).toBeVisible();
  await form.getByLabel('Type it again').fill('minerva2024');
  await form.getByRole('button', { name: 'Import' }).click();
  await expect(form.getByRole('alert')).toContainText('easy to guess');
  await form.getByLabel(/I understand this password is easy to guess/).check();
  await form.getByRole('button', { name: 'Import' }).click();
  await expect(page.locator('[data-warning="weak-password"]')).toBeVisible();
});
