import { test, expect } from './fixtures';

const PAGES = ['Dashboard', 'Competitions', 'Jobs', 'Model runner', 'Checkpoints', 'Rewards', 'Wallet & Security', 'Settings', 'Logs'];

test('the app loads through the login URL and shows the dashboard', async ({ app, page }, testInfo) => {
  // The address `minerva serve` printed at start (the fixture's login() makes a fresh one each time).
  await page.goto(app.serve.loginUrl);
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
  // The token was traded for a cookie and is gone from the address bar.
  expect(page.url()).not.toContain('token=');
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.getByText('Everything is working.')).toBeVisible();
  await expect(page.getByText(app.dataDir)).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('dashboard.png'), fullPage: true });
});

test('every page is reachable by keyboard alone', async ({ app, page }) => {
  await app.login(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of PAGES) {
    // Tab from the top of the document until the link of this page has focus, then press Enter.
    // Chromium remembers where focus last was (the page's heading) as the starting point of the
    // next Tab, so a bare blur() would Tab on through the page's own controls: focus the body first.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      document.body.tabIndex = -1;
      document.body.focus();
      document.body.removeAttribute('tabindex');
    });
    let reached = false;
    for (let i = 0; i < 20 && !reached; i += 1) {
      await page.keyboard.press('Tab');
      reached = await nav.getByRole('link', { name, exact: true }).evaluate((el) => el === document.activeElement);
    }
    expect(reached, `the "${name}" link is reachable with Tab`).toBe(true);
    await page.keyboard.press('Enter');
    const heading = page.getByRole('heading', { level: 1, name, exact: true });
    await expect(heading).toBeVisible();
    await expect(heading).toBeFocused();
    await expect(nav.getByRole('link', { name, exact: true })).toHaveAttribute('aria-current', 'page');
  }
});

test('a settings change persists across a restart of minerva serve', async ({ app, page }, testInfo) => {
  await app.login(page);
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Theme').selectOption('light');
  await page.getByLabel('Lock the wallet after inactivity').selectOption('30');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');

  await app.restart();
  await app.login(page);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByLabel('Theme')).toHaveValue('light');
  await expect(page.getByLabel('Lock the wallet after inactivity')).toHaveValue('30');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.screenshot({ path: testInfo.outputPath('settings-light.png'), fullPage: true });
});

test('choosing "never" for auto-lock explains the risk', async ({ app, page }) => {
  await app.login(page);
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Lock the wallet after inactivity').selectOption('0');
  await expect(page.getByText('Anyone at this computer could use them')).toBeVisible();
});

test('the Logs page shows redacted lines and follows new ones', async ({ app, page }, testInfo) => {
  await app.login(page);
  await page.getByRole('link', { name: 'Logs' }).click();
  const log = page.getByRole('log', { name: 'Log lines' });
  await expect(log).toContainText('core started');
  await page.getByLabel('Show').selectOption('debug');
  // A settings change writes a new line, which arrives live.
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Log detail').selectOption('debug');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('link', { name: 'Logs' }).click();
  await expect(log).toContainText('settings changed');
  await page.screenshot({ path: testInfo.outputPath('logs.png'), fullPage: true });

  // The practice network's chatter is hidden by default (and says so); the From list shows it, or one part only.
  const from = page.getByLabel('From');
  const scopes = () => log.locator('.log-scope').allInnerTexts();
  await expect(from).toHaveValue('!devnet');
  await expect.poll(async () => (await scopes()).filter((s) => s.startsWith('devnet')).length).toBe(0);
  await expect(page.getByRole('group', { name: 'Log filters' }).getByRole('status')).toContainText(/from the practice network hidden/, { timeout: 30_000 });
  await from.selectOption({ label: 'every part, practice network too' });
  await expect.poll(async () => (await scopes()).filter((s) => s.startsWith('devnet')).length).toBeGreaterThan(0);
  await from.selectOption({ label: 'core only' });
  await expect(log).toContainText('core started');
  expect(new Set((await scopes()).map((s) => s.split('.')[0]))).toEqual(new Set(['core']));
  await from.selectOption({ label: 'the practice network only' });
  expect(new Set((await scopes()).map((s) => s.split('.')[0]))).toEqual(new Set(['devnet']));
});

test('the tab shows Minerva\'s icon (a favicon the server actually serves)', async ({ app, page }) => {
  await app.login(page);
  const href = await page.locator('link[rel="icon"]').getAttribute('href');
  expect(href).toMatch(/favicon.*\.svg$/);
  const response = await page.request.get(new URL(href ?? '', page.url()).toString());
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('image/svg+xml');
  expect(await response.text()).toContain('<svg');
});
