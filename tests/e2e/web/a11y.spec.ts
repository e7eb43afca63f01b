import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { seriousViolations } from './axe';
import { test, expect } from './fixtures';

/**
 * axe-core on every page of the app (issue 16): a real `minerva serve` with the practice network,
 * in Debian's Chromium, in both themes, before and after a wallet exists and with all three practice
 * competitions joined (so the Runner, Jobs, Runtime and Checkpoints pages show their real content).
 * Serious and critical violations fail the test; screenshots of every page at 1280×800 and 800×600
 * are saved for a person to look at.
 */
/** Pages the sidebar must offer at least; the audit visits every link the sidebar actually has. */
const KNOWN_PAGES = ['Dashboard', 'Competitions', 'Jobs', 'Model runner', 'Checkpoints', 'Rewards', 'Wallet & Security', 'Runtime', 'Settings', 'Logs'];

interface Finding {
  page: string;
  theme: string;
  rule: string;
  impact: string;
  targets: string[];
  summary: string;
}

async function audit(page: Page, label: string, theme: string): Promise<Finding[]> {
  return (await seriousViolations(page)).map((v) => ({
      page: label,
      theme,
      rule: v.id,
      impact: v.impact ?? '',
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
      summary: v.nodes[0]?.failureSummary?.split('\n').slice(0, 3).join(' ') ?? v.help,
    }));
}

async function visit(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: label, exact: true })).toBeVisible();
  // Let live data (status, lists) arrive before auditing.
  await page.waitForTimeout(400);
}

async function auditEveryPage(page: Page, testInfo: TestInfo, stage: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  // The link's own text, without its decorative glyph.
  const PAGES = await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link')
    .evaluateAll((links) => links.map((a) => [...a.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim()));
  expect(PAGES).toEqual(expect.arrayContaining(KNOWN_PAGES));
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    for (const label of PAGES) {
      await visit(page, label);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      findings.push(...(await audit(page, label, theme)));
      const slug = label.toLowerCase().replace(/[^a-z]+/g, '-');
      for (const [w, h] of [[1280, 800], [800, 600]] as const) {
        await page.setViewportSize({ width: w, height: h });
        await page.screenshot({ path: testInfo.outputPath(`${stage}-${theme}-${slug}-${w}x${h}.png`), fullPage: true });
      }
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  }
  return findings;
}

/** One line per violation, also saved next to the screenshots (axe-findings.txt). */
function report(findings: Finding[], testInfo: TestInfo): string {
  const text = findings.map((f) => `${f.page} (${f.theme}) ${f.impact} ${f.rule}: ${f.targets.join(' | ')} — ${f.summary}`).join('\n');
  mkdirSync(dirname(testInfo.outputPath('axe-findings.txt')), { recursive: true });
  writeFileSync(testInfo.outputPath('axe-findings.txt'), `${text}\n`);
  return text;
}

test('axe: no serious or critical violations on any page before a wallet exists', async ({ app, page }, testInfo) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.login(page);
  const findings = await auditEveryPage(page, testInfo, 'fresh');
  expect(findings, report(findings, testInfo)).toEqual([]);
});

test('axe: no serious or critical violations on any page with a wallet and every practice competition joined', async ({ app, page }, testInfo) => {
  test.setTimeout(480_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.login(page);
  await app.createWallet(page);
  // The backup steps of onboarding (the phrase, then the quiz) are pages of their own to a miner.
  const findings = await audit(page, 'Wallet & Security: backup', 'dark');

  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Competitions' }).click();
  const list = page.getByRole('list', { name: 'Competitions' });
  // allTextContents() does not wait: let the catalogue arrive first (under load it takes a moment).
  await expect(list.getByRole('heading', { level: 2 })).toHaveCount(3, { timeout: 30_000 });
  const titles = (await list.getByRole('heading', { level: 2 }).allTextContents()).map((t) => t.trim());
  for (const title of titles) await page.getByRole('button', { name: `Join ${title}` }).click();
  for (const title of titles) {
    await expect(page.getByRole('article', { name: title }).getByRole('status')).toContainText('Joined with hotkey', { timeout: 60_000 });
  }
  // Wait until the runner serves and jobs arrive, so the pages show their working state.
  await nav.getByRole('link', { name: 'Model runner' }).click();
  await expect(page.getByRole('region', { name: /^Time-series model runner/ }).getByRole('heading', { level: 2 })).toContainText('Serving', { timeout: 150_000 });
  await nav.getByRole('link', { name: 'Jobs' }).click();
  await expect(page.getByText(/Reported/).first()).toBeVisible({ timeout: 120_000 });

  findings.push(...(await auditEveryPage(page, testInfo, 'joined')));
  expect(findings, report(findings, testInfo)).toEqual([]);
});
