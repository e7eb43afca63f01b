import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDataDir } from '../../helpers/serve-process';
import { trainedCheckpoint } from '../../helpers/trained-checkpoint';
import type { Locator, Page } from '@playwright/test';
import { test, expect, type AppFixture } from './fixtures';

/** A fresh miner: logged in, wallet created, joined to the practice checkpoint competition. */
async function joinCheckpointCompetition(app: AppFixture, page: Page) {
  await app.login(page);
  await app.createWallet(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Competitions' }).click();
  await page.getByRole('button', { name: 'Join Checkpoint training (practice)' }).click();
  await expect(page.getByRole('article', { name: 'Checkpoint training (practice)' }).getByRole('status')).toContainText('Joined with hotkey', { timeout: 30_000 });
  return nav;
}

test('a miner submits a checkpoint: hashed, committed, published, submitted, judged, paid, with a receipt', async ({ app, page }, testInfo) => {
  const nav = await joinCheckpointCompetition(app, page);

  await nav.getByRole('link', { name: 'Checkpoints' }).click();
  await expect(page.getByRole('list', { name: 'Rounds' })).toContainText(/round \d+: (commit|submission) phase ends in \d+ blocks/);

  // Outside the data folder: Minerva never publishes files from inside it (publishable.ts).
  const file = join(tempDataDir('minerva-e2e-files-'), 'my-model.ckpt');
  writeFileSync(file, trainedCheckpoint());
  const form = page.getByRole('form', { name: 'Submit a checkpoint' });
  await form.getByLabel('Checkpoint file').fill(file);
  await form.getByRole('button', { name: 'Hash, commit and submit' }).click();

  // The first publish to this network asks first, showing exactly what goes public; focus moves
  // into the dialog and Escape cancels: nothing is submitted.
  const dialog = page.getByRole('dialog', { name: 'Publish this checkpoint?' });
  await expect(dialog).toBeVisible();
  const facts = dialog.getByRole('definition');
  await expect(facts.nth(0)).toHaveText('my-model.ckpt');
  await expect(facts.nth(1)).toContainText(`${readFileSync(file).length.toLocaleString('en')} bytes`);
  await expect(facts.nth(2)).toHaveText(createHash('sha256').update(readFileSync(file)).digest('hex'));
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.screenshot({ path: testInfo.outputPath('publish-confirm.png') });
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Nothing was published.')).toBeVisible();
  await expect(page.getByRole('article', { name: 'my-model.ckpt' })).toHaveCount(0);
  await expect(form.getByLabel('Checkpoint file')).toHaveValue(file);

  await form.getByRole('button', { name: 'Hash, commit and submit' }).click();
  await dialog.getByRole('button', { name: 'Publish' }).click();
  await expect(dialog).toBeHidden();

  // The progress is brought into view (it starts below the form, out of sight) and its heading
  // takes the focus; its steps are announced in a polite live region.
  const card = page.getByRole('article', { name: 'my-model.ckpt' });
  await expect(card.getByRole('heading', { name: 'my-model.ckpt' })).toBeFocused();
  await expect(card.getByRole('list', { name: 'Steps of my-model.ckpt' })).toBeInViewport();
  await expect(page.getByRole('status', { name: 'Submission progress' })).toContainText(/my-model\.ckpt: (Hash|Commit|Publish|Submit|Wait)/);
  await page.screenshot({ path: testInfo.outputPath('progress-in-view-1280x800.png') });
  const steps = card.getByRole('list', { name: 'Steps of my-model.ckpt' });
  await expect(steps.getByRole('listitem').nth(0)).toContainText('sha256', { timeout: 30_000 });
  await expect(steps.getByRole('listitem').nth(1)).toContainText(/Committed at block \d+ \(round \d+\)/, { timeout: 30_000 });
  await expect(steps.getByRole('listitem').nth(2)).toContainText('re-hashed: matches the commitment', { timeout: 30_000 });
  // The validator downloads, checks the commitment and measures the held-out loss.
  await expect(card.getByRole('status')).toContainText(/Accepted: held-out loss \d+\.\d+, score/, { timeout: 60_000 });
  await expect(card.getByText('Accepted', { exact: true })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('checkpoints.png'), fullPage: true });

  const download = page.waitForEvent('download');
  await card.getByRole('button', { name: 'Export the receipt of my-model.ckpt' }).click();
  const receipt = JSON.parse(readFileSync(await (await download).path(), 'utf8')) as { format: string; file: { sha256: string; name: string }; commit: { tx_id: string; block: number } };
  expect(receipt.format).toBe('minerva-checkpoint-receipt');
  expect(receipt.file.name).toBe('my-model.ckpt');
  expect(receipt.file.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(receipt.commit.tx_id).toMatch(/^0x[0-9a-f]{64}$/);

  // Check the receipt in the app, as a person would: drop the file on "Check a receipt".
  const checker = page.getByRole('region', { name: 'Check a receipt' });
  const receiptText = readFileSync(await (await download).path(), 'utf8');
  await dropFile(page, checker.locator('.drop-zone'), 'my-receipt.json', receiptText);
  const result = checker.getByRole('region', { name: 'Receipt check of my-receipt.json' });
  await expect(result).toContainText('Verified — The receipt checks out against the practice network.', { timeout: 30_000 });
  const checks = result.getByRole('list', { name: 'Receipt checks' }).getByRole('listitem');
  await expect(checks).toHaveText([/^Commitment on the chain: passed — the chain holds hash [0-9a-f]{16}… from transaction/, /^Signature: passed — signed by 5\w+ \(ed25519, key from the chain\)/, /^Timing: passed — block \d+ is in the submission phase of round \d+/, /^Published file: passed/]);
  await result.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('receipt-verified-1280x800.png') });

  // A tampered receipt (another file's hash), chosen with the file picker: not verified, and why.
  const tampered = JSON.parse(receiptText) as { file: { sha256: string } };
  tampered.file.sha256 = createHash('sha256').update('another file').digest('hex');
  const picker = page.waitForEvent('filechooser');
  await checker.getByRole('button', { name: 'Choose a receipt…' }).click();
  await (await picker).setFiles({ name: 'tampered.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tampered)) });
  const bad = checker.getByRole('region', { name: 'Receipt check of tampered.json' });
  await expect(bad).toContainText('Not verified — The receipt does NOT check out against the practice network: commitment on the chain failed.', { timeout: 30_000 });
  await expect(bad.getByRole('listitem').first()).toContainText(/Commitment on the chain: failed — the chain holds hash [0-9a-f]{16}… for round \d+, not the receipt's/);
  await page.setViewportSize({ width: 800, height: 600 });
  await bad.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('receipt-not-verified-800x600.png') });

  // Not a receipt at all: said in words, nothing checked.
  await dropFile(page, checker.locator('.drop-zone'), 'notes.txt', 'hello');
  await expect(checker.getByRole('alert')).toHaveText(/notes\.txt: This file is not a receipt \(it is not JSON\)\. Export the receipt from the Checkpoints page/);
  await page.setViewportSize({ width: 1280, height: 800 });

  // The chain pays the round's reward to the coldkey: the Rewards page shows it.
  await nav.getByRole('link', { name: 'Rewards' }).click();
  // Every joined competition has its row at once; the payment comes when the epoch ends (the page says when).
  await expect(page.getByRole('table')).toContainText('Checkpoint training (practice)', { timeout: 60_000 });
  await expect(page.locator('.big-number')).not.toHaveText(/^0 /, { timeout: 60_000 });
  await expect(page.getByRole('list', { name: 'Earning checklist' })).toContainText(/Last job or submission: yes.*my-model\.ckpt: Accepted/);
});

