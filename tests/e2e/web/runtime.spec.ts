import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/serve-process';
import { test, expect } from './fixtures';

const TDX = join(REPO_ROOT, 'tests', 'fixtures', 'tdx');

test('the Runtime page shows the engine, a running demo container with its isolation report, and TEE check results', async ({ app, page }, testInfo) => {
  test.skip(process.env.MINERVA_SKIP_DOCKER === '1', 'MINERVA_SKIP_DOCKER=1: no Docker Engine for the runtime page');
  await app.login(page);
  await page.getByRole('link', { name: 'Runtime' }).click();

  const engine = page.getByRole('region', { name: 'Docker engine' });
  await expect(engine.getByRole('status')).toHaveText('Engine running');
  await expect(engine).toContainText('Only pinned images');

  await page.getByRole('button', { name: 'Start text-ngram' }).click();
  const containers = page.getByRole('table', { name: 'Model containers' });
  await expect(containers).toContainText('job demo:text-ngram', { timeout: 60_000 });
  await expect(containers).toContainText('ready');
  await page.getByRole('button', { name: /^Details of / }).first().click();

  await page.getByRole('region', { name: 'Docker engine' }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('runtime-top.png') });
  const isolation = page.getByRole('region', { name: /^Isolation of / });
  await expect(isolation.getByRole('status')).toHaveText('Locked down');
  await expect(isolation).toContainText('none (no network at all)');
  await expect(isolation).toContainText('read-only');
  await expect(isolation).toContainText('all dropped, no-new-privileges');
  await expect(isolation).toContainText('off (model output never written to disk)');
  await expect(page.getByRole('table', { name: 'Model images' })).toContainText('minerva-model/text-ngram:1.0.0@sha256:');

  // Pulling needs a pinned reference: a tag alone is refused with the reason, before any download.
  await page.getByRole('button', { name: 'Pull an image' }).click();
  const pull = page.getByRole('form', { name: 'Pull an image' });
  await pull.getByLabel('Pinned reference').fill('example.org/someone/model:latest');
  await pull.getByRole('button', { name: 'Pull' }).click();
  await expect(page.getByText(/has no digest/).first()).toBeVisible();
  await pull.getByRole('button', { name: 'Cancel' }).click();

  // TEE: the public sample quote passes as of a time inside its collateral; a wrong mrTd pin is refused by name.
  const check = async (runner: string, mrTd?: string) => {
    await page.getByRole('button', { name: 'Check an attestation' }).click();
    const form = page.getByRole('form', { name: 'Check an attestation' });
    await form.getByLabel('Runner').fill(runner);
    await form.getByLabel('Quote file').setInputFiles(join(TDX, 'tdx_quote'));
    await form.getByLabel('Collateral file (optional)').setInputFiles(join(TDX, 'tdx_quote_collateral.json'));
    await form.getByLabel('Check as of (UTC, optional)').fill('2025-07-01T00:00');
    if (mrTd) await form.getByLabel('Allowed mrTd (hex, optional)').fill(mrTd);
    await form.getByRole('button', { name: 'Check' }).click();
    await expect(form).toHaveCount(0);
  };
  await check('sample-runner');
  await check('pinned-elsewhere', '11'.repeat(48));
  const results = page.getByRole('list', { name: 'TEE check results' });
  const good = results.getByRole('listitem', { name: 'Runner sample-runner' });
  await expect(good).toContainText('trusted');
  await expect(good).toContainText('quote: passed');
  await expect(good).toContainText('tcb_status: passed');
  const bad = results.getByRole('listitem', { name: 'Runner pinned-elsewhere' });
  await expect(bad).toContainText('refused');
  await expect(bad).toContainText('mr_td: failed');
  await page.screenshot({ path: testInfo.outputPath('runtime.png'), fullPage: true });

  await page.getByRole('button', { name: 'Stop demo:text-ngram' }).click();
  await expect(page.getByRole('region', { name: 'Containers' })).toContainText('No model containers');
});
