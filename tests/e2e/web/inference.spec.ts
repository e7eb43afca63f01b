import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startDevnetProcess, type DevnetProcess } from '../../helpers/devnet-process';
import { REPO_ROOT, startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { E2E_PASSWORD, expect, joinPracticeInferenceInUi, test } from './fixtures';

/**
 * Private inference end to end in Chromium: the practice network runs as `minerva devnet start`
 * with demo traffic (the router sends a completion to session 101 every 1.5 s) and `minerva
 * serve` attaches to it on the same data dir. The miner creates a wallet, joins the practice
 * private-inference competition, and its real job loop takes the router's jobs through the real
 * text model container; the Jobs page shows them live. The Playground sends a prompt through
 * the router's completion API and gets back exactly what the model computes for it.
 */
test.skip(process.env.MINERVA_SKIP_DOCKER === '1', 'MINERVA_SKIP_DOCKER=1: the model runs in a Docker container');

interface Practice {
  dataDir: string;
  devnet: DevnetProcess;
  serve: ServeHandle;
}

let running: Practice | undefined;

/** SIGTERM, then at most `ms` for the process to exit; a process that does not is killed and reported. */
async function stopChild(child: ChildProcess, ms = 60_000): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = new Promise<boolean>((done) => child.once('exit', () => done(true)));
  child.kill('SIGTERM');
  const inTime = await Promise.race([exited, new Promise<boolean>((done) => setTimeout(() => done(false), ms))]);
  if (!inTime) {
    child.kill('SIGKILL');
    await exited;
  }
  return inTime;
}

