import { test as base, expect, type Page } from '@playwright/test';
import { startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';

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
      async createWallet(page, password = 'orbit lantern walnut cascade') {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
        await page.getByRole('button', { name: 'Create a new wallet' }).click();
        const form = page.getByRole('form', { name: 'Create a new wallet' });
        await form.getByLabel('Wallet password').fill(password);
        await form.getByLabel('Type it again').fill(password);
        await form.getByRole('button', { name: 'Create wallet' }).click();
        await expect(page.getByRole('button', { name: 'Hold to show the recovery phrase' })).toBeVisible();
      },
      async join(page, title) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Competitions' }).click();
        await page.getByRole('button', { name: `Join ${title}` }).click();
        await expect(page.getByRole('article', { name: title }).getByRole('status')).toContainText('Joined with hotkey', { timeout: 60_000 });
      },
      async login(page) {
        // A fresh address each time, as a miner gets one (`minerva serve --print-url`): each works once.
        await page.goto(await serve.newLoginUrl());
        await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
      },
    };
    await use(fixture);
    await serve.stop();
  },
});

export { expect };
