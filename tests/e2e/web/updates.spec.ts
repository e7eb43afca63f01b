import { expect, test, type Locator } from '@playwright/test';
import { startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { startTestFeed, type TestFeed } from '../../helpers/update-feed';
import { axeFindings } from './axe';

/**
 * Settings → Updates against a real loopback feed signed with a test key (MINERVA_UPDATE_PUBLIC_KEY,
 * which raises the standing warning): a newer version verified, a tampered feed refused in words,
 * a downgrade refused. minerva serve shows what is available and how to update a headless install.
 */
let feed: TestFeed;
let serve: ServeHandle;
test.beforeAll(async () => {
  feed = await startTestFeed();
  serve = await startServe({ dataDir: tempDataDir('minerva-e2e-upd-'), args: ['--block-ms', '300'], env: { MINERVA_UPDATE_FEED_URL: feed.url, MINERVA_UPDATE_PUBLIC_KEY: feed.key.publicKey, MINERVA_UPDATE_CHECK_EVERY_MS: '0' } });
});
test.afterAll(async () => {
  await serve?.stop();
  await feed?.close();
});

test('Settings → Updates: a newer version verified, a tampered feed and a downgrade refused in words', async ({ page }, testInfo) => {
  await page.goto(await serve.newLoginUrl());
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  const card = page.getByRole('region', { name: 'Updates' });
  await expect(card.getByRole('alert')).toContainText('not the Minerva release key');
  await expect(card).toContainText('This is Minerva 0.1.0');
  // The standing alert lines up with the card's other content (same left and right edges as its
  // paragraphs and its heading), not indented by the page's banner gutter.
  const edges = async (l: Locator) => {
    const box = (await l.boundingBox())!;
    return { left: Math.round(box.x), right: Math.round(box.x + box.width) };
  };
  const alertEdges = await edges(card.getByRole('alert'));
  expect(alertEdges).toEqual(await edges(card.getByText(/^This is Minerva 0\.1\.0 \(/u)));
  expect(alertEdges.left).toBe((await edges(card.getByRole('heading', { name: 'Updates' }))).left);
  await card.screenshot({ path: testInfo.outputPath('updates-key-warning.png') });

  feed.publish({ version: '0.2.0' });
  await card.getByRole('button', { name: 'Check now' }).click();
  await expect(card.getByRole('status')).toContainText('Minerva 0.2.0 is available (signature checked)');
  await expect(card).toContainText('minerva serve does not replace itself');
  await expect(card.getByRole('button', { name: 'Restart to update' })).toHaveCount(0);
  expect(await axeFindings(page)).toEqual([]);
  await card.screenshot({ path: testInfo.outputPath('updates-available.png') });

  // Signed, then altered: the signature no longer matches.
  feed.publish({ version: '0.3.0' });
  feed.routes.set('/feed/latest-linux.yml', Buffer.from(feed.routes.get('/feed/latest-linux.yml')!.toString().replace('0.3.0', '9.9.9')));
  await card.getByRole('button', { name: 'Check now' }).click();
  await expect(card.getByRole('status')).toContainText('not signed by the Minerva release key');
  await expect(card.getByRole('status')).toContainText('nothing was installed');
  await card.screenshot({ path: testInfo.outputPath('updates-tampered.png') });

  feed.publish({ version: '0.0.9' });
  await card.getByRole('button', { name: 'Check now' }).click();
  await expect(card.getByRole('status')).toContainText('offers Minerva 0.0.9, older than this version (0.1.0)');
  expect(await axeFindings(page)).toEqual([]);
  await card.screenshot({ path: testInfo.outputPath('updates-downgrade.png') });
});

test('a build without a feed says so once, with where new versions are, and offers no check', async ({ page }, testInfo) => {
  const bare = await startServe({ dataDir: tempDataDir('minerva-e2e-upd-none-'), args: ['--block-ms', '300'] });
  try {
    await page.goto(await bare.newLoginUrl());
    await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const card = page.getByRole('region', { name: 'Updates' });
    await expect(card.getByRole('status')).toHaveText('This build has no update feed or release key, so it cannot check for updates. Download new versions from the Minerva website.');
    // Said once: core's words, not a second paraphrase beside them.
    await expect(card.getByText(/no update feed/u)).toHaveCount(1);
    await expect(card.getByRole('button', { name: 'Check now' })).toBeDisabled();
    await expect(card.getByRole('alert')).toHaveCount(0);
    await card.screenshot({ path: testInfo.outputPath('updates-no-feed.png') });
  } finally {
    await bare.stop();
  }
});