test.afterEach(async () => {
  const r = running;
  running = undefined;
  if (!r) return;
  const pid = r.serve.process.pid;
  const serveExited = await stopChild(r.serve.process);
  await stopChild(r.devnet.child);
  if (!serveExited && pid) {
    // Killed: remove the model containers it left behind (labelled with its pid).
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.minerva.owner-pid=${pid}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
  // A process that keeps running after its core has stopped leaks (e.g. a model container's attach stream).
  expect(serveExited, `minerva serve did not exit within 60 s of SIGTERM; its log ends with:\n${r.serve.output().slice(-3000)}`).toBe(true);
});

/** A fresh miner on a practice network with demo traffic (every 1.5 s): logged in, wallet created, joined; on the Jobs page. */
async function joinPracticeInference(page: Page, env: NodeJS.ProcessEnv = {}) {
  const dataDir = tempDataDir('minerva-e2e-inference-');
  const devnet = await startDevnetProcess(['--data-dir', dataDir, '--block-ms', '300', '--demo-ms', '1500']);
  const serve = await startServe({ dataDir, args: ['--block-ms', '300'], env });
  running = { dataDir, devnet, serve };
  return joinPracticeInferenceInUi(page, serve);
}

test('demo traffic flows through this miner: jobs appear live and reach reported, with steps, sessions and figures', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const nav = await joinPracticeInference(page);

  const sessions = page.getByRole('region', { name: 'Sessions' });
  await expect(sessions.getByRole('row', { name: /Private inference \(practice\)/ })).toContainText('Working', { timeout: 60_000 });
  await expect(sessions).toContainText('session 101');

  // The first job waits for the model image to build; after that they flow.
  const list = page.getByRole('listbox', { name: 'Jobs, newest first' });
  const t = String.raw`\d+(?:\.\d+)? m?s`;
  const reported = list.getByRole('option', { name: new RegExp(`^Reported: job [0-9a-f]{8}, session 101 task \\d+, key ${t}, decrypt ${t}, run ${t}, encrypt ${t}, upload ${t}, report ${t}, total ${t}$`) });
  await expect(reported.first()).toBeVisible({ timeout: 180_000 });
  await expect.poll(() => reported.count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);

  // One rate on one screen: the Throughput figure and the session's Jobs/min are one number (core's, same window).
  const throughput = async () => /Throughput\s*([\d.]+)\s*jobs\/min/u.exec((await page.getByRole('region', { name: 'Figures' }).textContent()) ?? '')?.[1] ?? 'none';
  const sessionRate = async () => ((await sessions.getByRole('row', { name: /Private inference \(practice\)/ }).getByRole('cell').last().textContent()) ?? 'none').trim();
  await expect.poll(async () => Number(await throughput()), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect.poll(async () => `${await throughput()} = ${await sessionRate()}`).toMatch(/^([\d.]+) = \1$/u);

  // A job's details: every step timed, stored encrypted under a key version.
  await reported.first().click();
  const details = page.getByRole('region', { name: /^Job [0-9a-f]{8}$/ });
  await expect(details).toContainText('Reported');
  await expect(details.getByRole('list', { name: /^Steps of job/ }).getByRole('listitem')).toHaveCount(6);
  await expect(details).toContainText(/v\d+, (session|task) scope/);
  await page.screenshot({ path: testInfo.outputPath('inference-jobs-light.png') });

  // Filters: reported only, then nothing failed.
  const filters = page.getByRole('group', { name: 'Job filters' });
  await filters.getByRole('button', { name: /^Reported/ }).click();
  const labels = await list.getByRole('option').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  expect(labels.length).toBeGreaterThanOrEqual(3);
  expect(labels.every((l) => l.startsWith('Reported: job'))).toBe(true);
  await filters.getByRole('button', { name: /^Reported/ }).click();
  await filters.getByLabel('Session').selectOption('practice-inference');
  await expect(list.getByRole('option').first()).toBeVisible();

  // Concurrency is kept by core and shown back.
  const concurrency = sessions.getByLabel('Concurrency for Private inference (practice)');
  await concurrency.selectOption('3');
  await expect(concurrency).toHaveValue('3');
  await page.reload();
  await expect(page.getByRole('region', { name: 'Sessions' }).getByLabel('Concurrency for Private inference (practice)')).toHaveValue('3', { timeout: 30_000 });

  // Locking the wallet pauses the jobs: a standing banner asks to unlock, right here.
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await page.getByRole('dialog', { name: 'Lock the wallet' }).getByRole('button', { name: 'Lock everything (stop mining)' }).click();
  const paused = page.getByRole('status').filter({ hasText: 'Jobs are paused: your wallet is locked and mining is off.' });
  await expect(paused).toBeVisible();
  await expect(page.getByRole('region', { name: 'Sessions' })).toContainText('Paused: wallet locked');
  await paused.getByRole('button', { name: 'Unlock your wallet' }).click();
  await paused.getByLabel('Wallet password').fill(E2E_PASSWORD);
  await paused.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(paused).toBeHidden();
  await expect(page.getByRole('region', { name: 'Sessions' })).toContainText('Working');
  // Jobs flow again after the unlock.
  const before = await reported.count();
  await expect.poll(() => reported.count(), { timeout: 60_000 }).toBeGreaterThan(before);

  // The Dashboard: throughput, latency and totals.
  await page.emulateMedia({ colorScheme: 'dark' });
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  const figures = page.getByRole('region', { name: 'Private inference' });
  await expect(figures).toContainText(/Reported\s*[1-9][\d,]* in all/);
  await expect(figures).toContainText(/Throughput\s*\d+(\.\d)?\s*jobs\/min/);
  await expect(figures).toContainText(/Latency p50\s*\d+(\.\d+)? (ms|s)/);
  await page.screenshot({ path: testInfo.outputPath('inference-dashboard-dark.png') });
});

test('an address that is not on the session allowed list: the router refuses it and the Jobs page and the Dashboard warn with what to do', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const nav = await joinPracticeInference(page);
  await expect(page.getByRole('region', { name: 'Sessions' })).toContainText('Working', { timeout: 60_000 });

  // The wallet's EVM address is replaced by another key (it overrides the derived one): the chain's
  // session 101 lists the address the miner joined with, so the router refuses this one.
  const other = randomBytes(32).toString('hex');
  const reply = await page.evaluate(async (hex) => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    // Events arrive on the same socket: wait for the reply to this call.
    const answer = new Promise<string>((resolve) => {
      ws.onmessage = (m) => {
        const text = String(m.data);
        if ((JSON.parse(text) as { id?: number }).id === 1) resolve(text);
      };
    });
    ws.send(JSON.stringify({ id: 1, method: 'vault.addKey', input: { source: { kind: 'ethereum-key', hex } } }));
    const text = await answer;
    ws.close();
    return text;
  }, other);
  expect(JSON.parse(reply)).toMatchObject({ type: 'reply', id: 1, reply: { ok: true } });

  const warning = page.getByRole('alert').filter({ hasText: "Key safety: this address is not on the session's allowed list." });
  await expect(warning).toBeVisible({ timeout: 60_000 });
  await expect(warning).toContainText('practice-inference');
  await expect(warning.getByRole('link', { name: 'Wallet & Security' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Sessions' })).toContainText('Refused by the router');
  await page.screenshot({ path: testInfo.outputPath('inference-forbidden-light.png') });

  await page.emulateMedia({ colorScheme: 'dark' });
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByRole('alert').filter({ hasText: "Key safety: this address is not on the session's allowed list." })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('inference-forbidden-dashboard-dark.png') });
});

