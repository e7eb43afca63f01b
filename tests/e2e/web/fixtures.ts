import { test as base, expect, type Page } from '@playwright/test';
import { startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';

/**
 * `app`: a real `minerva serve` on a fresh data dir; `page` is already logged in through the
 * one-time URL it printed. `restartApp()` stops and starts it on the same data dir.
 */
export interface AppFixture {
  serve: ServeHandle;
  dataDir: string;
  restart(): Promise<void>;
  login(page: Page): Promise<void>;
}

export const test = base.extend<{ app: AppFixture }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form for fixtures without dependencies.
  app: async ({}, use) => {
    const dataDir = tempDataDir('minerva-e2e-');
    let serve = await startServe({ dataDir });
    const fixture: AppFixture = {
      get serve() {
        return serve;
      },
      dataDir,
      async restart() {
        await serve.stop();
        serve = await startServe({ dataDir });
      },
      async login(page) {
        await page.goto(serve.loginUrl);
        await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
      },
    };
    await use(fixture);
    await serve.stop();
  },
});

export { expect };
