import { fileURLToPath } from 'node:url';
import type { Locator, Page } from '@playwright/test';
import { axeFindings } from './axe';
import { test, expect } from './fixtures';

/**
 * Gateway mode end to end (issue 15): a real `minerva serve` with the practice network, the real
 * ts-predictor container, in Chromium. The miner switches the runner to gateway mode on the Runner
 * page: a failing TEE check is refused in words, the sample quote that passes allows it, a
 * standing warning stays, the chain tells the practice coordinator, whose gateway client (signed
 * x-gateway-auth-* calls, no client certificate) gets its rounds scored; then back to mutual TLS.
 */
const TITLE = 'Time-series model runner (practice)';
const tdx = (name: string) => fileURLToPath(new URL(`../../fixtures/tdx/${name}`, import.meta.url));

async function figure(panel: Locator, label: string): Promise<number> {
  const text = await panel.locator('.runner-figure').filter({ has: panel.page().getByText(label, { exact: true }) }).locator('.runner-figure-value').innerText();
  return Number(text);
}

async function scoredCount(page: Page): Promise<number> {
  const text = await page.getByRole('region', { name: 'Predictions and scores' }).getByText(/prediction(s)?, \d+ scored/).innerText();
  return Number(/(\d+) scored/.exec(text)?.[1] ?? '0');
}

test('the miner switches the runner to gateway mode after a passed TEE check; the coordinator’s signed rounds are scored', async ({ app, page }, testInfo) => {
  test.setTimeout(360_000);
  await app.login(page);
  await app.createWallet(page);
  await app.join(page, TITLE);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Model runner' }).click();
  const runner = page.getByRole('region', { name: /^Time-series model runner \(practice\)/ });
  await expect(runner.getByRole('heading', { level: 2 })).toContainText('Serving', { timeout: 120_000 });
  const calls = runner.getByRole('region', { name: 'Coordinator calls' });
  await expect.poll(() => figure(calls, 'Accepted'), { timeout: 120_000 }).toBeGreaterThan(2);

  const mode = runner.getByRole('region', { name: 'Connection mode' });
  await expect(mode.locator('label').filter({ hasText: 'in use' })).toContainText('Mutual TLS');
  await mode.getByRole('radio', { name: /^Gateway/ }).check();
  // Without a quote, the form says what to do.
  await mode.getByRole('button', { name: 'Check and use gateway mode' }).click();
  await expect(mode.getByRole('alert')).toContainText('Choose the TDX quote of this computer');
  // A quote that fails the TEE check: refused in words, still mutual TLS.
  await mode.getByLabel('TDX quote of this computer').setInputFiles(tdx('tdx_quote_outdated'));
  await mode.getByLabel('Collateral JSON (optional)').setInputFiles(tdx('tdx_quote_outdated_collateral.json'));
  await mode.getByLabel('Check as of (optional)').fill('2026-03-01T12:00:00');
  await mode.getByRole('button', { name: 'Check and use gateway mode' }).click();
  await expect(mode.getByRole('alert')).toContainText(/Gateway mode needs a passed TEE check; this one failed \((quote|tcb_status)/, { timeout: 30_000 });
  expect(await axeFindings(page)).toEqual([]);
  await expect(mode.locator('label').filter({ hasText: 'in use' })).toContainText('Mutual TLS');

  // The sample quote inside its collateral's validity passes.
  await mode.getByLabel('TDX quote of this computer').setInputFiles(tdx('tdx_quote'));
  await mode.getByLabel('Collateral JSON (optional)').setInputFiles(tdx('tdx_quote_collateral.json'));
  await mode.getByLabel('Check as of (optional)').fill('2025-07-01T12:00:00');
  await mode.getByRole('button', { name: 'Check and use gateway mode' }).click();
  await expect(mode.locator('label').filter({ hasText: 'in use' })).toContainText('Gateway', { timeout: 60_000 });
  const warning = mode.getByRole('note', { name: 'Gateway mode warning' });
  await expect(warning).toContainText('no client certificate');
  await expect(mode.getByText(/TEE check passed .* TCB UpToDate/)).toBeVisible();
  await expect(mode.getByRole('list', { name: 'Attestation checks' })).toContainText('(quote): passed');
  await expect(runner.getByRole('list', { name: 'Enrolment steps' }).getByRole('listitem').nth(4)).toContainText('gateway mode', { timeout: 60_000 });

  // The coordinator reads the mode from the chain and signs its calls: new rounds are accepted and scored.
  const accepted = await figure(calls, 'Accepted');
  const scored = await scoredCount(page);
  await expect.poll(() => figure(calls, 'Accepted'), { timeout: 90_000 }).toBeGreaterThan(accepted + 6);
  await expect.poll(() => scoredCount(page), { timeout: 90_000 }).toBeGreaterThan(scored);
  expect(await figure(calls, 'Refused')).toBe(0);
  await mode.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('runner-gateway.png'), fullPage: true });
  expect(await axeFindings(page)).toEqual([]);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: testInfo.outputPath('runner-gateway-dark.png'), fullPage: true });
  expect(await axeFindings(page)).toEqual([]);
  await page.emulateMedia({ colorScheme: 'light' });

  // The warning stands after a reload.
  await page.reload();
  await expect(page.getByRole('note', { name: 'Gateway mode warning' })).toBeVisible({ timeout: 30_000 });

  // Back to mutual TLS: no TEE check needed, the warning goes, rounds go on.
  const modeAgain = page.getByRole('region', { name: 'Connection mode' });
  await modeAgain.getByRole('radio', { name: /^Mutual TLS/ }).check();
  await modeAgain.getByRole('button', { name: 'Use this mode' }).click();
  await expect(modeAgain.locator('label').filter({ hasText: 'in use' })).toContainText('Mutual TLS', { timeout: 60_000 });
  await expect(page.getByRole('note', { name: 'Gateway mode warning' })).toHaveCount(0);
  const callsAgain = page.getByRole('region', { name: 'Coordinator calls' });
  const acceptedBack = await figure(callsAgain, 'Accepted');
  await expect.poll(() => figure(callsAgain, 'Accepted'), { timeout: 90_000 }).toBeGreaterThan(acceptedBack);
});