test('Playground: a prompt goes through the router and this miner and comes back as the model computes it', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await joinPracticeInference(page);
  // Wait until the worker has answered a demo job (the model image is built by then).
  const list = page.getByRole('listbox', { name: 'Jobs, newest first' });
  await expect(list.getByRole('option', { name: /^Reported: job/ }).first()).toBeVisible({ timeout: 180_000 });

  const prompt = 'The old lighthouse keeper';
  // The same bundle the container runs, computed here: sampling is seeded, so the text is exact.
  const requireCjs = createRequire(import.meta.url);
  const { createModel } = requireCjs(join(REPO_ROOT, 'resources', 'models', 'text-ngram', 'model.cjs')) as { createModel: (o: { dir: string }) => { infer: (p: { prompt: string }) => { completion: string } } };
  const expected = createModel({ dir: join(REPO_ROOT, 'resources', 'models', 'text-ngram') }).infer({ prompt }).completion;

  const playground = page.getByRole('region', { name: 'Playground' });
  await playground.getByLabel('Prompt').fill(prompt);
  await playground.getByRole('button', { name: 'Send through the router' }).click();
  await expect(playground.getByRole('progressbar', { name: 'Waiting for the answer' })).toBeVisible();
  await expect(playground.getByLabel('The decrypted answer')).toHaveText(expected, { timeout: 60_000 });
  await expect(playground.getByRole('status').filter({ hasText: /^Answered in/ })).toContainText(/Answered in \d+(\.\d+)? (ms|s) by text-ngram · session 101, task \d+/);

  // What the router stored: URNs, encrypted, a key version, sizes — never the prompt.
  const stored = playground.getByRole('table', { name: 'What the router stored for this completion' });
  await expect(stored.getByRole('row', { name: /^Prompt/ })).toContainText(/encrypted\s*v\d+\s*[\d,]+ bytes/);
  await expect(stored.getByRole('row', { name: /^Answer/ })).toContainText(/encrypted\s*v\d+\s*[\d,]+ bytes/);
  await expect(stored).not.toContainText(prompt);

  // This miner served it (the only member of session 101): its steps, and the job is reported in the list.
  const steps = playground.getByRole('list', { name: "Steps of the Playground's job" });
  await expect(steps.getByRole('listitem')).toHaveCount(6);
  await expect(steps).toContainText(/Report\d+ ms/);
  const task = (await playground.getByRole('status').filter({ hasText: /^Answered in/ }).textContent())?.match(/task (\d+)/)?.[1];
  expect(task).toBeTruthy();
  await expect(list.getByRole('option', { name: new RegExp(`^Reported: job [0-9a-f]{8}, session 101 task ${task},`) })).toHaveCount(1);
  await playground.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('inference-playground-light.png'), fullPage: true });
});