/** Drops a file on an element the way a browser does (a drop event carrying the file). */
async function dropFile(page: Page, target: Locator, name: string, text: string): Promise<void> {
  const transfer = await page.evaluateHandle(({ name, text }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: 'application/json' }));
    return dt;
  }, { name, text });
  await target.dispatchEvent('dragover', { dataTransfer: transfer });
  await target.dispatchEvent('drop', { dataTransfer: transfer });
}

test('a checkpoint submitted on a small window stays in view while it runs', async ({ app, page }, testInfo) => {
  await page.setViewportSize({ width: 800, height: 600 });
  const nav = await joinCheckpointCompetition(app, page);
  await nav.getByRole('link', { name: 'Checkpoints' }).click();
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose a file…' }).click();
  await (await chooser).setFiles({ name: 'small-window.ckpt', mimeType: 'application/octet-stream', buffer: trainedCheckpoint() });
  await page.getByRole('dialog', { name: 'Publish this checkpoint?' }).getByRole('button', { name: 'Publish' }).click();
  const card = page.getByRole('article', { name: 'small-window.ckpt' });
  await expect(card.getByRole('heading', { name: 'small-window.ckpt' })).toBeFocused();
  await expect(card.getByRole('heading', { name: 'small-window.ckpt' })).toBeInViewport();
  await expect(card.getByRole('list', { name: 'Steps of small-window.ckpt' }).getByRole('listitem').nth(1)).toContainText(/Committed at block \d+/, { timeout: 30_000 });
  await page.screenshot({ path: testInfo.outputPath('progress-in-view-800x600.png') });
});

test('a checkpoint dropped in the browser is uploaded with progress and submitted', async ({ app, page }) => {
  const nav = await joinCheckpointCompetition(app, page);
  await nav.getByRole('link', { name: 'Checkpoints' }).click();

  // "Choose a file…" opens the file picker; the picked file is streamed to minerva serve.
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose a file…' }).click();
  await (await chooser).setFiles({ name: 'from-browser.ckpt', mimeType: 'application/octet-stream', buffer: trainedCheckpoint() });
  // Uploaded first, then asked (the first publish to this network), then submitted.
  const dialog = page.getByRole('dialog', { name: 'Publish this checkpoint?' });
  await expect(dialog.getByRole('definition').nth(0)).toHaveText('from-browser.ckpt', { timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Publish' }).click();
  const card = page.getByRole('article', { name: 'from-browser.ckpt' });
  await expect(card.getByRole('list', { name: 'Steps of from-browser.ckpt' }).getByRole('listitem').nth(1)).toContainText(/Committed at block \d+/, { timeout: 30_000 });
  // Once judged, the uploaded copy is removed from the data folder (the receipt keeps its hash).
  await expect(card.getByRole('status')).toContainText(/Accepted: held-out loss/, { timeout: 90_000 });
  await expect.poll(() => readdirSync(join(app.dataDir, 'uploads')).length).toBe(0);
});

test('a miner trains a checkpoint with the demo trainer container and submits it', async ({ app, page }) => {
  test.setTimeout(240_000);
  const nav = await joinCheckpointCompetition(app, page);
  await nav.getByRole('link', { name: 'Checkpoints' }).click();

  // The demo trainer's checkpoint is Minerva's own, made from public demo data: nothing to confirm.
  await page.getByRole('button', { name: 'Train with the demo trainer' }).click();
  // Progress shows while the image builds and the model trains (briefly: it is a small model).
  await expect(page.getByRole('form', { name: 'Submit a checkpoint' }).getByRole('status')).toContainText(/trainer|Training/);
  const card = page.getByRole('article', { name: /^demo-trainer-step00300-/ });
  await expect(card.getByRole('status')).toContainText(/Accepted: held-out loss \d+\.\d+/, { timeout: 90_000 });
});
