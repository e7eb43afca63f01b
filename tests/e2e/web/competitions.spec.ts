import { test, expect } from './fixtures';

test('a new miner joins all three practice competitions, checks rewards, leaves one, and keeps the rest after a restart', async ({ app, page }, testInfo) => {
  await app.login(page);
  // The practice network starts by itself on a fresh data folder.
  const pill = page.getByRole('banner').getByRole('link', { name: /Network:/ });
  await expect(pill).toContainText('Practice network');
  await expect(pill).not.toContainText('starting');

  // Joining needs a wallet: without one the app says what to do.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Competitions' }).click();
  const list = page.getByRole('list', { name: 'Competitions' });
  await expect(list.getByRole('listitem')).toHaveCount(3);
  await page.getByRole('button', { name: /^Join / }).first().click();
  await expect(page.getByRole('alert').filter({ hasText: 'Create or import a wallet first' })).toBeVisible();

  await app.createWallet(page);

  // A locked wallet: joining asks to unlock, and the link leads to the unlock form.
  await page.getByRole('banner').getByRole('button', { name: 'Lock' }).click();
  await page.getByRole('dialog', { name: 'Lock the wallet' }).getByRole('button', { name: 'Lock everything (stop mining)' }).click();
  await nav.getByRole('link', { name: 'Competitions' }).click();
  await page.getByRole('button', { name: /^Join / }).first().click();
  const locked = page.getByRole('alert').filter({ hasText: 'Unlock your wallet to join' });
  await expect(locked).toBeVisible();
  await locked.getByRole('link', { name: 'Unlock your wallet' }).click();
  const unlock = page.getByRole('form', { name: 'Unlock the wallet' });
  await unlock.getByLabel(/password/i).fill('orbit lantern walnut cascade');
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('banner')).toContainText('Wallet unlocked');

  await nav.getByRole('link', { name: 'Competitions' }).click();
  const titles = (await list.getByRole('heading', { level: 2 }).allTextContents()).map((t) => t.trim());
  expect(titles).toHaveLength(3);
  for (const title of titles) await page.getByRole('button', { name: `Join ${title}` }).click();
  // Each card walks through its steps and ends joined.
  for (const title of titles) {
    const card = page.getByRole('article', { name: title });
    await expect(card.getByRole('status')).toContainText('Joined with hotkey', { timeout: 30_000 });
    await expect(card.getByRole('button', { name: `Leave ${title}` })).toBeVisible();
    // The hub counts this miner now.
    await expect(card.getByRole('definition').filter({ hasText: /^1$/ })).toBeVisible();
  }
  await page.screenshot({ path: testInfo.outputPath('competitions-joined.png'), fullPage: true });

  // The dashboard ticks off the first two getting-started steps.
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  const steps = page.getByRole('list', { name: 'Getting started steps' });
  await expect(steps).toContainText('Done: Create or import your wallet');
  await expect(steps).toContainText('Done: Join a competition');
  // The balance is on the Dashboard, and Health includes key safety.
  await expect(page.getByRole('heading', { name: 'Balance' })).toBeVisible();
  await expect(page.getByText(/PRAC earned in the last 7 days/)).toBeVisible();
  // A new wallet's phrase is not backed up yet (a critical warning): Health does not say everything works.
  await expect(page.getByRole('list', { name: 'Health checks' })).toContainText(/key safety\s*Problem: Your recovery phrase is not backed up yet/i);
  await expect(page.getByText('Something needs your attention.')).toBeVisible();
  // Earnings: one compact chart per joined competition, 24 h or 7 d.
  const earnings = page.getByRole('region', { name: 'Earnings' });
  for (const title of titles) await expect(earnings.getByRole('figure', { name: `Earnings of ${title}` }).getByRole('img')).toHaveAccessibleName(/: [\d,.]+ PRAC earned in the last 24 hours/);
  await earnings.getByRole('button', { name: '7 d' }).click();
  await expect(earnings.getByRole('button', { name: '7 d' })).toHaveAttribute('aria-pressed', 'true');
  await expect(earnings.getByRole('figure', { name: `Earnings of ${titles[0]!}` }).getByRole('img')).toHaveAccessibleName(new RegExp(`earned in the last 7 days`));
  await page.screenshot({ path: testInfo.outputPath('dashboard-joined.png'), fullPage: true });

  // Rewards: the (so far empty) ledger and the checklist.
  await nav.getByRole('link', { name: 'Rewards' }).click();
  await expect(page.getByRole('heading', { name: 'Balance' })).toBeVisible();
  await expect(page.locator('.big-number')).toContainText('0');
  const checklist = page.getByRole('list', { name: 'Earning checklist' });
  await expect(checklist).toContainText('Connected to a network');
  await expect(checklist).toContainText('Joined a competition: yes');
  await expect(checklist).toContainText('Hotkey registered and current: yes');
  await expect(checklist).toContainText('Wallet unlocked: yes');
  // One chart per competition on the Rewards page too (each joined competition has its row at once).
  for (const title of titles) await expect(page.getByRole('figure', { name: `Earnings of ${title}` }).getByRole('img')).toHaveAccessibleName(new RegExp(`^${title.replace(/[()]/g, '\\$&')}: [\\d,.]+ PRAC earned in the last 24 hours`));
  await page.getByRole('button', { name: 'Last 7 days' }).click();
  await expect(page.getByRole('button', { name: 'Last 7 days' })).toHaveAttribute('aria-pressed', 'true');
  // Every joined competition has a row, with nothing earned yet.
  for (const title of titles) await expect(page.getByRole('table').getByRole('row').filter({ hasText: title })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('rewards.png'), fullPage: true });

  // Leave one.
  await nav.getByRole('link', { name: 'Competitions' }).click();
  const left = titles[0] as string;
  await page.getByRole('button', { name: `Leave ${left}` }).click();
  await expect(page.getByRole('button', { name: `Join ${left}` })).toBeVisible({ timeout: 30_000 });

  // After a restart the memberships are kept.
  await app.restart();
  await app.login(page);
  await nav.getByRole('link', { name: 'Competitions' }).click();
  await expect(page.getByRole('button', { name: `Join ${left}` })).toBeVisible();
  for (const title of titles.slice(1)) await expect(page.getByRole('article', { name: title }).getByRole('status')).toContainText('Joined with hotkey');
});

