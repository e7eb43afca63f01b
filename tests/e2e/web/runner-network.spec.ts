import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { generateRsaKeyPair, rsa2048Spki } from '@devnet/coordinator/ca';
import { loadSmpPackage } from '@devnet/coordinator/smp-grpc';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { runnerDnsName } from '@shared/protocol/smp.proto';
import { smpMetadata } from '@shared/protocol/smp';
import { test, expect } from './fixtures';

/**
 * The Runner page on a network of the miner's own (not the practice network): its chain, hub and
 * coordinator run in this test process, so the test can also play a rogue coordinator with a
 * certificate from the network's CA — and see the page name each refusal in words. Listening
 * beyond loopback is possible here, but only after an explicit acknowledgement.
 */
const TITLE = 'Time-series model runner (practice)';
const MODEL = 'practice-ts-1';

let dataDir: string;
let net: PracticeNetwork;

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-e2e-net-'));
  net = await startPracticeNetwork({ dataDir, parties: ['chain', 'hub', 'coordinator'], blockTimeMs: 300, coordinatorRounds: { intervalMs: 3000 } });
});

test.afterAll(async () => {
  await net.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** One unary call to the runner as a coordinator with the given certificate; resolves with the gRPC code. */
function callRunner(address: string, keyPem: string, certPem: string, md: grpc.Metadata): Promise<number> {
  const coordinator = net.coordinator!;
  const creds = grpc.credentials.createSsl(Buffer.from(coordinator.authority.certificatePem), Buffer.from(keyPem), Buffer.from(certPem));
  const name = runnerDnsName(MODEL, 'practice.local');
  const client = new (loadSmpPackage().DynamicSubclassService)(address, creds, { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name });
  return new Promise((resolve) => {
    const setup = (client as unknown as Record<string, (...a: unknown[]) => unknown>).Setup!.bind(client);
    setup({ className: 'TrackerBase' }, md, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null) => {
      client.close();
      resolve(error ? error.code : grpc.status.OK);
    });
  });
}

test('on its own network: refusals named in words, and listening beyond loopback only after an acknowledgement', async ({ app, page }, testInfo) => {
  test.setTimeout(300_000);
  await app.login(page);
  await app.createWallet(page);

  // The miner's network: the chain, hub and coordinator of this test.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Add a network' }).click();
  const form = page.getByRole('form', { name: 'Add a network' });
  await form.getByLabel('Name').fill('My network');
  await form.getByLabel('Chain endpoint').fill(net.endpoints.chain);
  await form.getByLabel('Hub endpoint').fill(net.endpoints.hub!);
  await form.getByRole('button', { name: 'Add network' }).click();
  await page.getByRole('button', { name: 'Switch to My network' }).click();
  await expect(page.getByRole('banner').getByRole('link', { name: /Network:/ })).toContainText('My network');

  await app.join(page, TITLE);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Model runner' }).click();
  const runner = page.getByRole('region', { name: /^Time-series model runner \(practice\)/ });
  await expect(runner.getByRole('heading', { level: 2 })).toContainText('Serving', { timeout: 120_000 });
  const address = await runner.getByLabel('Listening at').innerText();
  expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
  const calls = runner.getByRole('region', { name: 'Coordinator calls' });
  await expect(calls.getByRole('table')).toContainText('Accepted', { timeout: 60_000 });

  // A rogue coordinator: a client certificate from the network's CA, but not the one on chain.
  const { publicKeyPem, privateKeyPem } = generateRsaKeyPair();
  const rogue = await net.coordinator!.authority.issue({ spki: rsa2048Spki(publicKeyPem), commonName: 'not-the-coordinator', usage: 'client', sanDns: [], daysValid: 1 });
  expect(await callRunner(address, privateKeyPem, rogue.pem, new grpc.Metadata())).toBe(grpc.status.UNAUTHENTICATED);
  // The real coordinator's certificate with its v1 signature changed by one bit.
  const creds = net.coordinator!.clientCredentials;
  const container = net.coordinator!.identity.v1Container(creds.certPem);
  const sig = Buffer.from(container.signature_b64, 'base64');
  sig[5] = sig[5]! ^ 0x40;
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(smpMetadata({ ...container, signature_b64: sig.toString('base64') }, 'coordinator'))) md.set(k, v);
  expect(await callRunner(address, creds.keyPem, creds.certPem, md)).toBe(grpc.status.UNAUTHENTICATED);

  const reasons = calls.getByRole('list', { name: 'Refused calls by reason' });
  await expect(reasons).toContainText("1× its certificate is not one of the two the coordinator registered on chain (pinned.cert_hash)");
  await expect(reasons).toContainText("1× signature did not verify with the coordinator's wallet on chain (v1.signature)");
  await expect(calls.locator('.runner-figure').filter({ hasText: 'Refused' })).toContainText('2');
  await expect(calls.getByRole('table')).toContainText("Refused: signature did not verify with the coordinator's wallet on chain");
  await calls.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('runner-refusals.png'), fullPage: true });

  // Listening beyond loopback: possible here, only with the acknowledgement, then a standing warning.
  // A wildcard is refused (coordinators are told the address); an address of this computer is not.
  await runner.getByRole('button', { name: 'Change…' }).click();
  const listen = runner.getByRole('form', { name: 'Change the listening address' });
  await listen.getByLabel('Host', { exact: true }).fill('0.0.0.0');
  const submit = listen.getByRole('button', { name: 'Listen here' });
  await expect(submit).toBeDisabled();
  await listen.getByLabel('I understand that other machines can reach the runner at this address').check();
  await expect(submit).toBeEnabled();
  await submit.click();
  await expect(page.getByText(/^Name the address coordinators reach you at/)).toBeVisible();
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  test.skip(!lan, 'this machine has no non-loopback IPv4 address to listen on');
  await listen.getByLabel('Host', { exact: true }).fill(lan!);
  await listen.getByLabel('I understand that other machines can reach the runner at this address').check();
  await listen.getByRole('button', { name: 'Listen here' }).click();
  await expect(runner.getByLabel('Listening at')).toHaveText(new RegExp(`^${lan!.replace(/\./g, '\\.')}:\\d+$`), { timeout: 60_000 });
  await expect(runner.getByRole('alert').filter({ hasText: 'Reachable from other machines.' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('runner-beyond-loopback.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: testInfo.outputPath('runner-beyond-loopback-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // And back to loopback: the warning goes.
  await runner.getByRole('button', { name: 'Change…' }).click();
  await listen.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await expect(listen.getByLabel('I understand that other machines can reach the runner at this address')).toHaveCount(0);
  await listen.getByRole('button', { name: 'Listen here' }).click();
  await expect(runner.getByLabel('Listening at')).toHaveText(/^127\.0\.0\.1:\d+$/, { timeout: 60_000 });
  await expect(runner.getByText('Reachable from other machines.')).toHaveCount(0);
});
