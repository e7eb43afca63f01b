import { test, expect } from './fixtures';

test('a miner adds a network, switches to it explicitly, switches back and removes it', async ({ app, page }, testInfo) => {
  await app.login(page);
  const pill = page.getByRole('banner').getByRole('link', { name: /Network:/ });
  await expect(pill).toContainText('Practice network');

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Add a network' }).click();
  const form = page.getByRole('form', { name: 'Add a network' });
  await form.getByLabel('Name').fill('My testnet');
  // Plain http to another machine is refused, with the reason.
  await form.getByLabel('Chain endpoint').fill('http://chain.example:9944');
  await form.getByLabel('Hub endpoint').fill('https://hub.example');
  await form.getByRole('button', { name: 'Add network' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'use an https:// address' })).toBeVisible();

  await form.getByLabel('Chain endpoint').fill('https://chain.example');
  await form.getByRole('button', { name: 'Add network' }).click();
  const list = page.getByRole('list', { name: 'Networks' });
  await expect(list).toContainText('My testnet');
  await expect(list).toContainText('chain https://chain.example');

  await page.getByRole('button', { name: 'Switch to My testnet' }).click();
  await expect(pill).toContainText('My testnet');
  await expect(page.getByRole('button', { name: 'Remove My testnet' })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('networks.png'), fullPage: true });

  await page.getByRole('button', { name: 'Switch to Practice network' }).click();
  await expect(pill).toContainText('Practice network');
  await page.getByRole('button', { name: 'Remove My testnet' }).click();
  await expect(list).not.toContainText('My testnet');

  // The selection survives a restart.
  await page.getByRole('button', { name: 'Add a network' }).click();
  await form.getByLabel('Name').fill('Second');
  await form.getByLabel('Chain endpoint').fill('http://127.0.0.1:9944');
  await form.getByLabel('Hub endpoint').fill('http://localhost:9945');
  await form.getByRole('button', { name: 'Add network' }).click();
  await page.getByRole('button', { name: 'Switch to Second' }).click();
  // The click only sends networks.select: stopping serve before core has answered it (and so
  // stored the choice) would test nothing but the race. The pill changes with core's answer.
  await expect(pill).toContainText('Second');
  await app.restart();
  await app.login(page);
  await expect(pill).toContainText('Second');
});
