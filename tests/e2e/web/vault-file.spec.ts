import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './fixtures';

const PASSWORD = 'orbit lantern walnut cascade';

test('the wallet file deleted while unlocked: a critical warning, locking refused, one click writes it back', async ({ app, page }, testInfo) => {
  await app.login(page);
  await app.createWallet(page, PASSWORD);
  await page.getByRole('button', { name: 'I wrote it down' }).click();
  await page.getByRole('button', { name: 'Later' }).click();

  // Someone (or a cleanup script) deletes the wallet file and its backup.
  rmSync(join(app.dataDir, 'vault.json'));
  rmSync(join(app.dataDir, 'vault.json.bak'), { force: true });

  const warnings = page.getByRole('list', { name: 'Key-safety warnings' });
  await expect(warnings).toContainText('Your wallet file was deleted', { timeout: 15_000 });
  await page.screenshot({ path: testInfo.outputPath('vault-file-missing.png'), fullPage: true });

  // Locking now would lose the keys: refused in words.
  await page.getByRole('button', { name: 'Lock now' }).click();
  await page.getByRole('dialog', { name: 'Lock the wallet' }).getByRole('button', { name: 'Lock everything (stop mining)' }).click();
  await expect(page.getByText(/Locking now would lose your keys/).first()).toBeVisible();
  await expect(page.getByRole('banner').getByRole('link', { name: /wallet/i })).toContainText('Wallet unlocked');

  await warnings.getByRole('button', { name: 'Write the wallet file back' }).click();
  await expect(warnings).not.toContainText('Your wallet file was deleted');
  expect(existsSync(join(app.dataDir, 'vault.json'))).toBe(true);
  expect(existsSync(join(app.dataDir, 'vault.json.bak'))).toBe(true);

  // The file written back opens with the password.
  await page.getByRole('button', { name: 'Lock now' }).click();
  await page.getByRole('dialog', { name: 'Lock the wallet' }).getByRole('button', { name: 'Lock everything (stop mining)' }).click();
  const unlock = page.getByRole('form', { name: 'Unlock the wallet' });
  await unlock.getByLabel('Wallet password').fill(PASSWORD);
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('banner').getByRole('link', { name: /wallet/i })).toContainText('Wallet unlocked');
});
