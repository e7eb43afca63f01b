import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, type Locator, type Page } from '@playwright/test';
import { CLI, startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { axeFindings } from './axe';

/**
 * Issue 16 part 4: a restart of `minerva serve` leaves the open tab with a clear path back.
 * A real serve is killed (SIGKILL, as a crash or `kill -9`) and started again on the same data
 * folder and port while a Chromium tab stays open: the tab says Minerva is not reachable, greys
 * its live status, and comes back by itself — signed in (the session survives the restart) and
 * with state read again. When the sign-in is lost, the tab and the 401 page say how to get back.
 */
const ARGS = ['--block-ms', '300'];
let serve: ServeHandle | undefined;

test.afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

/** The serve of this test, as it runs now. */
function running(): ServeHandle {
  if (!serve) throw new Error('minerva serve is not running');
  return serve;
}

interface SignedIn {
  dataDir: string;
  /** The port the tab's address names; every restart takes it again. */
  port: string;
  /** The top bar's connection status. */
  connection: Locator;
}

/** A real serve on a fresh data folder, and the page signed in through the address it printed (as a miner opens it). */
async function startSignedIn(page: Page, prefix: string): Promise<SignedIn> {
  const dataDir = tempDataDir(prefix);
  serve = await startServe({ dataDir, args: ARGS });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(serve.loginUrl);
  const connection = page.locator('.connection');
  await expect(connection).toHaveText('Connected');
  return { dataDir, port: new URL(serve.url).port, connection };
}

/** serve again on the same data folder and port, so the open tab's address reaches it. */
async function restartOnSamePort({ dataDir, port }: SignedIn): Promise<void> {
  serve = await startServe({ dataDir, args: [...ARGS, '--port', port] });
  expect(new URL(serve.url).port).toBe(port);
}

/** Every browser signed out, as the README says: stop serve, delete the session file, start it again. */
async function signOutEveryBrowser(app: SignedIn): Promise<void> {
  await serve?.stop();
  rmSync(join(app.dataDir, 'headless-session.json'));
  await restartOnSamePort(app);
}

async function kill(handle: ServeHandle): Promise<void> {
  await new Promise<void>((done) => {
    if (handle.process.exitCode !== null || handle.process.signalCode !== null) return done();
    handle.process.once('exit', () => done());
    handle.process.kill('SIGKILL');
  });
}

async function shots(page: Page, name: string, outputPath: (name: string) => string): Promise<void> {
  for (const [width, height] of [[1280, 800], [800, 600]] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: outputPath(`${name}-${width}x${height}.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('serve killed and restarted on the same folder and port: the open tab greys, says so, and recovers by itself', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const app = await startSignedIn(page, 'minerva-e2e-reconnect-');
  const { connection } = app;
  await expect(page.getByText('Everything is working.')).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText('Practice network').first()).toBeVisible();
  // Marks this document: if the page recovers by reloading, the mark is gone.
  await page.evaluate(() => Object.assign(window, { __sameDocument: true }));

  await kill(running());
  const banner = page.getByRole('alert').filter({ hasText: 'Minerva is not reachable — reconnecting…' });
  await expect(banner).toBeVisible();
  await expect(connection).toHaveText('Disconnected — retrying');
  // Live status is greyed: the page content and the pills lose their colours.
  await expect(page.locator('.shell')).toHaveClass(/shell-offline/);
  expect(await page.locator('.content').evaluate((el) => getComputedStyle(el).filter)).toBe('grayscale(1)');
  expect(await page.locator('.network-pill').evaluate((el) => getComputedStyle(el).filter)).toBe('grayscale(1)');
  // One message, not one per call that was in flight.
  await expect(page.getByText('dropped before it answered')).toHaveCount(0);
  expect(await axeFindings(page)).toEqual([]);
  await shots(page, 'not-reachable', (n) => testInfo.outputPath(n));

  // While it is down, the data folder changes under it (a CLI command): the tab must show it after.
  const added = spawnSync(process.execPath, [CLI, 'networks', 'add', '--kind', 'custom', '--name', 'Backup lab', '--chain-url', 'https://chain.backup.example', '--hub-url', 'https://hub.backup.example', '--data-dir', app.dataDir], { encoding: 'utf8', timeout: 60_000 });
  expect(added.status, added.stderr).toBe(0);

  await restartOnSamePort(app);
  await expect(connection).toHaveText('Connected', { timeout: 30_000 });
  await expect(banner).toHaveCount(0);
  await expect(page.locator('.shell')).not.toHaveClass(/shell-offline/);
  await expect(page.getByText('Backup lab')).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  // And a reload after the restart just works: the session survived it.
  await page.reload();
  await expect(connection).toHaveText('Connected');
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
});

test('a lost sign-in: the tab shows the way back (minerva open), and the 401 page says the same in the app\'s style', async ({ page, browser }, testInfo) => {
  test.setTimeout(180_000);
  const app = await startSignedIn(page, 'minerva-e2e-signedout-');
  const { connection } = app;
  await signOutEveryBrowser(app);
  const banner = page.getByRole('alert').filter({ hasText: 'This browser is no longer signed in to Minerva.' });
  await expect(banner).toBeVisible({ timeout: 30_000 });
  await expect(banner).toContainText('minerva open');
  await expect(connection).toHaveText('Signed out');
  await expect(page.locator('.shell')).toHaveClass(/shell-offline/);
  expect(await axeFindings(page)).toEqual([]);
  await shots(page, 'signed-out', (n) => testInfo.outputPath(n));

  // A reload now gives the 401 page, in the app's style, with the commands — not a bare text.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'This browser is not signed in' })).toBeVisible();
  await expect(page.getByText('minerva open', { exact: true })).toBeVisible();
  await expect(page.getByText('minerva serve --print-url', { exact: true })).toBeVisible();
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(15, 17, 21)');
  expect(await axeFindings(page)).toEqual([]);
  await shots(page, '401-dark', (n) => testInfo.outputPath(n));
  const light = await browser.newContext({ colorScheme: 'light' });
  const lightPage = await light.newPage();
  await lightPage.goto(running().url);
  await expect(lightPage.getByRole('heading', { level: 1, name: 'This browser is not signed in' })).toBeVisible();
  expect(await lightPage.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(244, 245, 248)');
  expect(await axeFindings(lightPage)).toEqual([]);
  await shots(lightPage, '401-light', (n) => testInfo.outputPath(n));
  await light.close();

  // The way back, as the page says: a fresh address from the terminal, opened in this browser.
  await page.goto(await running().newLoginUrl());
  await expect(connection).toHaveText('Connected');
  expect(page.url()).not.toContain('token=');
});

test('signing in from another tab brings a signed-out tab back by itself', async ({ page, context }) => {
  test.setTimeout(180_000);
  const app = await startSignedIn(page, 'minerva-e2e-othertab-');
  const { connection } = app;
  await signOutEveryBrowser(app);
  await expect(connection).toHaveText('Signed out', { timeout: 30_000 });
  await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
  // `minerva open` opens a new tab of the same browser; the cookie it gets is this tab's too.
  const other = await context.newPage();
  await other.goto(await running().newLoginUrl());
  await expect(other.locator('.connection')).toHaveText('Connected');
  await expect(connection).toHaveText('Connected', { timeout: 30_000 });
  await expect(page.getByRole('alert').filter({ hasText: 'no longer signed in' })).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
});
