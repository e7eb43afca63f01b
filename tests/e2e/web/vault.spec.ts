import { test, expect } from './fixtures';

const PASSWORD = 'orbit lantern walnut cascade';

test('a miner creates a wallet, confirms the backup, locks, fails a wrong password, unlocks and rotates the hotkey', async ({ app, page }, testInfo) => {
  await app.login(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Wallet & Security' }).click();
  const pill = page.getByRole('banner').getByRole('link', { name: /wallet/i });
  await expect(pill).toContainText('No wallet yet');

  // Create
  await page.getByRole('button', { name: 'Create a new wallet' }).click();
  const form = page.getByRole('form', { name: 'Create a new wallet' });
  await form.getByLabel('Wallet password').fill(PASSWORD);
  await form.getByLabel('Type it again').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create wallet' }).click();

  // The phrase is shown only while the button is held down.
  const hold = page.getByRole('button', { name: 'Hold to show the recovery phrase' });
  await expect(hold).toBeVisible();
  const phraseList = page.getByRole('list', { name: 'Recovery phrase' });
  await expect(phraseList).toHaveCount(0);
  await hold.hover();
  await page.mouse.down();
  await expect(phraseList.getByRole('listitem')).toHaveCount(12);
  const words = (await phraseList.getByRole('listitem').locator('.mono').allTextContents()).map((w) => w.trim());
  await page.mouse.up();
  await expect(phraseList).toHaveCount(0);
  expect(words).toHaveLength(12);

  // Two warnings before the backup is confirmed (phrase not confirmed, coldkey on this machine)
  await expect(pill.getByLabel('2 key-safety warnings')).toBeVisible();

  // The three-word check: a wrong word is refused, the right ones confirm
  await page.getByRole('button', { name: 'I wrote it down' }).click();
  const quiz = page.getByRole('form', { name: 'Confirm your backup' });
  const labels = quiz.locator('label');
  await expect(labels).toHaveCount(3);
  const positions = (await labels.allTextContents()).map((t) => Number(t.replace('Word #', '')));
  for (const [i, p] of positions.entries()) await quiz.getByLabel(`Word #${p}`, { exact: true }).fill(i === 0 ? 'zzz' : (words[p - 1] as string));
  await quiz.getByRole('button', { name: 'Confirm backup' }).click();
  await expect(quiz.getByRole('alert')).toContainText(`#${positions[0]}`);
  await quiz.getByLabel(`Word #${positions[0]}`, { exact: true }).fill(words[(positions[0] as number) - 1] as string);
  await quiz.getByRole('button', { name: 'Confirm backup' }).click();

  // The wallet page: identities and warnings; the unconfirmed-backup warning is gone
  const identities = page.getByRole('list', { name: 'Identities' });
  await expect(identities).toContainText('Hotkey #0');
  await expect(identities).toContainText('Ethereum account');
  const warnings = page.getByRole('list', { name: 'Key-safety warnings' });
  await expect(warnings).toContainText('Your coldkey is stored on this mining machine');
  await expect(warnings).not.toContainText('recovery phrase is not backed up');
  await expect(pill.getByLabel('1 key-safety warning')).toBeVisible();
  await expect(page.getByRole('note')).toContainText('No Minerva support person will ever ask');
  const hotkey0 = (await page.getByLabel('Hotkey #0 address', { exact: true }).textContent())?.trim();
  expect(hotkey0).toMatch(/^5[1-9A-HJ-NP-Za-km-z]{47}$/);
  // no phrase word sequence is left on the page once the wizard is done
  await expect(page.locator('body')).not.toContainText(words.slice(0, 3).join(' '));

  // Lock, fail a wrong password, unlock
  await page.getByRole('button', { name: 'Lock now' }).click();
  await page.getByRole('dialog', { name: 'Lock the wallet' }).getByRole('button', { name: 'Lock everything (stop mining)' }).click();
  await expect(pill).toContainText('Wallet locked');
  const unlock = page.getByRole('form', { name: 'Unlock the wallet' });
  await unlock.getByLabel('Wallet password').fill('not my password');
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(unlock.getByRole('alert')).toContainText('does not open this wallet');
  await unlock.getByLabel('Wallet password').fill(PASSWORD);
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(pill).toContainText('Wallet unlocked');

  // Rotate the hotkey: it asks first, then #1 in use, #0 retired
  await page.getByRole('button', { name: 'Rotate hotkey' }).click();
  const rotateDialog = page.getByRole('dialog', { name: 'Rotate the hotkey?' });
  await expect(rotateDialog).toContainText('joins every competition you joined again with the new hotkey');
  await rotateDialog.getByRole('button', { name: 'Rotate and join again' }).click();
  await expect(identities).toContainText('Hotkey #1');
  await expect(page.getByLabel('Hotkey #1 address', { exact: true })).not.toHaveText(hotkey0 as string);
  await page.getByText(/Retired and replaced keys/).click();
  await expect(page.getByRole('list', { name: 'Retired identities' })).toContainText(hotkey0 as string);

  // Warnings follow settings: auto-lock off adds one, its fix removes it again
  await nav.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Lock the wallet after inactivity').selectOption('0');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await nav.getByRole('link', { name: 'Wallet & Security' }).click();
  await expect(warnings).toContainText('The wallet never locks by itself');
  await expect(pill.getByLabel('2 key-safety warnings')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('wallet.png'), fullPage: true });
  await page.getByRole('button', { name: 'Turn auto-lock on (15 minutes)' }).click();
  await expect(warnings).not.toContainText('The wallet never locks by itself');
});
