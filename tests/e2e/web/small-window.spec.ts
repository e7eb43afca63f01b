import type { Page, TestInfo } from '@playwright/test';
import { test, expect } from './fixtures';

/**
 * A small window (800×600): every page fits its width — the page never scrolls sideways and no
 * element's box runs past the right (or left) edge of the window, so nothing is cut off. Checked
 * on every page the sidebar offers, before a wallet exists and with a wallet and every practice
 * competition joined and working (the runner serving, jobs reported: the widest tables and
 * figures), with the forms of Settings open. A screenshot of each is saved to look at.
 */
const WIDTH = 800;
const HEIGHT = 600;

/**
 * What sticks out: the page's own sideways scroll; each outermost element past an edge of the
 * window; and each box whose content runs past its own right edge — spilling over (overflow
 * visible) or needing a sideways scroll of its own (auto/scroll). Boxes that clip on purpose
 * (overflow hidden: an ellipsis, visually hidden text) are left alone.
 */
async function overflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    const name = (el: Element): string => {
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/u).join('.')}` : '';
      const text = (el.textContent ?? '').replace(/\s+/gu, ' ').trim().slice(0, 60);
      return `${el.tagName.toLowerCase()}${cls} "${text}"`;
    };
    if (root.scrollWidth > root.clientWidth) found.push(`the page scrolls sideways: scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`);
    const past = new Set<Element>();
    const spilling = new Set<Element>();
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
      if (r.right > width + 0.5 || r.left < -0.5) past.add(el);
      // Block boxes only (an inline box has no clientWidth); SVG draws in its own coordinates.
      if (el instanceof HTMLElement && el.clientWidth > 0 && style.overflowX !== 'hidden' && style.overflowX !== 'clip' && el.scrollWidth > el.clientWidth + 1) spilling.add(el);
    }
    for (const el of past) {
      // The outermost one says where the problem is; its children stick out with it.
      if (el.parentElement && past.has(el.parentElement)) continue;
      const r = el.getBoundingClientRect();
      found.push(`${name(el)} spans ${Math.round(r.left)}–${Math.round(r.right)} px of ${width}`);
    }
    for (const el of spilling) {
      // The innermost one: its ancestors only spill because it does.
      if ([...spilling].some((other) => other !== el && el.contains(other))) continue;
      const html = el as HTMLElement;
      const how = getComputedStyle(el).overflowX === 'visible' ? 'spills' : 'scrolls sideways';
      found.push(`${name(el)} ${how}: content ${html.scrollWidth} px in a box of ${html.clientWidth}`);
    }
    return found;
  });
}

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
        findings.push(...(await overflow(page)).map((f) => `${stage} ${label} (${form} open): ${f}`));
        await shot(page);
        await page.screenshot({ path: testInfo.outputPath(`${stage}-${slug}-${form.toLowerCase().replace(/[^a-z]+/gu, '-')}-${WIDTH}x${HEIGHT}.png`), fullPage: true });
        await page.getByRole('form', { name: form }).getByRole('button', { name: 'Cancel' }).click();
      }
    }
    findings.push(...(await overflow(page)).map((f) => `${stage} ${label}: ${f}`));
    await shot(page);
    await page.screenshot({ path: testInfo.outputPath(`${stage}-${slug}-${WIDTH}x${HEIGHT}.png`), fullPage: true });
  }
  return findings;
}

test(`at ${WIDTH}×${HEIGHT} no page runs past the window, before a wallet and with every practice competition at work`, async ({ app, page }, testInfo) => {
  test.setTimeout(480_000);
  await page.setViewportSize({ width: WIDTH, height: HEIGHT });
  await app.login(page);
  const findings = await checkEveryPage(page, testInfo, 'fresh');

  await app.createWallet(page);
  findings.push(...(await overflow(page)).map((f) => `wallet backup: ${f}`));
  await page.screenshot({ path: testInfo.outputPath(`backup-${WIDTH}x${HEIGHT}.png`), fullPage: true });
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Competitions' }).click();
  const titles = (await page.getByRole('list', { name: 'Competitions' }).getByRole('heading', { level: 2 }).allTextContents()).map((t) => t.trim());
  expect(titles).toHaveLength(3);
  for (const title of titles) await page.getByRole('button', { name: `Join ${title}` }).click();
  for (const title of titles) {
    await expect(page.getByRole('article', { name: title }).getByRole('status')).toContainText('Joined with hotkey', { timeout: 60_000 });
  }
  // The runner serving and jobs reported: the pages show their working state, tables filled.
  await nav.getByRole('link', { name: 'Model runner' }).click();
  await expect(page.getByRole('region', { name: /^Time-series model runner/ }).getByRole('heading', { level: 2 })).toContainText('Serving', { timeout: 150_000 });
  await nav.getByRole('link', { name: 'Jobs' }).click();
  await expect(page.getByText(/Reported/).first()).toBeVisible({ timeout: 120_000 });
  findings.push(...(await checkEveryPage(page, testInfo, 'joined')));

  expect(findings, findings.join('\n')).toEqual([]);
});
