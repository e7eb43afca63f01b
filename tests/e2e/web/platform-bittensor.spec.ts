import { createHash } from 'node:crypto';
import { test, expect } from './fixtures';
import { axeFindings } from './axe';
import { addBittensorNetwork, chopsticksForThisFile, fundColdkey, registerByBurn } from './bittensor-fixtures';
import { startPlatformReceiver, type PlatformReceiver } from '../../helpers/platform-receiver';

/**
 * Platform on Bittensor through the UI (issue 14 part 4), on the real subtensor runtime (spec 218,
 * chopsticks on loopback) with a Platform hub written from the public Platform code
 * (tests/helpers/platform-receiver.ts, with its citations; it reads UIDs from the same chain). A
 * miner names the hub in Settings, sees its active challenge on the Competitions page, is told to
 * register before joining (the link lands on Settings' Bittensor card), registers by burn, joins,
 * submits a file and reads the hub's answer, then follows its status as core asks the hub (progress,
 * a dead hub, Check again, the score; kept across a reload); a signature with the practice prefix is
 * refused by the hub, in words with what to do; and leaving the challenge is shown and kept.
 */
const bt = chopsticksForThisFile();
// Status questions every 0.5–1 s, and three unanswered ones stop them (defaults: 5 s doubling to 5 min, 20).
test.use({ serveEnv: { MINERVA_COMPETITIONS_STATUS_POLL_BASE_MS: '500', MINERVA_COMPETITIONS_STATUS_POLL_MAX_MS: '1000', MINERVA_COMPETITIONS_STATUS_MAX_FAILURES: '3' } });
let rx: PlatformReceiver;

test.beforeAll(async () => {
  rx = await startPlatformReceiver(bt.chain.url, 1);
  bt.closeFirst(() => rx.close());
});

