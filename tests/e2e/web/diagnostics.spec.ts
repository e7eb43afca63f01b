import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { test, expect } from './fixtures';

test('a miner saves a diagnostics file from Settings and gets a zip without their secrets', async ({ app, page }, testInfo) => {
  const password = 'orbit lantern walnut cascade';
  await app.login(page);
  await app.createWallet(page, password);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  const card = page.getByRole('region', { name: 'Help and diagnostics' });
  const downloading = page.waitForEvent('download');
  await card.getByRole('button', { name: 'Save diagnostics file' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^minerva-diagnostics-\d{8}-\d{6}\.zip$/);
  const file = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(file);
  await expect(card.getByRole('status')).toContainText(`Saved ${download.suggestedFilename()}`);
  await card.screenshot({ path: testInfo.outputPath('diagnostics.png') });

  const files = Object.fromEntries(Object.entries(unzipSync(readFileSync(file))).map(([n, d]) => [n, strFromU8(d)]));
  expect(Object.keys(files)).toEqual(expect.arrayContaining(['README.txt', 'versions.json', 'health.json', 'activity.json', 'logs/minerva.log']));
  const health = JSON.parse(files['health.json']!) as { wallet: { state?: string } };
  expect(JSON.stringify(health.wallet)).toContain('unlocked');
  expect(Object.values(files).join('\n')).not.toContain(password);
});
