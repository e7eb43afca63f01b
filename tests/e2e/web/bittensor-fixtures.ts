import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { startChopsticks, TAO, type ChopsticksChain } from '../../helpers/chopsticks';

/**
 * What the e2e specs on a Bittensor network share: the real subtensor runtime (spec 218, chopsticks
 * on loopback) started once per spec file, and the miner's first steps through the UI — add the
 * chain as a network and switch to it, fund the wallet's coldkey (network setup, `dev_setStorage`),
 * register the hotkey by burn after seeing the cost. The specs that test those steps themselves
 * (bittensor.spec.ts) spell them out instead.
 */

export { TAO };

/**
 * Starts chopsticks in this file's `beforeAll` and stops it in its `afterAll` (one chain per spec
 * file: a cold start takes 10–15 s). Read `.chain` inside tests and later hooks. Parties that hold
 * a connection to the chain (a receiver's ApiPromise) go to `closeFirst`: they are closed before
 * the chain stops, so they do not log an abnormal closure.
 */
export function chopsticksForThisFile(): { readonly chain: ChopsticksChain; closeFirst(close: () => Promise<void> | void): void } {
  let chain: ChopsticksChain | undefined;
  const parties: (() => Promise<void> | void)[] = [];
  test.beforeAll(async () => {
    test.setTimeout(180_000);
    chain = await startChopsticks();
  });
  test.afterAll(async () => {
    for (const close of parties.splice(0)) await close();
    await chain?.stop();
  });
  return {
    get chain(): ChopsticksChain {
      if (!chain) throw new Error('chopsticks is not running: read .chain inside a test or a later hook');
      return chain;
    },
    closeFirst(close) {
      parties.push(close);
    },
  };
}

/** Settings → Add a Bittensor network (a custom endpoint: the chain), then Switch to it. */
export async function addBittensorNetwork(page: Page, chain: ChopsticksChain, name = 'Local subtensor'): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('button', { name: 'Add a Bittensor network' }).click();
  const form = page.getByRole('form', { name: 'Add a Bittensor network' });
  await form.getByLabel('Bittensor network').selectOption('custom');
  await form.getByLabel('Endpoint').fill(chain.url);
  await form.getByLabel('Name (optional)').fill(name);
  await form.getByRole('button', { name: 'Check and add' }).click();
  await expect(page.getByRole('list', { name: 'Networks' })).toContainText(name, { timeout: 60_000 });
  await page.getByRole('button', { name: `Switch to ${name}` }).click();
  await expect(page.getByRole('banner').getByRole('link', { name: /Network:/ })).toContainText(name);
}

/**
 * Funds the coldkey the Bittensor card shows (Settings, that network selected) and refreshes the
 * card until it shows the balance. Returns the coldkey's address.
 */
export async function fundColdkey(page: Page, chain: ChopsticksChain, tao: bigint): Promise<string> {
  const coldkey = (await page.getByTestId('bt-coldkey').textContent({ timeout: 60_000 })) ?? '';
  expect(coldkey).toMatch(/^5[1-9A-HJ-NP-Za-km-z]{47}$/);
  await chain.fund({ [coldkey]: tao * TAO });
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByRole('definition').filter({ hasText: 'TAO' })).toHaveText(`${tao} TAO`);
  return coldkey;
}

/** The Bittensor card's "Register by burn" (Settings): the cost, the confirmation, the UID. Returns the UID. */
export async function registerByBurn(page: Page, netuid = 1): Promise<number> {
  const register = page.getByRole('form', { name: 'Register by burn' });
  await register.getByLabel('Subnet').selectOption(String(netuid));
  await register.getByRole('button', { name: 'Show the cost' }).click();
  await page.getByRole('group', { name: 'Confirm the registration' }).getByRole('button', { name: /^Burn .+ TAO and register$/ }).click();
  const done = page.getByRole('status').filter({ hasText: new RegExp(`Registered on subnet ${netuid} as UID \\d+`) });
  await expect(done).toBeVisible({ timeout: 120_000 });
  const uid = new RegExp(`Registered on subnet ${netuid} as UID (\\d+)`).exec((await done.textContent()) ?? '')?.[1];
  expect(uid).toMatch(/^\d+$/);
  return Number(uid);
}
