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
 * the same bytes signed with the practice prefix are refused as the public hub refuses them. Then
 * core follows a submission's status after the first answer (the hub's unsigned status route,
 * PRISM's answers): progress, a dead hub (typed error in words, the last known status kept, bounded
 * questions), a restart (resumed from the database) and the final verdict.
 */
let chain: ChopsticksChain;
let core: Core | undefined;
let rx: PlatformReceiver;
let dataDir: string;
let hotkeyAddress = '';
const PASSWORD = 'orbit-lantern-walnut-cascade';
const KDF = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 } as const;
const NETUID = 1;
const ID = 'platform-sn1-demo-challenge';

// Status questions every 200 ms, doubling to 800 ms; four unanswered ones in a row stop them.
const ENV = { MINERVA_COMPETITIONS_STATUS_POLL_BASE_MS: '200', MINERVA_COMPETITIONS_STATUS_POLL_MAX_MS: '800', MINERVA_COMPETITIONS_STATUS_MAX_FAILURES: '4' };

beforeAll(async () => {
  Object.assign(process.env, ENV);
  await cryptoWaitReady();
  chain = await startChopsticks();
  rx = await startPlatformReceiver(chain.url, NETUID);
}, 180_000);

afterAll(async () => {
  for (const key of Object.keys(ENV)) delete process.env[key];
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
    dataDir = tempDataDir('minerva-platform-bt-');
    core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false });
    (core.vault.service as unknown as { kdf: unknown }).kdf = KDF;
    await call('vault.import', { password: PASSWORD, source: { kind: 'mnemonic', phrase } });

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
    hotkeyAddress = quote.hotkey;
    expect(sent).toMatchObject({ status: 'pending', hotkey: quote.hotkey, bytes: file.length, sha256: createHash('sha256').update(file).digest('hex'), following: 'following', score: null, error: null });
    expect(sent.submissionId).toBe(rx.accepted[0]?.id);
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

  it('follows a submission’s status after the hub’s first answer: progress, a dead hub, a restart, the verdict', async () => {
    const file = Buffer.from('print("scored, please")\n');
    const profileId = (await call<NetworksView>('networks.list', {})).selectedId;
    await call('networks.configure', { id: profileId, actionPrefix: 'base-upload-v1' });
    await call('competitions.list', { refresh: true });
    const submissions = async () => (await call<CompetitionsView>('competitions.list', {})).competitions[0]?.submissions ?? [];
    const mine = async (id: string) => (await submissions()).find((s) => s.submissionId === id);

    // The first test's submission, still followed: the challenge's evaluation fails, with its words.
    const first = rx.accepted[0]?.id ?? '';
    rx.evaluate(first, { status: 'failed', error: 'Traceback: NameError' });
    expect(await until('first failed', () => mine(first), (s) => s?.following === 'done')).toMatchObject({ status: 'failed', reason: 'Traceback: NameError', score: null });

    const sent = await call<ChallengeSubmissionView>('competitions.submit', { id: ID, fileName: 'agent.py', contentBase64: file.toString('base64'), contentType: 'text/x-python' });
    const id = sent.submissionId ?? '';
    expect(rx.submission(id)).toMatchObject({ status: 'pending', hotkey: hotkeyAddress, code_hash: createHash('sha256').update(file.toString('base64')).digest('hex') });
    expect(sent).toMatchObject({ status: 'pending', following: 'following' });
    expect(Date.parse(sent.nextCheckAt ?? '')).toBeGreaterThan(Date.parse(sent.at));
    // The newest first, the earlier (still followed) one after it.
    expect((await submissions()).map((s) => s.submissionId)).toEqual([id, first]);

    // The challenge starts on it: the next question brings the new status, unsigned, on the hub's status route.
    rx.evaluate(id, { status: 'running' });
    const running = await until('running', () => mine(id), (s) => s?.status === 'running' && s.checkedAt !== sent.checkedAt);
    expect(running).toMatchObject({ following: 'following', error: null, score: null });
    expect(rx.statusAsked.some((q) => q.path === `/v1/challenges/demo-challenge/submissions/${id}` && q.status === 200)).toBe(true);

    // The challenge container unreachable behind the hub (502): a typed error in words, the status kept.
    rx.setChallengeReachable(false);
    const unreachable = await until('502 seen', () => mine(id), (s) => Boolean(s?.error));
    expect(unreachable).toMatchObject({ status: 'running', following: 'following', error: { code: 'UNAVAILABLE' } });
    expect(unreachable?.error?.message).toBe('The Platform hub had a problem (Challenge unavailable). The status shown is the last one the hub gave; Minerva asks again.');
    rx.setChallengeReachable(true);
    await until('answered again', () => mine(id), (s) => s !== undefined && s.error === null);

    // The hub itself dead: asked a bounded number of times, then Minerva stops asking and says so.
    await rx.stopListening();
    const stopped = await until('stopped asking', () => mine(id), (s) => s?.following === 'stopped', 30_000);
    expect(stopped).toMatchObject({ status: 'running', nextCheckAt: null, error: { code: 'UNAVAILABLE' } });
    expect(stopped?.error?.message).toMatch(/^The Platform hub is not answering \(connection refused\)\. Minerva asked 4 times in a row without an answer and stopped; the status shown is the last one the hub gave\. Check again once the hub is back\.$/);

    // A second submission is followed while core stops; the verdict arrives while it is down, and
    // the next core (same data folder) resumes from the database and reads it. The stopped one stays stopped.
    await rx.listenAgain();
    const second = await call<ChallengeSubmissionView>('competitions.submit', { id: ID, fileName: 'agent2.py', contentBase64: Buffer.from('print(2)\n').toString('base64'), contentType: 'text/x-python' });
    const id2 = second.submissionId ?? '';
    await (core as Core).close();
    core = undefined;
    const askedWhileDown = rx.statusAsked.length;
    rx.evaluate(id2, { status: 'completed', final_score: 0.8125, q_arch: 0.9, q_recipe: 0.6, anti_cheat_multiplier: 1, diversity_bonus: 0, penalty: 0 });
    rx.evaluate(id, { status: 'rejected', error: 'l1: model.py defines no build_model()' });
    core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false });
    const scored = await until('resumed and scored', () => mine(id2), (s) => s?.status === 'completed');
    expect(scored).toMatchObject({ following: 'done', score: 0.8125, reason: null, error: null, nextCheckAt: null });
    expect(await mine(id)).toMatchObject({ status: 'running', following: 'stopped' });
    expect(rx.statusAsked.slice(askedWhileDown).every((q) => q.path.endsWith(id2))).toBe(true);

    // Check again: asked at once, and the challenge's final word (rejected, with its reason) is kept.
    const again = await call<ChallengeSubmissionView>('competitions.checkSubmission', { id: ID, submissionId: id });
    expect(again).toMatchObject({ following: 'following', error: { code: 'UNAVAILABLE' } });
    const rejected = await until('rejected', () => mine(id), (s) => s?.following === 'done');
    expect(rejected).toMatchObject({ status: 'rejected', reason: 'l1: model.py defines no build_model()', score: null, error: null });

    // Final statuses are not asked about again.
    const asked = rx.statusAsked.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.statusAsked.length).toBe(asked);
    await expect(call('competitions.checkSubmission', { id: ID, submissionId: 'not-mine' })).rejects.toThrow(/NOT_FOUND Minerva sent no such submission/);
  }, 120_000);

  it('a followed submission rests while another network is selected, also across a restart, and resumes when its network is selected again', async () => {
    const home = (await call<NetworksView>('networks.list', {})).selectedId;
    await call('vault.unlock', { password: PASSWORD }); // the core restarted by the test before starts locked
    const submissions = async () => (await call<CompetitionsView>('competitions.list', {})).competitions[0]?.submissions ?? [];
    const askedAbout = (id: string) => rx.statusAsked.filter((q) => q.path === `/v1/challenges/demo-challenge/submissions/${id}`).length;
    const before = (await submissions()).map((s) => s.submissionId);
    const sent = await call<ChallengeSubmissionView>('competitions.submit', { id: ID, fileName: 'agent3.py', contentBase64: Buffer.from('print(3)\n').toString('base64'), contentType: 'text/x-python' });
    const id = sent.submissionId ?? '';
    rx.evaluate(id, { status: 'running' });
    await until('asked once', () => Promise.resolve(askedAbout(id)), (n) => n > 0);

    // Every event core sends to the pages from here on.
    const events: { event: string; payload: unknown }[] = [];
    const listen = () => (core as Core).events.onAny((m) => events.push({ event: m.event, payload: m.payload }));
    let off = listen();

    // Another network: the same chain reached by another address, a profile with no Platform hub.
    const added = await call<NetworksView>('networks.add', { kind: 'bittensor', preset: 'custom', endpoint: chain.url.replace('127.0.0.1', 'localhost'), name: 'Other subtensor' });
    const other = added.profiles.find((p) => p.name === 'Other subtensor')?.id ?? '';
    expect(other).not.toBe(home);
    await call('networks.select', { id: other });
    // A question in flight when the selection changed may still land; after the longest wait (800 ms) none does.
    await new Promise((r) => setTimeout(r, 1200));
    const askedBeforeRest = askedAbout(id);
    rx.evaluate(id, { status: 'completed', final_score: 0.5, q_arch: 0.5, q_recipe: 0.5, anti_cheat_multiplier: 1, diversity_bonus: 0, penalty: 0 });
    await new Promise((r) => setTimeout(r, 2000));
    expect(askedAbout(id)).toBe(askedBeforeRest);
    const otherView = await call<CompetitionsView>('competitions.list', {});
    expect(otherView.networkId).toBe(other);
    expect(otherView.error).toBeNull();

    // Core restarts with the other network still selected: nothing is asked, nothing fails.
    off();
    await (core as Core).close();
    core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false });
    off = listen();
    expect((await call<NetworksView>('networks.list', {})).selectedId).toBe(other);
    expect((await call<CompetitionsView>('competitions.list', {})).error).toBeNull();
    await new Promise((r) => setTimeout(r, 1500));
    expect(askedAbout(id)).toBe(askedBeforeRest);

    // Its network selected again (no page lists the competitions: as under `minerva serve`): the
    // rested submission is asked about at once and its verdict read.
    await call('networks.select', { id: home });
    await until('asked again', () => Promise.resolve(askedAbout(id)), (n) => n > askedBeforeRest, 10_000);
    const scored = await until('scored', async () => (await submissions()).find((s) => s.submissionId === id), (s) => s?.following === 'done', 10_000);
    expect(scored).toMatchObject({ status: 'completed', score: 0.5, error: null, nextCheckAt: null });
    // Nothing was lost on the way: every earlier submission is still listed, newest first.
    expect((await submissions()).map((s) => s.submissionId)).toEqual([id, ...before]);
    off();

    // No error reached the pages meanwhile: the resting submission was never shown as failed or stopped.
    const views = events.filter((e) => e.event === 'competitions.changed').map((e) => e.payload as CompetitionsView);
    expect(views.filter((v) => v.error !== null)).toEqual([]);
    expect(views.flatMap((v) => v.competitions.flatMap((c) => c.submissions)).filter((s) => s.error !== null || s.following === 'stopped').map((s) => s.submissionId)).not.toContain(id);
    expect(events.filter((e) => e.event === 'notifications.posted')).toEqual([]);
  }, 120_000);

  it('Check again on a submission Minerva stopped following for its age asks the hub again and reads its verdict; the time it was sent stays', async () => {
    // A follow window of 1.5 s for this core (the default is 48 h).
    await (core as Core).close();
    process.env.MINERVA_COMPETITIONS_STATUS_FOLLOW_MS = '1500';
    try {
      core = createCore({ dataDir, host: 'headless', version: 'test', logConsole: false });
      await call('vault.unlock', { password: PASSWORD });
      const mine = async (id: string) => (await call<CompetitionsView>('competitions.list', {})).competitions[0]?.submissions.find((s) => s.submissionId === id);
      const askedAbout = (id: string) => rx.statusAsked.filter((q) => q.path === `/v1/challenges/demo-challenge/submissions/${id}`).length;
      const sent = await call<ChallengeSubmissionView>('competitions.submit', { id: ID, fileName: 'agent4.py', contentBase64: Buffer.from('print(4)\n').toString('base64'), contentType: 'text/x-python' });
      const id = sent.submissionId ?? '';
      const aged = await until('stopped for its age', () => mine(id), (s) => s?.following === 'stopped', 15_000);
      expect(aged).toMatchObject({ status: 'pending', error: { code: 'TIMEOUT' } });

      // Before: the new window was never saved, so the flow stopped again at once without asking.
      const asked = askedAbout(id);
      rx.evaluate(id, { status: 'completed', final_score: 0.25, q_arch: 0.5, q_recipe: 0.5, anti_cheat_multiplier: 1, diversity_bonus: 0, penalty: 0 });
      expect(await call<ChallengeSubmissionView>('competitions.checkSubmission', { id: ID, submissionId: id })).toMatchObject({ following: 'following', at: sent.at });
      const scored = await until('read after Check again', () => mine(id), (s) => s?.following !== 'following', 10_000);
      expect(scored).toMatchObject({ following: 'done', status: 'completed', score: 0.25, error: null, at: sent.at });
      expect(askedAbout(id)).toBeGreaterThan(asked);
    } finally {
      delete process.env.MINERVA_COMPETITIONS_STATUS_FOLLOW_MS;
    }
  }, 60_000);
});
