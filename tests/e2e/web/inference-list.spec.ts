import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';
import { startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { test, expect } from './fixtures';

/**
 * The Jobs page with 10,000 jobs: rows written straight into the app's SQLite (the table of
 * migration 50) before `minerva serve` starts, so the list is exactly known. The list is windowed:
 * the DOM holds only the rows in view, yet every job is reachable by scrolling and by keyboard.
 */
const N = 10_000;
const STEP_MS = { key: 4, decrypt: 1, run: 180, encrypt: 1, upload: 7, report: 3 };

interface Seeded {
  failed: number;
  other: number;
}

function seed(dataDir: string): Seeded {
  const db = new Database(join(dataDir, 'minerva.db'));
  const insert = db.prepare(
    `INSERT INTO inference_jobs (network_id, competition_id, router_url, job_id, session_id, task_id, input_urn, result_urn, key_version, scope_type, state, router_done,
       key_ms, decrypt_ms, run_ms, encrypt_ms, upload_ms, report_ms, total_ms, input_bytes, output_bytes, error_code, error_message, attempts,
       received_at, received_ms, updated_at, finished_ms, deadline, lease_expires_at)
     VALUES (@network, @competition, 'http://127.0.0.1:9', @jobId, @session, @task, @inputUrn, @resultUrn, 'v1', 'session', @state, 1,
       @key, @decrypt, @run, @encrypt, @upload, @report, @total, 412, @outputBytes, @errorCode, @errorMessage, 1,
       @at, @ms, @at, @ms, @deadline, @deadline)`,
  );
  const start = Date.now() - N * 1000;
  let failed = 0;
  let other = 0;
  db.transaction(() => {
    for (let i = 1; i <= N; i += 1) {
      const ms = start + i * 1000;
      const isFailed = i % 50 === 0;
      const isOther = i % 7 === 0;
      if (isFailed && !isOther) failed += 1;
      if (isOther) other += 1;
      const hex = i.toString(16).padStart(8, '0');
      insert.run({
        network: 'practice',
        competition: isOther ? 'elsewhere-inference' : 'practice-inference',
        jobId: `${hex}-5eed-4000-8000-000000000000`,
        session: isOther ? 202 : 101,
        task: i,
        inputUrn: `urn:minerva:seed:${i}`,
        resultUrn: isFailed ? null : `urn:minerva:seed:r${i}`,
        state: isFailed ? 'failed' : 'reported',
        ...(isFailed
          ? { key: 4, decrypt: null, run: null, encrypt: null, upload: null, report: null, errorCode: 'MODEL_FAILED', errorMessage: 'exit 1', outputBytes: null }
          : { ...STEP_MS, errorCode: null, errorMessage: null, outputBytes: 530 }),
        total: 200,
        at: new Date(ms).toISOString(),
        ms,
        deadline: new Date(ms + 60_000).toISOString(),
      });
    }
  })();
  db.close();
  return { failed, other };
}

let serve: ServeHandle | undefined;
test.afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

async function openJobs(page: Page, handle: ServeHandle) {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(handle.loginUrl);
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
}

test('10,000 jobs: a window of rows in the DOM, every job reachable by scrolling and by keyboard, filters with counts', async ({ page }, testInfo) => {
  // The database and its tables exist once the app has started on the data dir.
  const dataDir = tempDataDir('minerva-e2e-jobs-');
  serve = await startServe({ dataDir, args: ['--block-ms', '300'] });
  await serve.stop();
  const seeded = seed(dataDir);
  serve = await startServe({ dataDir, args: ['--block-ms', '300'] });
  await openJobs(page, serve);

  const list = page.getByRole('listbox', { name: 'Jobs, newest first' });
  await expect(list.getByRole('option').first()).toHaveAttribute('aria-posinset', '1');
  await expect(page.getByRole('group', { name: 'Job filters' }).getByRole('button', { name: /^All/ })).toContainText(N.toLocaleString('en-US'));
  expect(await list.getByRole('option').count()).toBeLessThan(200);
  await page.screenshot({ path: testInfo.outputPath('jobs-10k-top.png') });

  // Scroll to the very end: still a window, and the oldest job (task 1) is there.
  await list.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  const oldest = list.getByRole('option', { name: /session 101 task 1,/ });
  await expect(oldest).toBeVisible();
  await expect(oldest).toHaveAttribute('aria-posinset', String(N));
  await expect(oldest).toHaveAttribute('aria-setsize', String(N));
  expect(await list.getByRole('option').count()).toBeLessThan(200);
  await page.screenshot({ path: testInfo.outputPath('jobs-10k-end.png') });

  // Keyboard: Home goes back to the newest, End to the oldest, Enter opens its details.
  await list.focus();
  await page.keyboard.press('Home');
  await expect(list.getByRole('option', { selected: true })).toHaveAttribute('aria-posinset', '1');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(list.getByRole('option', { selected: true })).toHaveAttribute('aria-posinset', '3');
  await page.keyboard.press('End');
  const last = list.getByRole('option', { selected: true });
  await expect(last).toHaveAttribute('aria-posinset', String(N));
  await expect(last).toBeInViewport();
  await expect(list).toHaveAttribute('aria-activedescendant', /^job-row-/);
  await page.keyboard.press('Enter');
  const details = page.getByRole('region', { name: 'Job 00000001' });
  await expect(details.getByRole('list', { name: /^Steps of job/ })).toContainText('Run180 ms');
  await expect(details).toContainText('urn:minerva:seed:1');

  // Filters: failed only — every row says so, the count matches what was seeded.
  const filters = page.getByRole('group', { name: 'Job filters' });
  await filters.getByRole('button', { name: /^Failed/ }).click();
  await expect(filters.getByRole('button', { name: /^Failed/ })).toHaveAttribute('aria-pressed', 'true');
  const failedTotal = N / 50;
  await expect(page.getByText(`${failedTotal} of ${N.toLocaleString('en-US')} jobs match`)).toBeVisible();
  const names = await list.getByRole('option').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  expect(names.length).toBeGreaterThan(5);
  expect(names.every((n) => n.startsWith('Failed: job') && n.includes('The model container answered an error'))).toBe(true);

  // Session filter on top: the practice session's failed jobs only, and counts for that session.
  await filters.getByLabel('Session').selectOption('practice-inference');
  await expect(page.getByText(`${seeded.failed} of ${N.toLocaleString('en-US')} jobs match`)).toBeVisible();
  await expect(filters.getByRole('button', { name: /^All/ })).toContainText((N - seeded.other).toLocaleString('en-US'));
  const sessions = await list.getByRole('option').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  expect(sessions.every((n) => n.includes('session 101 '))).toBe(true);
  await page.screenshot({ path: testInfo.outputPath('jobs-10k-filtered.png') });

  // Back to everything, in the dark theme too.
  await filters.getByRole('button', { name: /^All/ }).click();
  await filters.getByLabel('Session').selectOption('');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(list.getByRole('option').first()).toHaveAttribute('aria-posinset', /\d+/);
  await page.screenshot({ path: testInfo.outputPath('jobs-10k-dark.png') });
});
