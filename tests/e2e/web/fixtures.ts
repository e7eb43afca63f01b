import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';

/** The wallet password of the e2e miners. */
export const E2E_PASSWORD = 'orbit lantern walnut cascade';

/** Opens a one-time login address and waits until the page says it is connected. */
export async function loginAt(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
}

/** Creates a wallet through the onboarding UI (Wallet & Security); it is left unlocked. */
export async function createWalletInUi(page: Page, password = E2E_PASSWORD): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  await page.getByRole('button', { name: 'Create a new wallet' }).click();
  const form = page.getByRole('form', { name: 'Create a new wallet' });
  await form.getByLabel('Wallet password').fill(password);
  await form.getByLabel('Type it again').fill(password);
  await form.getByRole('button', { name: 'Create wallet' }).click();
  await expect(page.getByRole('button', { name: 'Hold to show the recovery phrase' })).toBeVisible();
}

/** Joins a competition from the Competitions page and waits until its card says joined. */
export async function joinInUi(page: Page, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Competitions' }).click();
  await page.getByRole('button', { name: `Join ${title}` }).click();
  await expect(page.getByRole('article', { name: title }).getByRole('status')).toContainText('Joined with hotkey', { timeout: 60_000 });
}

/**
 * A fresh miner on `serve` (which runs or attaches to a practice network): signed in at its printed
 * address in a 1400×1000 window, a wallet created, the practice private-inference competition
 * joined; ends on the Jobs page and returns the main navigation.
 */
export async function joinPracticeInferenceInUi(page: Page, serve: ServeHandle): Promise<Locator> {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await loginAt(page, serve.loginUrl);
  await createWalletInUi(page);
  await joinInUi(page, 'Private inference (practice)');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Jobs' }).click();
  return nav;
}

/**
 * `app`: a real `minerva serve` on a fresh data dir; `login(page)` signs a page in through a fresh
 * one-time address (`minerva serve --print-url`), leaving the printed `serve.loginUrl` for `connectRpc`. `restartApp()` stops and starts it on the same data dir.
 */
export interface AppFixture {
  serve: ServeHandle;
  dataDir: string;
  restart(): Promise<void>;
  login(page: Page): Promise<void>;
  /** Creates a wallet through the onboarding UI; it is left unlocked. */
  createWallet(page: Page, password?: string): Promise<void>;
  /** Joins a competition from the Competitions page and waits until its card says joined. */
  join(page: Page, title: string): Promise<void>;
}

export const test = base.extend<{ app: AppFixture; serveEnv: Record<string, string> }>({
  /** Environment variables for the spec's `minerva serve` (`test.use({ serveEnv: {…} })`), e.g. a faster pace. */
  serveEnv: [{}, { option: true }],
  app: async ({ serveEnv }, use) => {
    const dataDir = tempDataDir('minerva-e2e-');
    // Fast blocks keep the practice network's flows (registration, rounds) quick in tests.
    const args = ['--block-ms', '300'];
    const env = serveEnv;
    let serve = await startServe({ dataDir, args, env });
    const fixture: AppFixture = {
      get serve() {
        return serve;
      },
      dataDir,
      async restart() {
        await serve.stop();
        serve = await startServe({ dataDir, args, env });
      },
      createWallet: (page, password) => createWalletInUi(page, password),
      join: (page, title) => joinInUi(page, title),
      // A fresh address each time, as a miner gets one (`minerva serve --print-url`): each works once.
      login: async (page) => loginAt(page, await serve.newLoginUrl()),
    };
    await use(fixture);
    await serve.stop();
  },
});

export { expect };