test('rotating the hotkey asks first, then the competitions are joined again with the new hotkey', async ({ app, page }, testInfo) => {
  test.setTimeout(180_000);
  await app.login(page);
  await app.createWallet(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Competitions' }).click();
  const title = 'Private inference (practice)';
  await page.getByRole('button', { name: `Join ${title}` }).click();
  const card = page.getByRole('article', { name: title });
  await expect(card.getByRole('status')).toContainText('Joined with hotkey #0', { timeout: 60_000 });

  await nav.getByRole('link', { name: 'Wallet & Security' }).click();
  await page.getByRole('button', { name: 'Rotate hotkey' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate the hotkey?' });
  await expect(dialog).toContainText('derives hotkey #1 from your recovery phrase and retires #0');
  await expect(dialog).toContainText('joins every competition you joined again with the new hotkey');
  await page.screenshot({ path: testInfo.outputPath('rotate-confirm.png') });
  // "Keep the current hotkey" changes nothing
  await dialog.getByRole('button', { name: 'Keep the current hotkey' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByLabel('Hotkey #0 address', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Rotate hotkey' }).click();
  await dialog.getByRole('button', { name: 'Rotate and join again' }).click();
  await expect(page.getByLabel('Hotkey #1 address', { exact: true })).toBeVisible();
  const hotkey1 = (await page.getByLabel('Hotkey #1 address', { exact: true }).textContent())?.trim() ?? '';

  await nav.getByRole('link', { name: 'Competitions' }).click();
  await expect(card.getByRole('status')).toContainText('Joined with hotkey #1', { timeout: 60_000 });
  await expect(card.getByRole('status')).toContainText(hotkey1.slice(0, 8));
  await expect(card.getByRole('status')).not.toContainText('retired');
  await page.screenshot({ path: testInfo.outputPath('competitions-after-rotation.png'), fullPage: true });

  // the checklist compares the membership with the current hotkey and the chain
  await nav.getByRole('link', { name: 'Rewards' }).click();
  await expect(page.getByRole('list', { name: 'Earning checklist' })).toContainText('Hotkey registered and current: yes', { timeout: 30_000 });

  // and after a restart it is still the new hotkey
  await app.restart();
  await app.login(page);
  await nav.getByRole('link', { name: 'Wallet & Security' }).click();
  const unlock = page.getByRole('form', { name: 'Unlock the wallet' });
  await unlock.getByLabel('Wallet password').fill('orbit lantern walnut cascade');
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await nav.getByRole('link', { name: 'Competitions' }).click();
  await expect(card.getByRole('status')).toContainText('Joined with hotkey #1', { timeout: 30_000 });
});
