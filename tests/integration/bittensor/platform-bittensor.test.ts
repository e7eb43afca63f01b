import { createHash } from 'node:crypto';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import type { ChallengeSubmissionView, CompetitionsView } from '@shared/contract/competitions';
import type { NetworksView } from '@shared/contract/networks';
import type { RegisterQuote } from '@shared/contract/bittensor';
import { startChopsticks, TAO, type ChopsticksChain } from '../../helpers/chopsticks';
import { tempDataDir } from '../../helpers/serve-process';
import { startPlatformReceiver, type PlatformReceiver } from '../../helpers/platform-receiver';

/**
 * Platform on Bittensor (issue 14 part 4) against the real subtensor runtime (spec 218, chopsticks
 * on loopback, fresh keys) and a Platform hub whose checks follow the public Platform code
 * (tests/helpers/platform-receiver.ts, with the citations): the profile names the hub and the
 * subnet; the challenges come from the hub's `/v1/registry`; joining needs a UID on the subnet
 * (registered by burn through the adapter); a submission signed `base-upload-v1` is accepted, and
 * the same bytes signed with the practice prefix are refused as the public hub refuses them.
 */
let chain: ChopsticksChain;
let core: Core | undefined;
let rx: PlatformReceiver;
const KDF = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 } as const;
const NETUID = 1;
const ID = 'platform-sn1-demo-challenge';

beforeAll(async () => {
  await cryptoWaitReady();
  chain = await startChopsticks();
  rx = await startPlatformReceiver(chain.url, NETUID);
}, 180_000);

afterAll(async () => {
  await core?.close();
  await rx?.close();
  await chain?.stop();
});

async function call<T>(method: string, input: unknown): Promise<T> {
  const reply = await (core as Core).router.call(method, input, { transport: 'test', clientId: 'platform-bt' });
  if (!reply.ok) throw Object.assign(new Error(`${method}: ${reply.error.code} ${reply.error.message}`), { code: reply.error.code });
  return reply.result as T;
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`${what}: gave up; last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('Platform challenges on the spec-218 runtime', () => {
  it('lists the hub’s challenges, joins once registered by burn, and a base-upload-v1 submission is accepted', async () => {
    const phrase = mnemonicGenerate(12);
    const coldkey = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(phrase).address;
    await chain.fund({ [coldkey]: 3n * TAO });
    core = createCore({ dataDir: tempDataDir('minerva-platform-bt-'), host: 'headless', version: 'test', logConsole: false });
    (core.vault.service as unknown as { kdf: unknown }).kdf = KDF;
    await call('vault.import', { password: 'orbit-lantern-walnut-cascade', source: { kind: 'mnemonic', phrase } });

    let view = await call<NetworksView>('networks.add', { kind: 'bittensor', preset: 'custom', endpoint: chain.url, name: 'Local subtensor' });
    const id = view.profiles[1]?.id ?? '';
    expect(view.profiles[1]?.settings).toEqual({ actionPrefix: 'base-upload-v1', connito: null, platform: null });
    await call('networks.select', { id });
    await expect(call('networks.configure', { id, platform: { hubUrl: 'http://hub.example.com', netuid: NETUID } })).rejects.toThrow(/VALIDATION .*https:\/\//);
    view = await call<NetworksView>('networks.configure', { id, platform: { hubUrl: rx.url, netuid: NETUID } });
    expect(view.profiles[1]?.settings?.platform).toEqual({ hubUrl: rx.url, netuid: NETUID });

    // Only the hub's active challenges are listed.
    const listed = await call<CompetitionsView>('competitions.list', { refresh: true });
    expect(listed.error).toBeNull();
    expect(listed.competitions.map((c) => ({ id: c.id, kind: c.kind, title: c.title, netuid: c.netuid, slug: c.slug }))).toEqual([
      { id: ID, kind: 'challenge', title: 'Demo challenge', netuid: NETUID, slug: 'demo-challenge' },
    ]);

    // Not registered on the subnet: the join says where to register; a submission is refused before sending.
    await call('competitions.join', { id: ID });
    const refused = await until('join refused', () => call<CompetitionsView>('competitions.list', {}), (v) => v.competitions[0]?.membership?.state === 'failed');
    expect(refused.competitions[0]?.membership?.error?.message).toMatch(/Register your hotkey on subnet 1 first: Settings → Bittensor/);
    const file = Buffer.from('print("hello, platform")\n');
    await expect(call('competitions.submit', { id: ID, fileName: 'agent.py', contentBase64: file.toString('base64') })).rejects.toThrow(/FORBIDDEN Join Demo challenge first/);
    expect(rx.accepted).toHaveLength(0);

    // Register by burn through the adapter (the Bittensor card's flow), then join.
    const quote = await call<RegisterQuote>('bittensor.quoteRegister', { netuid: NETUID });
    const done = await call<{ uid: number }>('bittensor.register', { netuid: NETUID, maxBurn: quote.burn });
    expect(done.uid).toBeGreaterThan(0);
    await call('competitions.retry', { id: ID });
    const joined = await until('joined', () => call<CompetitionsView>('competitions.list', {}), (v) => v.competitions[0]?.membership?.state === 'joined');
    expect(joined.competitions[0]?.membership?.hotkey).toBe(quote.hotkey);

    const sent = await call<ChallengeSubmissionView>('competitions.submit', { id: ID, fileName: 'agent.py', contentBase64: file.toString('base64'), contentType: 'text/x-python' });
    expect(sent).toMatchObject({ submissionId: 'sub-1', status: 'pending', hotkey: quote.hotkey, bytes: file.length, sha256: createHash('sha256').update(file).digest('hex') });
    expect(rx.refused).toEqual([]);
    expect(rx.accepted).toHaveLength(1);
    expect(rx.accepted[0]).toMatchObject({ hotkey: quote.hotkey, uid: done.uid, slug: 'demo-challenge', fileName: 'agent.py' });
    expect(rx.accepted[0]?.body.equals(file)).toBe(true);
    expect(rx.accepted[0]?.canonical).toMatch(new RegExp(`^base-upload-v1:1:demo-challenge:POST:/v1/challenges/demo-challenge/submissions:${quote.hotkey}:[0-9a-f]{32}:\\d+:${createHash('sha256').update(file).digest('hex')}$`));

    // The practice prefix is not what this hub verifies: refused with its own words.
    await call('networks.configure', { id, actionPrefix: 'platform-upload-v1' });
    await call('competitions.list', { refresh: true });
    await expect(call('competitions.submit', { id: ID, fileName: 'agent.py', contentBase64: file.toString('base64') })).rejects.toThrow(
      /UNAUTHENTICATED The Platform hub refused the signature: invalid signature\. This network signs with platform-upload-v1; the public Platform code checks base-upload-v1\. Choose the prefix the subnet names in Settings → Competitions on Local subtensor/,
    );
    expect(rx.refused).toEqual([{ status: 401, detail: 'invalid signature' }]);
    expect(rx.accepted).toHaveLength(1);
  }, 300_000);
});
