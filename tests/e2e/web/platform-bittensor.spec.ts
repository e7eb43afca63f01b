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
 * register before joining, registers by burn, joins, submits a file and reads the hub's answer;
 * then a signature with the practice prefix is refused by the hub, in words with what to do.
 */
const bt = chopsticksForThisFile();
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
  await expect(submit.getByRole('status')).toHaveText(`Accepted by the hub as sub-1 (pending): agent.py, ${file.length} bytes, SHA-256 ${sha.slice(0, 12)}…`, { timeout: 60_000 });
  await expect(submit.getByRole('alert')).toHaveCount(0);
  expect(rx.refused).toEqual([]);
  expect(rx.accepted).toHaveLength(1);
  const got = rx.accepted[0];
  expect(got).toMatchObject({ uid, slug: 'demo-challenge', fileName: 'agent.py' });
  expect(got?.body.equals(file)).toBe(true);
  expect(got?.hotkey.startsWith(joinedHotkey?.[1] ?? '?')).toBe(true);
  expect(got?.hotkey.endsWith(joinedHotkey?.[2] ?? '?')).toBe(true);
  expect(got?.canonical).toMatch(new RegExp(`^base-upload-v1:1:demo-challenge:POST:/v1/challenges/demo-challenge/submissions:${got?.hotkey}:[0-9a-f]{32}:\\d+:${sha}$`));
  await page.screenshot({ path: testInfo.outputPath('platform-submitted.png'), fullPage: true });
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
});
