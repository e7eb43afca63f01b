import type { Page, TestInfo } from '@playwright/test';
import { payPracticeReward } from '../../helpers/practice-reward';
import { connectRpc } from '../../helpers/ws-rpc';
import { test, expect } from './fixtures';
import { overflow } from './layout-checks';

/**
 * Small windows: every page fits its width — the page never scrolls sideways, no element's box
 * runs past the right (or left) edge of the window and no chart's text past its chart, so nothing
 * is cut off; and the top bar keeps its height whatever the wallet's state. 800×600 has the
 * sidebar folded above the page; from 821 px on it is at the side, which leaves the page less room
 * than at 800 (840: about 525 px inside a card, 900: 585). Checked on every page the sidebar
 * offers at each size, before a wallet exists and with a wallet and every practice competition
 * joined and working (the runner serving, jobs reported: the widest tables and figures; a payment
 * of 0.0000001 PRAC: the widest chart labels), with the forms of Settings open, and locked with
 * mining going on (the top bar's longest state). A screenshot of each is saved to look at.
 */
const SIZES = [
  { width: 800, height: 600 },
  { width: 840, height: 600 },
  { width: 900, height: 600 },
  { width: 1024, height: 640 },
] as const;

/** From the top: a full-page screenshot taken while scrolled draws the sticky top bar mid-page. */
async function shot(page: Page): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
}

async function sidebarPages(page: Page): Promise<string[]> {
  // The link's own text, without its decorative glyph.
  return page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link')
    .evaluateAll((links) => links.map((a) => [...a.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim()));
}

/** The top bar's heights seen at each window width, with where: one each, whatever the wallet's state. */
const topbarHeights = new Map<number, Map<number, string>>();

/** At each size: what sticks out, and a screenshot named after the stage, page and size. */
async function checkSizes(page: Page, testInfo: TestInfo, where: string, name: string): Promise<string[]> {
  const findings: string[] = [];
  for (const size of SIZES) {
    await page.setViewportSize(size);
    // Charts measure their box and draw again (a ResizeObserver): two frames later they have.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    findings.push(...(await overflow(page)).map((f) => `${where} at ${size.width}×${size.height}: ${f}`));
    const bar = await page.getByRole('banner').boundingBox();
    const heights = topbarHeights.get(size.width) ?? new Map<number, string>();
    if (bar && !heights.has(Math.round(bar.height))) heights.set(Math.round(bar.height), where);
    topbarHeights.set(size.width, heights);
    await shot(page);
    await page.screenshot({ path: testInfo.outputPath(`${name}-${size.width}x${size.height}.png`), fullPage: true });
  }
  return findings;
}

async function checkEveryPage(page: Page, testInfo: TestInfo, stage: string): Promise<string[]> {
  const findings: string[] = [];
  const pages = await sidebarPages(page);
  expect(pages).toEqual(expect.arrayContaining(['Dashboard', 'Competitions', 'Jobs', 'Model runner', 'Checkpoints', 'Rewards', 'Wallet & Security', 'Runtime', 'Settings', 'Logs']));
  for (const label of pages) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: label, exact: true })).toBeVisible();
    // Its content has arrived (what a page shows while it reads is the narrowest).
    await expect(page.locator('main')).not.toContainText('Loading…');
    const slug = label.toLowerCase().replace(/[^a-z]+/gu, '-');
    if (label === 'Settings') {
      // The Settings forms that open in place are wider than their cards' closed state.
      for (const form of ['Add a network', 'Add a Bittensor network']) {
        await page.getByRole('button', { name: form, exact: true }).click();
        await expect(page.getByRole('form', { name: form })).toBeVisible();
        findings.push(...(await checkSizes(page, testInfo, `${stage} ${label} (${form} open)`, `${stage}-${slug}-${form.toLowerCase().replace(/[^a-z]+/gu, '-')}`)));
        await page.getByRole('form', { name: form }).getByRole('button', { name: 'Cancel' }).click();
      }
    }
    findings.push(...(await checkSizes(page, testInfo, `${stage} ${label}`, `${stage}-${slug}`)));
  }
  return findings;
}

test('in windows 800, 840, 900 and 1024 px wide no page runs past the window, before a wallet and with every practice competition at work', async ({ app, page }, testInfo) => {
  test.setTimeout(600_000);
  await page.setViewportSize(SIZES[0]);
  await app.login(page);
  const findings = await checkEveryPage(page, testInfo, 'fresh');

  await page.setViewportSize(SIZES[0]);
  await app.createWallet(page);
  findings.push(...(await checkSizes(page, testInfo, 'wallet backup', 'backup')));
  await page.setViewportSize(SIZES[0]);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Competitions' }).click();
  const list = page.getByRole('list', { name: 'Competitions' });
  await expect(list.getByRole('heading', { level: 2 })).toHaveCount(3);
  const titles = (await list.getByRole('heading', { level: 2 }).allTextContents()).map((t) => t.trim());
  for (const title of titles) await page.getByRole('button', { name: `Join ${title}` }).click();
  for (const title of titles) {
    await expect(page.getByRole('article', { name: title }).getByRole('status')).toContainText('Joined with hotkey', { timeout: 60_000 });
  }
  // A tiny payment (0.0000001 PRAC) to the checkpoint competition, which pays nothing else here:
  // its chart's scale is the longest amount label there is.
  const rpc = await connectRpc(app.serve.loginUrl);
  const { competitions } = await rpc.call<{ competitions: { id: string; membership: { hotkey: string } | null }[] }>('competitions.list', {});
  rpc.close();
  const hotkey = competitions.find((c) => c.id === 'practice-checkpoint')?.membership?.hotkey;
  expect(hotkey).toBeTruthy();
  await payPracticeReward(app.dataDir, 'practice-checkpoint', hotkey!, 100n);
  // The runner serving and jobs reported: the pages show their working state, tables filled.
  await nav.getByRole('link', { name: 'Model runner' }).click();
  await expect(page.getByRole('region', { name: /^Time-series model runner/ }).getByRole('heading', { level: 2 })).toContainText('Serving', { timeout: 150_000 });
  await nav.getByRole('link', { name: 'Jobs' }).click();
  await expect(page.getByText(/Reported/).first()).toBeVisible({ timeout: 120_000 });
  await nav.getByRole('link', { name: 'Rewards' }).click();
  await expect(page.getByRole('figure', { name: 'Earnings of Checkpoint training (practice)' })).toContainText('0.0000001 PRAC', { timeout: 45_000 });
  findings.push(...(await checkEveryPage(page, testInfo, 'joined')));

  // Locked with mining going on: the top bar's longest state ("Mining — work keys in memory" and
  // Stop mining), with the toast that says so.
  await page.setViewportSize(SIZES[0]);
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('banner').getByRole('button', { name: 'Lock' }).click();
  await page.getByRole('dialog', { name: 'Lock the wallet' }).getByRole('button', { name: 'Lock, keep mining' }).click();
  await expect(page.getByRole('banner')).toContainText('Mining — work keys in memory');
  await expect(page.getByRole('status').filter({ hasText: 'Locked. Mining goes on' })).toBeVisible();
  findings.push(...(await checkSizes(page, testInfo, 'mining while locked: Dashboard', 'mining-locked-dashboard')));

  // The top bar does not jump as the wallet's state changes (a Lock button taller than the pills made it 11 px taller).
  for (const [width, heights] of topbarHeights) {
    if (heights.size > 1) findings.push(`at ${width} px the top bar is ${[...heights].map(([h, where]) => `${h} px (${where})`).join(', ')}`);
  }
  expect(findings, findings.join('\n')).toEqual([]);
});
