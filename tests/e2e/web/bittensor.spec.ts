import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { test, expect } from './fixtures';
import { axeFindings as axe } from './axe';
import { chopsticksForThisFile, fundColdkey, TAO } from './bittensor-fixtures';

/**
 * A miner adds a Bittensor network (the real subtensor runtime, spec 218, run by chopsticks on
 * loopback), switches to it, registers the wallet's fresh hotkey by burn after seeing the cost,
 * and publishes a commitment that the app reads back from the chain; then serves its axon (a
 * loopback address refused in words, a public one published), rotates the hotkey and swaps it on
 * chain (the UID moves), and registers the next hotkey by proof of work with a progress bar —
 * all through the UI. One chain for this file; the wallet's coldkey is funded, and subnet 1 opened
 * to PoW, with `dev_setStorage`.
 */

const bt = chopsticksForThisFile();

test('a miner adds a Bittensor network, registers by burn with the cost shown, commits a hash, serves the axon, swaps a rotated hotkey and registers by proof of work', async ({ app, page }, testInfo) => {
  test.setTimeout(300_000);
  const chain = bt.chain;
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
  await fundColdkey(page, chain, 5n);
  const account = page.getByRole('definition').filter({ hasText: 'TAO' });
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

  // The Competitions page says why it is empty here, and offers the way back.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Competitions', exact: true }).click();
  await expect(page.getByText('No competitions configured on this network')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Switch to / })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('bittensor-competitions.png'), fullPage: true });
  expect(await axe(page)).toEqual([]);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings', exact: true }).click();

  // Serve the axon: a loopback address is refused in words before anything is sent; a public one is published.
  const serve = page.getByRole('form', { name: 'Serve your axon' });
  await serve.getByLabel('Public IP address').fill('127.0.0.1');
  await serve.getByRole('button', { name: 'Check the address' }).click();
  await expect(serve.getByRole('alert')).toContainText('loopback');
  await expect(serve.getByRole('alert')).toContainText('validators on the internet cannot reach it');
  await serve.getByLabel('Public IP address').fill('45.79.10.20');
  await serve.getByRole('button', { name: 'Check the address' }).click();
  const axonConfirm = serve.getByRole('group', { name: 'Confirm the axon' });
  await expect(axonConfirm).toContainText('Publishing 45.79.10.20:8091');
  await axonConfirm.getByRole('button', { name: 'Publish the axon' }).click();
  await expect(metagraph.getByRole('row').nth(1)).toContainText('45.79.10.20:8091', { timeout: 120_000 });
  const uid = ((await metagraph.getByRole('row').nth(1).getByRole('cell').nth(1).textContent()) ?? '').trim();
  expect(uid).toMatch(/^\d+$/);

  // Rotate the hotkey in the wallet: the dialog says the UID stays behind until the coldkey swaps it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  await page.getByRole('button', { name: 'Rotate hotkey' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate the hotkey?' });
  await expect(dialog).toContainText('On Local subtensor (Bittensor), your UIDs stay with the old hotkey until your coldkey swaps it on chain');
  await dialog.getByRole('button', { name: 'Rotate and join again' }).click();
  await expect(page.getByLabel('Hotkey #1 address', { exact: true })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings', exact: true }).click();
  const swap = page.getByRole('region', { name: 'Hotkey swap on chain' });
  await expect(swap).toContainText(`UID ${uid} on subnet 1 still belongs to the old hotkey`, { timeout: 60_000 });
  await swap.getByRole('button', { name: 'Show the swap cost' }).click();
  const swapConfirm = swap.getByRole('group', { name: 'Confirm the hotkey swap' });
  await expect(swapConfirm).toContainText('The chain takes 1 TAO from your coldkey, plus a fee of 0 TAO: 1 TAO in all (you hold 4 TAO)');
  await page.screenshot({ path: testInfo.outputPath('bittensor-swap.png'), fullPage: true });
  await swapConfirm.getByRole('button', { name: 'Pay 1 TAO and swap' }).click();
  await expect(page.getByRole('status').filter({ hasText: `UID ${uid} on subnet 1 now belongs to your new hotkey` })).toBeVisible({ timeout: 120_000 });
  await expect(swap).toBeHidden();
  await expect(metagraph.getByRole('row').nth(1).getByRole('cell').nth(1)).toHaveText(uid);
  await expect(account).toHaveText('3 TAO');

  // Rotate again, and register the new hotkey by proof of work (subnet 1 opened to PoW first).
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet & Security' }).click();
  await page.getByRole('button', { name: 'Rotate hotkey' }).click();
  await dialog.getByRole('button', { name: 'Rotate and join again' }).click();
  await expect(page.getByLabel('Hotkey #2 address', { exact: true })).toBeVisible();
  await chain.rpc('dev_setStorage', [{ SubtensorModule: { NetworkPowRegistrationAllowed: [[[1], true]], Difficulty: [[[1], 2_000_000_000]] } }]);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings', exact: true }).click();
  const pow = page.getByRole('form', { name: 'Register by proof of work' });
  await expect(pow.getByLabel('Subnet', { exact: true })).toContainText('about 2,000,000,000 attempts', { timeout: 60_000 });
  await pow.getByRole('button', { name: 'Start the proof of work' }).click();
  const progress = pow.getByRole('status', { name: 'Proof of work' });
  await expect(progress).toContainText(/Solving: [\d,]+ of about 2,000,000,000 attempts/, { timeout: 60_000 });
  await expect(progress.getByRole('progressbar')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('bittensor-pow-solving.png'), fullPage: true });
  expect(await axe(page)).toEqual([]);
  await pow.getByRole('button', { name: 'Cancel' }).click();
  await expect(progress).toContainText(/Cancelled after [\d,]+ attempts\. Nothing was sent\./);
  // A cancel the miner asked for reads as a neutral note, never as a red error.
  await expect(page.locator('.toast').filter({ hasText: 'Registration cancelled. Nothing was sent.' })).toHaveAttribute('role', 'status');
  await expect(page.getByRole('alert').filter({ hasText: /cancelled/i })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('bittensor-pow-cancelled.png'), fullPage: true });
  await chain.rpc('dev_setStorage', [{ SubtensorModule: { Difficulty: [[[1], 20_000]] } }]);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(pow.getByLabel('Subnet', { exact: true })).toContainText('about 20,000 attempts');
  await pow.getByRole('button', { name: 'Start the proof of work' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Registered on subnet 1 as UID \d+ in block \d+ \(proof of work\)\./ })).toBeVisible({ timeout: 120_000 });
  await expect(metagraph.getByRole('row').nth(1)).toContainText('not served');
  await expect(account).toHaveText('3 TAO');
  await page.screenshot({ path: testInfo.outputPath('bittensor-pow-registered.png'), fullPage: true });

  const ourHotkey = (await page.locator('dl[aria-label="Bittensor account"] dd code').nth(1).textContent()) ?? '';
  expect(ourHotkey).toMatch(/^5[1-9A-HJ-NP-Za-km-z]{47}$/);
  // The Rewards page reads the metagraph and says why this hotkey is not earning yet.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rewards', exact: true }).click();
  await expect(page.getByRole('table', { name: 'Emission per subnet' })).toContainText('not served', { timeout: 60_000 });
  await expect(page.getByRole('list', { name: 'Earning checklist' })).toContainText('Not served on subnet 1: validators do not know where to reach your miner');
  await page.screenshot({ path: testInfo.outputPath('bittensor-rewards.png'), fullPage: true });
  expect(await axe(page)).toEqual([]);

  // Emission reaching this hotkey: spec 218 splits a subnet's emission by stake alone (weights
  // never become incentive there: docs/networks.md), so a fresh key stakes 1 TAO to our hotkey
  // (network setup: the genesis pool's 1 rao of alpha is topped up first, or a stake buys none).
  const staker = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Staker1');
  await chain.fund({ [staker.address]: 10n * TAO });
  await chain.rpc('dev_setStorage', [{ SubtensorModule: { SubnetAlphaIn: [[[1], (11n * TAO).toString()]] } }]);
  const api = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
  try {
    const nonce = (await api.rpc.system.accountNextIndex(staker.address)).toNumber();
    const failed = await new Promise<string | null>((resolve, reject) => {
      api.tx.subtensorModule!.addStake!(ourHotkey, 1, TAO)
        .signAndSend(staker, { nonce }, (result) => {
          if (result.status.isInBlock) resolve(result.dispatchError ? result.dispatchError.toString() : null);
        })
        .catch(reject);
    });
    expect(failed).toBeNull();
  } finally {
    await api.disconnect();
  }
  await chain.newBlocks(1);
  await page.reload();
  const checklist = page.getByRole('list', { name: 'Earning checklist' });
  await expect(checklist).toContainText(/Last epoch's emission: [\d.]+ α on subnet 1 \(from the stake on your hotkey; mining incentive 0\.00%\)\./, { timeout: 60_000 });
  await expect(page.getByRole('table', { name: 'Emission per subnet' }).getByRole('row').nth(1)).toContainText(/[1-9][\d.]* α/);
  await page.screenshot({ path: testInfo.outputPath('bittensor-rewards-emission.png'), fullPage: true });
  expect(await axe(page)).toEqual([]);
});