test('a miner names a Platform hub, is told to register before joining its challenge, registers by burn, joins and submits a file the hub accepts', async ({ app, page }, testInfo) => {
  test.setTimeout(300_000);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await app.login(page);
  await app.createWallet(page);
  await addBittensorNetwork(page, bt.chain);
  await fundColdkey(page, bt.chain, 5n);

  // The hub's address follows the endpoint rule (https, or http on this machine only), in words.
  const hub = page.getByRole('form', { name: 'Platform hub on this Bittensor network' });
  await hub.getByLabel('Hub address').fill('http://hub.example.com');
  await hub.getByLabel('Subnet (netuid)').fill('1');
  await hub.getByRole('button', { name: 'Save the hub' }).click();
  await expect(hub.getByRole('alert')).toHaveText('The hub address must start with https:// (http:// only for a hub on this computer: 127.0.0.1 or localhost), with no user name, query or #fragment. Copy it from the subnet’s instructions.');
  await expect(hub.getByLabel('Hub address')).toHaveAccessibleDescription(/The hub address must start with https:\/\//);
  await hub.getByLabel('Hub address').fill(rx.url);
  await hub.getByRole('button', { name: 'Save the hub' }).click();
  await expect(hub.getByRole('status')).toHaveText('Saved: the hub’s challenges on subnet 1 are on the Competitions page.');
  await expect(hub.getByRole('alert')).toHaveCount(0);
  await expect(hub.getByRole('button', { name: 'Remove the hub' })).toBeVisible();
  await hub.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('platform-settings.png'), fullPage: true });
  expect(await axeFindings(page)).toEqual([]);

  // The hub's active challenge is in the catalogue (its retired one is not).
  await nav.getByRole('link', { name: 'Competitions', exact: true }).click();
  const card = page.getByRole('article', { name: 'Demo challenge' });
  await expect(card).toContainText('Platform challenge', { timeout: 60_000 });
  await expect(card).toContainText('Submit a small file; the challenge scores it later.');
  await expect(page.getByRole('article', { name: 'Retired challenge' })).toHaveCount(0);
  await card.getByText('Rules').click();
  await expect(card.getByRole('listitem').filter({ hasText: 'Your hotkey must hold a UID on subnet 1' })).toBeVisible();

  // Joining without a UID on the subnet: refused, in words, with what to do and the way there.
  await page.getByRole('button', { name: 'Join Demo challenge' }).click();
  await expect(card.getByRole('alert')).toHaveText('Register your hotkey on subnet 1 first: Settings → Bittensor shows the cost and asks before it spends TAO. Then join again.', { timeout: 60_000 });
  await expect(card.getByRole('button', { name: 'Retry Demo challenge' })).toBeVisible();
  await expect(card.getByRole('form', { name: 'Submit to Demo challenge' })).toHaveCount(0);
  // The steps say what happens on Bittensor: a UID is checked, nothing is sent to a hub to join.
  const steps = card.getByRole('list', { name: 'Joining Demo challenge' });
  await expect(steps.getByRole('listitem')).toHaveText([/Check that your hotkey has a UID on the subnet — failed/, /Start taking part \(Bittensor needs no signed join\) — pending/]);
  await page.screenshot({ path: testInfo.outputPath('platform-join-refused.png'), fullPage: true });
  expect(await axeFindings(page)).toEqual([]);
  await card.getByRole('link', { name: 'Register on subnet 1 in Settings → Bittensor' }).click();
  // The link lands on the Bittensor card, not the top of Settings: its heading scrolled to, with the focus.
  const btHeading = page.getByRole('heading', { name: 'Bittensor — Local subtensor' });
  await expect(btHeading).toBeFocused();
  await expect(btHeading).toBeInViewport();
  expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
  expect(page.url()).toMatch(/#\/settings\?show=bittensor$/);
  await page.screenshot({ path: testInfo.outputPath('platform-register-link-lands.png') });

  // Register by burn (the cost shown first), then join again.
  const uid = await registerByBurn(page, 1);
  expect(uid).toBeGreaterThan(0);
  await nav.getByRole('link', { name: 'Competitions', exact: true }).click();
  await card.getByRole('button', { name: 'Retry Demo challenge' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Joined with hotkey' })).toBeVisible({ timeout: 60_000 });
  const joinedHotkey = /Joined with hotkey(?: #\d+)? (\w{8})…(\w{6})/.exec((await card.getByRole('status').filter({ hasText: 'Joined with hotkey' }).textContent()) ?? '');
  expect(joinedHotkey).not.toBeNull();

  // A file over the hub's cap is refused before anything is signed or sent.
  const submit = card.getByRole('form', { name: 'Submit to Demo challenge' });
  await submit.getByLabel('File to submit').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2_000_001) });
  await submit.getByRole('button', { name: 'Sign and submit' }).click();
  await expect(submit.getByRole('alert')).toHaveText('big.bin is 2,000,001 bytes; the hub takes at most 2,000,000.');
  expect(rx.accepted).toHaveLength(0);
  expect(rx.refused).toHaveLength(0);

  // A file the hub accepts: its answer (id and status) is shown with what was sent.
  const file = Buffer.from('print("hello, platform")\n');
  const sha = createHash('sha256').update(file).digest('hex');
  await submit.getByLabel('File to submit').setInputFiles({ name: 'agent.py', mimeType: 'text/x-python', buffer: file });
  await submit.getByRole('button', { name: 'Sign and submit' }).click();
  await expect(submit.getByRole('status')).toContainText('Accepted by the hub as ', { timeout: 60_000 });
  await expect(submit.getByRole('alert')).toHaveCount(0);
  expect(rx.refused).toEqual([]);
  expect(rx.accepted).toHaveLength(1);
  const got = rx.accepted[0];
  const id = got?.id ?? '?';
  await expect(submit.getByRole('status')).toHaveText(`Accepted by the hub as ${id} (pending): agent.py, ${file.length} bytes, SHA-256 ${sha.slice(0, 12)}…`);
  expect(got).toMatchObject({ uid, slug: 'demo-challenge', fileName: 'agent.py' });
  expect(got?.body.equals(file)).toBe(true);
  expect(got?.hotkey.startsWith(joinedHotkey?.[1] ?? '?')).toBe(true);
  expect(got?.hotkey.endsWith(joinedHotkey?.[2] ?? '?')).toBe(true);
  expect(got?.canonical).toMatch(new RegExp(`^base-upload-v1:1:demo-challenge:POST:/v1/challenges/demo-challenge/submissions:${got?.hotkey}:[0-9a-f]{32}:\\d+:${sha}$`));

  // Core follows it after that first answer: where the challenge's evaluation stands, in words, with when it asks next.
  const mine = card.getByRole('region', { name: 'Your submissions' }).getByRole('listitem').filter({ hasText: id });
  await expect(mine).toContainText('Waiting for the challenge to evaluate it');
  await expect(mine).toContainText(/Not final yet: Minerva asks the hub again at \d\d:\d\d:\d\d/);
  await page.screenshot({ path: testInfo.outputPath('platform-submitted.png'), fullPage: true });
  expect(await axeFindings(page)).toEqual([]);
  rx.evaluate(id, { status: 'running' });
  await expect(mine).toContainText('Being evaluated by the challenge', { timeout: 30_000 });
  await expect(mine).toContainText(/\(last answer \d\d:\d\d:\d\d\)/);

  // The hub goes down: the last known status stays, the problem is said in words, and after three
  // unanswered questions Minerva stops asking and offers to check again.
  await rx.stopListening();
  await expect(mine).toContainText('The Platform hub is not answering (connection refused).', { timeout: 30_000 });
  await expect(mine).toContainText('Being evaluated by the challenge');
  const checkAgain = mine.getByRole('button', { name: 'Check agent.py again' });
  await expect(checkAgain).toBeVisible({ timeout: 30_000 });
  await expect(mine).toContainText('Minerva asked 3 times in a row without an answer and stopped; the status shown is the last one the hub gave. Check again once the hub is back.');
  await mine.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('platform-status-hub-down.png') });
  expect(await axeFindings(page)).toEqual([]);

  // The hub is back and the challenge has scored it: Check again brings the final verdict.
  await rx.listenAgain();
  rx.evaluate(id, { status: 'completed', final_score: 0.8125, q_arch: 0.9, q_recipe: 0.6, anti_cheat_multiplier: 1, diversity_bonus: 0, penalty: 0 });
  await checkAgain.click();
  await expect(mine).toContainText('Scored 0.8125 by the challenge', { timeout: 30_000 });
  await expect(mine).toContainText(/Final \(the hub said so at \d\d:\d\d:\d\d\)\./);
  await expect(mine).not.toContainText('not answering');
  await expect(checkAgain).toHaveCount(0);
  await mine.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('platform-status-scored.png') });
  // Kept by core: a reload shows the same verdict, and nothing asks the hub about it any more.
  await page.reload();
  await expect(mine).toContainText('Scored 0.8125 by the challenge', { timeout: 30_000 });
  const asked = rx.statusAsked.length;
  await page.waitForTimeout(2500);
  expect(rx.statusAsked.length).toBe(asked);
  expect(await axeFindings(page)).toEqual([]);

  // Signed with the practice network's prefix, the hub refuses the signature: said in words, with what to check.
  await nav.getByRole('link', { name: 'Settings', exact: true }).click();
  const settings = page.getByRole('form', { name: 'Competitions on this Bittensor network' });
  await settings.getByLabel('Signing prefix of miner actions').selectOption('platform-upload-v1');
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(settings.getByRole('status')).toHaveText('Saved.');
  await nav.getByRole('link', { name: 'Competitions', exact: true }).click();
  await submit.getByLabel('File to submit').setInputFiles({ name: 'agent.py', mimeType: 'text/x-python', buffer: file });
  await submit.getByRole('button', { name: 'Sign and submit' }).click();
  const refusal = submit.getByRole('alert');
  await expect(refusal).toContainText('The Platform hub refused the signature: invalid signature.', { timeout: 60_000 });
  await expect(refusal).toContainText('This network signs with platform-upload-v1; the public Platform code checks base-upload-v1');
  await expect(refusal).toContainText('Settings → Competitions on Local subtensor');
  expect(rx.refused).toEqual([{ status: 401, detail: 'invalid signature' }]);
  expect(rx.accepted).toHaveLength(1);
  await page.setViewportSize({ width: 800, height: 600 });
  await refusal.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('platform-refused-800x600.png') });
  expect(await axeFindings(page)).toEqual([]);

  // Leaving: the steps are shown (on Bittensor nothing is sent; the UID stays), then the challenge is not joined, also after a reload.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { leaveSteps: string[] }).leaveSteps = seen;
    new MutationObserver(() => {
      const list = document.querySelector('ol[aria-label="Leaving Demo challenge"]');
      if (list && !seen.includes(list.textContent ?? '')) seen.push(list.textContent ?? '');
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await card.getByRole('button', { name: 'Leave Demo challenge' }).click();
  await expect(card.getByRole('button', { name: 'Join Demo challenge' })).toBeVisible({ timeout: 60_000 });
  const seen = await page.evaluate(() => (window as unknown as { leaveSteps: string[] }).leaveSteps);
  expect(seen.some((t) => t.includes('Stop taking part (your UID stays on the subnet)'))).toBe(true);
  await expect(card.getByRole('heading', { name: 'Demo challenge' })).toBeFocused();
  const notJoined = async () => {
    await expect(card.getByRole('button', { name: 'Join Demo challenge' })).toBeVisible({ timeout: 30_000 });
    await expect(card.getByRole('status').filter({ hasText: 'Joined with hotkey' })).toHaveCount(0);
    await expect(card.getByRole('button', { name: 'Leave Demo challenge' })).toHaveCount(0);
    await expect(card.getByRole('form', { name: 'Submit to Demo challenge' })).toHaveCount(0);
    // What was sent stays listed with its verdict.
    await expect(mine).toContainText('Scored 0.8125 by the challenge');
  };
  await notJoined();
  await page.screenshot({ path: testInfo.outputPath('platform-left.png'), fullPage: true });
  await page.reload();
  await notJoined();
  expect(await axeFindings(page)).toEqual([]);
});
