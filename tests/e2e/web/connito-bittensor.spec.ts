import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './fixtures';
import { addBittensorNetwork, chopsticksForThisFile, fundColdkey, registerByBurn } from './bittensor-fixtures';
import { startConnitoReceiver, type ConnitoReceiver } from '../../helpers/connito-receiver';
import { tempDataDir } from '../../helpers/serve-process';
import { trainedCheckpoint } from '../../helpers/trained-checkpoint';

/**
 * Connito on Bittensor through the UI, on the real subtensor runtime (spec 218, chopsticks on
 * loopback): add the network, register the fresh hotkey by burn, describe the Connito competition
 * in Settings, join it, submit a checkpoint (its hash committed with set_commitment on subnet 1,
 * the message sent to a validator written from PROTOCOLS §3 alone: tests/helpers/connito-receiver.ts),
 * then check the exported receipt in the app against the chain.
 */
const bt = chopsticksForThisFile();
let rx: ConnitoReceiver;
let producing: NodeJS.Timeout | undefined;
const file = trainedCheckpoint();
const fileSha = createHash('sha256').update(file).digest('hex');

test.beforeAll(async () => {
  rx = await startConnitoReceiver(bt.chain.url, 1, file, fileSha);
  bt.closeFirst(async () => {
    clearInterval(producing);
    await rx.close();
  });
});

test('a miner describes a Connito competition on a Bittensor network, submits a checkpoint committed on the subnet, and checks its receipt', async ({ app, page }, testInfo) => {
  test.setTimeout(300_000);
  const chain = bt.chain;
  await app.login(page);
  await app.createWallet(page);
  await addBittensorNetwork(page, chain);
  await fundColdkey(page, chain, 5n);
  await registerByBurn(page, 1);

  // The competition: subnet, validator and rounds, with the public signing prefix kept.
  const settings = page.getByRole('form', { name: 'Competitions on this Bittensor network' });
  await expect(settings.getByLabel('Signing prefix of miner actions')).toHaveValue('base-upload-v1');
  await settings.getByLabel('Subnet (netuid)').fill('1');
  await settings.getByLabel('Validator address').fill(rx.url);
  await settings.getByLabel('Blocks per round').fill('24');
  await settings.getByLabel('Commit phase (blocks at the start of each round)').fill('23');
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(settings.getByRole('alert')).toContainText('the commit phase must leave at least two blocks of the round for submissions');
  await settings.getByLabel('Commit phase (blocks at the start of each round)').fill('12');
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(settings.getByRole('status')).toHaveText('Saved: Connito checkpoints on subnet 1 are on the Competitions page.');
  await settings.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('connito-settings-1280x800.png') });

  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Competitions' }).click();
  await page.getByRole('button', { name: 'Join Connito checkpoints (subnet 1)' }).click();
  await expect(page.getByRole('article', { name: 'Connito checkpoints (subnet 1)' }).getByRole('status')).toContainText('Joined with hotkey', { timeout: 60_000 });

  // The chain makes blocks as a live chain would (chopsticks builds one on demand).
  producing = setInterval(() => void chain.newBlocks(1).catch(() => undefined), 400);
  await nav.getByRole('link', { name: 'Checkpoints' }).click();
  const ckpt = join(tempDataDir('minerva-e2e-connito-'), 'model.ckpt');
  writeFileSync(ckpt, file);
  const submit = page.getByRole('form', { name: 'Submit a checkpoint' });
  await submit.getByLabel('Checkpoint file').fill(ckpt);
  await submit.getByLabel('Your own download address (optional)').fill(rx.fileUrl);
  await submit.getByRole('button', { name: 'Hash, commit and submit' }).click();
  await page.getByRole('dialog', { name: 'Publish this checkpoint?' }).getByRole('button', { name: 'Publish' }).click();
  const card = page.getByRole('article', { name: 'model.ckpt' });
  await expect(card.getByRole('heading', { name: 'model.ckpt' })).toBeFocused();
  await expect(card.getByRole('list', { name: 'Steps of model.ckpt' }).getByRole('listitem').nth(1)).toContainText(/Committed at block \d+ \(round \d+\)/, { timeout: 60_000 });
  await expect(card.getByRole('status')).toContainText('Accepted', { timeout: 90_000 });
  clearInterval(producing);
  expect(rx.received.map((r) => r.problems)).toEqual([[]]);
  await page.screenshot({ path: testInfo.outputPath('connito-accepted-1280x800.png') });

  const download = page.waitForEvent('download');
  await card.getByRole('button', { name: 'Export the receipt of model.ckpt' }).click();
  const receiptPath = await (await download).path();
  expect((JSON.parse(readFileSync(receiptPath, 'utf8')) as { chain: { netuid: number } }).chain.netuid).toBe(1);
  const picker = page.waitForEvent('filechooser');
  const checker = page.getByRole('region', { name: 'Check a receipt' });
  await checker.getByRole('button', { name: 'Choose a receipt…' }).click();
  await (await picker).setFiles({ name: 'connito-receipt.json', mimeType: 'application/json', buffer: readFileSync(receiptPath) });
  const result = checker.getByRole('region', { name: 'Receipt check of connito-receipt.json' });
  await expect(result).toContainText('Verified — The receipt checks out against Local subtensor (subnet 1).', { timeout: 30_000 });
  await expect(result.getByRole('listitem').first()).toContainText(`Commitment on the chain: passed — CommitmentOf on subnet 1 holds hash ${fileSha.slice(0, 16)}… committed at block`);
  await page.setViewportSize({ width: 800, height: 600 });
  await result.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('connito-receipt-800x600.png') });
});
