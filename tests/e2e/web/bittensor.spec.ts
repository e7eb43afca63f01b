import { test, expect } from './fixtures';
import { startChopsticks, TAO, type ChopsticksChain } from '../../helpers/chopsticks';

/**
 * A miner adds a Bittensor network (the real subtensor runtime, spec 218, run by chopsticks on
 * loopback), switches to it, registers the wallet's fresh hotkey by burn after seeing the cost,
 * and publishes a commitment that the app reads back from the chain — all through the UI.
 * One chain for this file; the wallet's coldkey is funded with `dev_setStorage`.
 */
let chain: ChopsticksChain;

test.beforeAll(async () => {
  chain = await startChopsticks();
});
test.afterAll(async () => {
  await chain?.stop();
});

test('a miner adds a Bittensor network, registers by burn with the cost shown, and commits a hash', async ({ app, page }, testInfo) => {
  test.setTimeout(300_000);
  await app.login(page);
  await app.createWallet(page);

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Add a Bittensor network' }).click();
  const form = page.getByRole('form', { name: 'Add a Bittensor network' });
  // "finney" at an endpoint whose genesis is not finney's is refused, in words.
  await form.getByLabel('Bittensor network').selectOption('finney');
  await form.getByLabel('Endpoint').fill(chain.url);
  await form.getByRole('button', { name: 'Check and add' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'the profile "finney" expects genesis 0x2f05…6c03' })).toBeVisible({ timeout: 60_000 });

  await form.getByLabel('Bittensor network').selectOption('custom');
  await form.getByLabel('Name (optional)').fill('Local subtensor');
  await form.getByRole('button', { name: 'Check and add' }).click();
  const list = page.getByRole('list', { name: 'Networks' });
  await expect(list).toContainText('Local subtensor', { timeout: 60_000 });
  await expect(list).toContainText('chain "bittensor"');
  await expect(list).toContainText('runtime node-subtensor v218');

  await page.getByRole('button', { name: 'Switch to Local subtensor' }).click();
  await expect(page.getByRole('banner').getByRole('link', { name: /Network:/ })).toContainText('Local subtensor');

  // The card reads the chain: fund the fresh coldkey it shows, then refresh.
  const coldkey = (await page.getByTestId('bt-coldkey').textContent({ timeout: 60_000 })) ?? '';
  expect(coldkey).toMatch(/^5[1-9A-HJ-NP-Za-km-z]{47}$/);
  await chain.fund({ [coldkey]: 5n * TAO });
  await page.getByRole('button', { name: 'Refresh' }).click();
  const account = page.getByRole('definition').filter({ hasText: 'TAO' });
  await expect(account).toHaveText('5 TAO');
  await expect(page.getByText('Your hotkey is not registered on any subnet of this network.')).toBeVisible();

  // Register by burn: the cost first, then an explicit confirmation.
  const register = page.getByRole('form', { name: 'Register by burn' });
  await register.getByLabel('Subnet').selectOption('1');
  await register.getByRole('button', { name: 'Show the cost' }).click();
  const confirm = page.getByRole('group', { name: 'Confirm the registration' });
  await expect(confirm).toContainText('burns 1 TAO from your coldkey, plus a fee of 0 TAO: 1 TAO in all (you hold 5 TAO)');
  await page.screenshot({ path: testInfo.outputPath('bittensor-confirm.png'), fullPage: true });
  await confirm.getByRole('button', { name: 'Burn 1 TAO and register' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Registered on subnet 1 as UID \d+ in block \d+\./ })).toBeVisible({ timeout: 120_000 });
  const metagraph = page.getByRole('table', { name: 'Your hotkey in the metagraph' });
  await expect(metagraph.getByRole('row').nth(1)).toContainText('not served');
  await expect(account).toHaveText('4 TAO');

  // Publish a commitment; the app reads it back from the chain.
  const hash = 'c0ffee'.padEnd(64, '0');
  const commit = page.getByRole('form', { name: 'Publish a commitment' });
  await commit.getByLabel('SHA-256 hash').fill(hash);
  await commit.getByRole('button', { name: 'Commit' }).click();
  await expect(metagraph).toContainText(/Sha256 0xc0ffee00…000000 \(block \d+\)/, { timeout: 120_000 });
  await page.screenshot({ path: testInfo.outputPath('bittensor-registered.png'), fullPage: true });
});