test('mining mode: left idle past the auto-lock, the miner keeps answering jobs and earning; Stop mining stops both', async ({ page }, testInfo) => {
  test.setTimeout(540_000);
  // a short idle lock for the test (MINERVA_AUTO_LOCK_SECONDS); the default is the 15 minutes of the settings
  const nav = await joinPracticeInference(page, { MINERVA_AUTO_LOCK_SECONDS: '45' });
  // The router pays per epoch: every wait for a payment below is bounded by the epoch's length (blocks × 300 ms).
  await nav.getByRole('link', { name: 'Competitions' }).click();
  const epochBlocks = Number(/per epoch of (\d+) blocks/u.exec((await page.getByRole('article', { name: 'Private inference (practice)' }).textContent()) ?? '')?.[1]);
  expect(epochBlocks).toBeGreaterThan(0);
  const epochMs = epochBlocks * 300;
  await nav.getByRole('link', { name: 'Jobs' }).click();
  const list = page.getByRole('listbox', { name: 'Jobs, newest first' });
  await expect(list.getByRole('option', { name: /^Reported: job/ }).first()).toBeVisible({ timeout: 180_000 });

  // Nobody touches the page: the wallet locks itself and mining goes on, shown in the top bar.
  const wallet = page.getByRole('banner').getByRole('group', { name: 'Wallet' });
  await expect(wallet).toContainText('Mining — work keys in memory', { timeout: 120_000 });
  await expect(wallet.getByRole('button', { name: 'Stop mining' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Jobs are paused' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Sessions' })).toContainText('Working');
  await page.screenshot({ path: testInfo.outputPath('mining-jobs-while-locked.png') });
  // the Dashboard's total of reported jobs keeps growing while locked (clicks now do not unlock anything)
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  const figures = page.getByRole('region', { name: 'Private inference' });
  const total = async () => Number(/Reported\s*([\d,]+) in all/u.exec((await figures.textContent()) ?? '')?.[1]?.replace(/,/gu, '') ?? 'NaN');
  await expect.poll(total, { timeout: 30_000 }).toBeGreaterThan(0);
  const atLock = await total();
  await expect.poll(total, { timeout: 60_000 }).toBeGreaterThan(atLock + 2);
  await expect(wallet).toContainText('Mining — work keys in memory');
  await page.screenshot({ path: testInfo.outputPath('mining-dashboard.png') });

  // Rewards keep coming while locked: the practice router pays this competition's jobs each epoch.
  await nav.getByRole('link', { name: 'Rewards' }).click();
  const earnedRow = page.getByRole('table').getByRole('row', { name: /Private inference \(practice\)/ });
  const earned = async () => Number(((await earnedRow.getByRole('cell').last().textContent()) ?? 'NaN').replace(/,/gu, ''));
  await expect.poll(earned, { timeout: 30_000 }).not.toBeNaN();
  const earnedAtLock = await earned();
  // a payment of the epoch in progress comes at its end; the Rewards page reloads on the chain's 'rewards.changed'
  await expect.poll(earned, { timeout: 3 * epochMs + 20_000, intervals: [1000] }).toBeGreaterThan(earnedAtLock);
  // The competition's own chart shows what it earned.
  await expect(page.getByRole('figure', { name: 'Earnings of Private inference (practice)' }).getByRole('img')).toHaveAccessibleName(/^Private inference \(practice\): [1-9][\d,.]* PRAC earned in the last 24 hours, \d+ jobs? reported/u);
  await expect(wallet).toContainText('Mining — work keys in memory');
  await page.screenshot({ path: testInfo.outputPath('mining-rewards.png'), fullPage: true });

  // Wallet & Security says what is locked and what is not, and how to stop.
  await nav.getByRole('link', { name: 'Wallet & Security' }).click();
  await expect(page.getByRole('status', { name: 'Mining state' })).toContainText('your coldkey, your recovery phrase and anything that moves funds need the password');
  await expect(page.getByLabel('Keep mining when the wallet locks itself')).toBeChecked();
  await expect(page.getByLabel('Resume mining after a restart, without the password')).toBeDisabled();
  // The unlock form does not pretend that jobs wait: with mining on, only the coldkey's actions need the password.
  const unlock = page.getByRole('form', { name: 'Unlock the wallet' });
  await expect(unlock).toContainText('Mining goes on while the wallet is locked');
  await expect(unlock).not.toContainText('jobs that need a key wait');
  await page.screenshot({ path: testInfo.outputPath('mining-wallet-page.png'), fullPage: true });

  // One click stops mining: the jobs wait for the password, and the page says they time out meanwhile.
  await wallet.getByRole('button', { name: 'Stop mining' }).click();
  await expect(wallet).toContainText('Wallet locked');
  await nav.getByRole('link', { name: 'Jobs' }).click();
  const paused = page.getByRole('status').filter({ hasText: 'Jobs are paused: your wallet is locked and mining is off.' });
  await expect(paused).toBeVisible({ timeout: 30_000 });
  await expect(paused).toContainText('time out');
  await expect(paused).not.toContainText('Nothing is lost');
  await page.screenshot({ path: testInfo.outputPath('mining-stopped.png') });
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await page.waitForTimeout(3000); // jobs already past their last signature may still land
  const stopped = await total();
  await page.waitForTimeout(8000); // the router sends a job every 1.5 s meanwhile
  expect(await total()).toBe(stopped);

  // Rewards stop too: jobs reported before the stop are paid by the end of the next epoch, then nothing more.
  await nav.getByRole('link', { name: 'Wallet & Security' }).click();
  await expect(unlock).toContainText('mining is off');
  await nav.getByRole('link', { name: 'Rewards' }).click();
  await page.waitForTimeout(2 * epochMs + 3000);
  await page.reload();
  await expect.poll(earned, { timeout: 30_000 }).not.toBeNaN();
  const settled = await earned();
  await page.waitForTimeout(2 * epochMs + 3000);
  await page.reload();
  await expect.poll(earned, { timeout: 30_000 }).not.toBeNaN();
  expect(await earned()).toBe(settled);
});
