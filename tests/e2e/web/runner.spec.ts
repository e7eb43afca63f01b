import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { connectRpc } from '../../helpers/ws-rpc';

/**
 * The model runner end to end (issue 9): a real `minerva serve` with the practice network, its
 * coordinator and certificate service, the real ts-predictor container, in Debian's Chromium.
 */
const TITLE = 'Time-series model runner (practice)';
const tdx = (name: string) => fileURLToPath(new URL(`../../fixtures/tdx/${name}`, import.meta.url));

/** The number shown under a figure's label ("Accepted" → 12). */
async function figure(panel: Locator, label: string): Promise<number> {
  const text = await panel.locator('.runner-figure').filter({ has: panel.page().getByText(label, { exact: true }) }).locator('.runner-figure-value').innerText();
  return Number(text);
}

const runner = (page: Page) => page.getByRole('region', { name: new RegExp(`^${TITLE.replace(/[()]/g, '\\$&')}`) });

async function openRunner(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Model runner' }).click();
  return runner(page);
}

test('with no model-runner competition joined, the Runner page says what to do', async ({ app, page }) => {
  await app.login(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Model runner' }).click();
  await expect(page.getByText('Join a model-runner competition to start a runner')).toBeVisible();
  await page.getByRole('link', { name: 'Browse competitions' }).click();
  await expect(page.getByRole('heading', { name: 'Competitions', level: 1 })).toBeVisible();
});

test('a miner joins the model-runner competition: the runner enrols, the coordinator calls it, predictions are scored; policy, hotkey, TEE runners', async ({ app, page }, testInfo) => {
  test.setTimeout(360_000);
  await app.login(page);
  await app.createWallet(page);
  await app.join(page, TITLE);

  const runner = await openRunner(page);
  // Before the first call, the page says that a round reaching a runner not yet listening scores 0.
  const roundsNote = runner.getByRole('region', { name: 'Predictions and scores' }).getByRole('note', { name: 'Rounds before the runner listens' });
  await expect(roundsNote).toContainText(/score(s|d) 0 for model/);
  // Enrolment: the five steps done, serving on loopback.
  const steps = runner.getByRole('list', { name: 'Enrolment steps' }).getByRole('listitem');
  await expect(steps).toHaveCount(5, { timeout: 60_000 });
  for (let i = 0; i < 5; i += 1) await expect(steps.nth(i)).toContainText(': done', { timeout: 90_000 });
  await expect(runner.getByRole('heading', { level: 2 })).toContainText('Serving');
  await expect(runner.getByLabel('Listening at')).toHaveText(/^127\.0\.0\.1:\d+$/);
  await expect(runner.getByText('Only programs on this computer can reach it')).toBeVisible();
  const cert = runner.getByRole('definition').filter({ hasText: /^model-node-/ });
  await expect(cert).toHaveText(/^model-node-[a-z0-9-]+\.practice\.local$/);

  // On the practice network the address cannot leave loopback.
  await runner.getByRole('button', { name: 'Change…' }).click();
  const listenForm = runner.getByRole('form', { name: 'Change the listening address' });
  await expect(listenForm.getByText('On the practice network the runner stays on 127.0.0.1')).toBeVisible();
  await expect(listenForm.getByLabel('Host')).toBeDisabled();
  await expect(listenForm.getByRole('button', { name: 'Listen here' })).toBeDisabled();
  await listenForm.getByRole('button', { name: 'Close' }).click();
  await expect(listenForm).toHaveCount(0);

  // The practice coordinator connects and runs rounds through the ts-predictor container.
  const calls = runner.getByRole('region', { name: 'Coordinator calls' });
  await expect.poll(() => figure(calls, 'Accepted'), { timeout: 120_000 }).toBeGreaterThan(2);
  await expect(roundsNote).toHaveCount(0);
  await expect(calls.getByRole('table')).toContainText(/Call:predict/);
  await expect(calls.getByRole('table')).toContainText('Accepted');
  await expect(calls.locator('.runner-figure').filter({ hasText: 'Latency p50' })).toContainText(/\d+(\.\d)? ms/);
  const predictions = runner.getByRole('region', { name: 'Predictions and scores' });
  await expect(predictions.getByRole('table', { name: 'Latest predictions' })).toBeVisible({ timeout: 120_000 });
  await expect(predictions.getByText(/— mean score -?\d+\.\d{3}/)).toBeVisible({ timeout: 120_000 });
  await expect(predictions.getByRole('img')).toBeVisible();

  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: testInfo.outputPath('runner-light.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: testInfo.outputPath('runner-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // Policy: pinned certificate; the coordinator's calls keep being accepted.
  const policy = runner.getByRole('region', { name: 'Coordinator authentication' });
  // Selecting is not applying (arrow keys move through a radio group): the button applies.
  await policy.getByRole('radio', { name: /^Signed calls/ }).check();
  await policy.getByRole('radio', { name: /^Pinned certificate/ }).check();
  await expect(policy.getByText('in use')).toHaveCount(1);
  await expect(policy.locator('label').filter({ hasText: 'in use' })).toContainText('Either');
  await policy.getByRole('button', { name: 'Use this policy' }).click();
  await expect(policy.locator('label').filter({ hasText: 'in use' })).toContainText('Pinned certificate');
  await expect(policy.getByRole('button', { name: 'Use this policy' })).toBeDisabled();
  const acceptedBefore = await figure(calls, 'Accepted');
  await expect.poll(() => figure(calls, 'Accepted'), { timeout: 60_000 }).toBeGreaterThan(acceptedBefore);
  await page.reload();
  await expect(policy.getByRole('radio', { name: /^Pinned certificate/ })).toBeChecked();

  // Hotkey rotation, confirmed in a dialog that says what happens to old bindings.
  const identity = runner.getByRole('region', { name: 'Runner identity' });
  const indexBefore = Number((await identity.getByText(/^index \d+$/).innerText()).replace('index ', ''));
  await identity.getByRole('button', { name: 'Rotate SMP hotkey' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate the SMP hotkey?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('will refuse');
  await page.screenshot({ path: testInfo.outputPath('runner-rotate-dialog.png') });
  await dialog.getByRole('button', { name: 'Rotate now' }).click();
  await expect(identity.getByText(`index ${indexBefore + 1}`, { exact: true })).toBeVisible({ timeout: 60_000 });
  // The coordinator reads the new hotkey and calls keep being accepted.
  const acceptedAfterRotation = await figure(calls, 'Accepted');
  await expect.poll(() => figure(calls, 'Accepted'), { timeout: 90_000 }).toBeGreaterThan(acceptedAfterRotation);

  // Renewing the certificate now: a new certificate (another fingerprint), same name, and the coordinator keeps calling.
  const certificate = runner.getByRole('region', { name: 'Certificate' });
  const hashBefore = await certificate.getByRole('definition').nth(3).innerText();
  expect(hashBefore).toMatch(/^[0-9a-f]{64}$/);
  await certificate.getByRole('button', { name: 'Renew now' }).click();
  await expect(page.getByText('The certificate was renewed.')).toBeVisible({ timeout: 60_000 });
  await expect(certificate.getByRole('definition').nth(3)).not.toHaveText(hashBefore);
  await expect(certificate.getByRole('definition').nth(3)).toHaveText(/^[0-9a-f]{64}$/);
  for (let i = 0; i < 5; i += 1) await expect(steps.nth(i)).toContainText(': done', { timeout: 30_000 });
  await expect(certificate.getByRole('definition').nth(0)).toHaveText(/^model-node-[a-z0-9-]+\.practice\.local$/);
  const acceptedAfterRenewal = await figure(calls, 'Accepted');
  await expect.poll(() => figure(calls, 'Accepted'), { timeout: 90_000 }).toBeGreaterThan(acceptedAfterRenewal);

  // A TEE-hosted runner with the sample quote: every check shown by name.
  const tee = page.getByRole('region', { name: 'TEE-hosted runners' });
  await tee.getByRole('button', { name: 'Add a TEE-hosted runner' }).click();
  const form = tee.getByRole('form', { name: 'Add a TEE-hosted runner' });
  await form.getByLabel('Runner address').fill('tee-runner.example.org:50051');
  await form.getByLabel('Quote file').setInputFiles(tdx('tdx_quote'));
  await form.getByText('Collateral, check time and measurement allowlist (optional)').click();
  await form.getByLabel('Collateral JSON').setInputFiles(tdx('tdx_quote_collateral.json'));
  await form.getByLabel('Check as of').fill('2025-07-01T12:00:00');
  await form.getByRole('button', { name: 'Check and register' }).click();
  const result = form.getByRole('status');
  await expect(result).toContainText('Every check passed', { timeout: 30_000 });
  const checks = result.getByRole('list', { name: 'Attestation checks' });
  await expect(checks).toContainText('(collateral): passed');
  await expect(checks).toContainText('(quote): passed');
  await expect(checks).toContainText('(tcb_status): passed — TCB status UpToDate');
  await expect(checks).toContainText('(mr_td): not configured');
  await expect(tee.getByRole('list', { name: 'TEE-hosted runners' }).getByRole('listitem', { name: 'Runner at tee-runner.example.org:50051' })).toContainText('registered');
  // The chain now sends coordinators there; the local runner says so instead of claiming to serve.
  await expect(runner.getByRole('status').filter({ hasText: 'Standing by' })).toContainText('tee-runner.example.org:50051');

  // The outdated sample fails the default policy and is not registered.
  await form.getByLabel('Runner address').fill('outdated.example.org:50051');
  await form.getByLabel('Quote file').setInputFiles(tdx('tdx_quote_outdated'));
  await form.getByLabel('Collateral JSON').setInputFiles(tdx('tdx_quote_outdated_collateral.json'));
  await form.getByLabel('Check as of').fill('2026-03-01T12:00:00');
  await form.getByRole('button', { name: 'Check and register' }).click();
  await expect(result).toContainText('Not registered:', { timeout: 30_000 });
  await expect(result.getByRole('list', { name: 'Attestation checks' })).toContainText(/\((quote|tcb_status)\): failed/);
  await expect(tee.getByRole('listitem', { name: 'Runner at outdated.example.org:50051' })).toContainText('refused');

  // A binding the quote does not carry fails the reportData check by name.
  await form.getByLabel('Runner address').fill('bound.example.org:50051');
  await form.getByLabel('Quote file').setInputFiles(tdx('tdx_quote'));
  await form.getByLabel('Collateral JSON').setInputFiles(tdx('tdx_quote_collateral.json'));
  await form.getByLabel('Check as of').fill('2025-07-01T12:00:00');
  await form.getByLabel('Expected reportData').fill('ab'.repeat(64));
  await form.getByRole('button', { name: 'Check and register' }).click();
  await expect(result.getByRole('list', { name: 'Attestation checks' })).toContainText('(report_data): failed', { timeout: 30_000 });
  await expect(tee.getByRole('listitem', { name: 'Runner at bound.example.org:50051' })).toContainText('refused');
  await tee.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('runner-tee.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: testInfo.outputPath('runner-tee-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // Locked wallet: a standing banner that unlocks in place.
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await page.getByRole('dialog', { name: 'Lock the wallet' }).getByRole('button', { name: 'Lock everything (stop mining)' }).click();
  const banner = page.locator('.runner-banner-warn');
  await expect(banner).toContainText('wallet is locked');
  await banner.getByRole('button', { name: 'Unlock your wallet' }).click();
  await banner.getByLabel('Wallet password').fill('orbit lantern walnut cascade');
  await banner.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(banner).toHaveCount(0, { timeout: 30_000 });

  // The Dashboard glances at it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByRole('list', { name: 'Your runners' })).toContainText(`${TITLE}: serving`);

  // Leaving (here from another client) stops the runner: the open Runner page drops it on the runner's last event, without asking again.
  const serving = await openRunner(page);
  await expect(serving.getByRole('heading', { level: 2 })).toContainText('Serving');
  const other = await connectRpc(app.serve.loginUrl);
  await other.call('competitions.leave', { id: 'practice-runner' });
  other.close();
  await expect(page.getByText('Join a model-runner competition to start a runner')).toBeVisible({ timeout: 60_000 });
});

test('a TEE-hosted runner whose quote had one byte changed is refused at the quote check; after a restart the runner waits for the wallet', async ({ app, page }, testInfo) => {
  test.setTimeout(240_000);
  await app.login(page);
  await app.createWallet(page);
  await app.join(page, TITLE);
  await openRunner(page);
  const tee = page.getByRole('region', { name: 'TEE-hosted runners' });
  await tee.getByRole('button', { name: 'Add a TEE-hosted runner' }).click();
  const form = tee.getByRole('form', { name: 'Add a TEE-hosted runner' });
  const bytes = readFileSync(tdx('tdx_quote'));
  bytes[700] = bytes[700]! ^ 0x01;
  await form.getByLabel('Runner address').fill('tampered.example.org:50051');
  await form.getByLabel('…or the quote as base64').fill(bytes.toString('base64'));
  await form.getByText('Collateral, check time and measurement allowlist (optional)').click();
  await form.getByLabel('Collateral JSON').setInputFiles(tdx('tdx_quote_collateral.json'));
  await form.getByLabel('Check as of').fill('2025-07-01T12:00:00');
  await form.getByRole('button', { name: 'Check and register' }).click();
  const result = form.getByRole('status');
  await expect(result).toContainText('Not registered: Quote signature and certificate chain failed.', { timeout: 30_000 });
  await expect(result.getByRole('list', { name: 'Attestation checks' })).toContainText('(tcb_status): not reached');
  const tampered = tee.getByRole('listitem', { name: 'Runner at tampered.example.org:50051' });
  await expect(tampered).toContainText('refused');

  // After a restart the wallet is locked: the runner waits for it, with a banner that unlocks in place.
  await expect(runner(page).getByRole('heading', { level: 2 })).toContainText('Serving', { timeout: 60_000 });
  await app.restart();
  await app.login(page);
  await openRunner(page);
  const banner = page.locator('.runner-banner-warn');
  await expect(banner).toContainText('wallet is locked', { timeout: 60_000 });
  await expect(tampered).toContainText('refused');
  await page.screenshot({ path: testInfo.outputPath('runner-locked.png'), fullPage: true });
  await banner.getByRole('button', { name: 'Unlock your wallet' }).click();
  await banner.getByLabel('Wallet password').fill('orbit lantern walnut cascade');
  await banner.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(banner).toHaveCount(0, { timeout: 30_000 });
  await expect(runner(page).getByRole('heading', { level: 2 })).toContainText('Serving', { timeout: 90_000 });
  const calls = runner(page).getByRole('region', { name: 'Coordinator calls' });
  const acceptedAtUnlock = await figure(calls, 'Accepted');
  await expect.poll(() => figure(calls, 'Accepted'), { timeout: 90_000 }).toBeGreaterThan(acceptedAtUnlock);
});
