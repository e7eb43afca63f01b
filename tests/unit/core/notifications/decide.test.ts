import { describe, expect, it } from 'vitest';
import { decide, initialNotifyState, type CheckpointFacts, type NotifyState, type Observation, type WorkFacts } from '../../../../src-main/core/notifications/decide';

const START = '2026-12-06T10:00:00.000Z';
const T0 = Date.parse(START);
const on = (nowMs = T0 + 1000) => ({ enabled: true, nowMs, earningGraceMs: 60_000 });

/** Runs observations in order; returns every notification and the last state. */
function run(observations: [Observation, { enabled: boolean; nowMs: number; earningGraceMs: number }][], state: NotifyState = initialNotifyState(START)) {
  const posted = [];
  for (const [o, options] of observations) {
    const result = decide(state, o, options);
    state = result.state;
    posted.push(...result.notifications);
  }
  return { posted, state };
}

const submission = (patch: Partial<CheckpointFacts>): CheckpointFacts => ({
  id: 'sub-1',
  competitionTitle: 'Practice checkpoints',
  fileName: 'model.safetensors',
  state: 'running',
  verdict: null,
  updatedAt: '2026-12-06T10:00:05.000Z',
  ...patch,
});

const worker = (running: boolean, patch: Partial<WorkFacts> = {}): WorkFacts => ({
  competitionId: 'pi-1',
  title: 'Practice inference',
  running,
  detail: running ? 'Answering jobs for session 1' : 'The router refused this miner (403). Check the allowed list.',
  href: '#/jobs',
  ...patch,
});

describe('notifications: wallet locked', () => {
  it('announces the idle, sleep and screen locks, with whether mining goes on', () => {
    const { posted } = run([
      [{ type: 'vault-locked', reason: 'idle', mining: true }, on(T0 + 1)],
      [{ type: 'vault-locked', reason: 'suspend', mining: false }, on(T0 + 2)],
      [{ type: 'vault-locked', reason: 'screen-locked', mining: true }, on(T0 + 3)],
    ]);
    expect(posted.map((n) => [n.kind, n.title, n.href])).toEqual([
      ['wallet-locked', 'Your wallet locked itself', '#/wallet'],
      ['wallet-locked', 'Your wallet locked itself', '#/wallet'],
      ['wallet-locked', 'Your wallet locked itself', '#/wallet'],
    ]);
    expect(posted[0]!.body).toBe('It locked after a while without activity. Mining goes on with the work keys; your coldkey and recovery phrase need the password.');
    expect(posted[1]!.body).toBe('It locked because the computer went to sleep, and mining stopped. Unlock it to continue earning.');
    expect(posted[2]!.body).toContain('because the screen was locked');
    expect(new Set(posted.map((n) => n.id)).size).toBe(3);
  });

  it('says nothing for the miner’s own Lock click or the app closing', () => {
    const { posted } = run([
      [{ type: 'vault-locked', reason: 'user', mining: false }, on()],
      [{ type: 'vault-locked', reason: 'closed', mining: false }, on()],
    ]);
    expect(posted).toEqual([]);
  });

  it('posts nothing while the setting is off, and does not announce it later', () => {
    const off = { ...on(T0 + 5), enabled: false };
    const { posted, state } = run([[{ type: 'vault-locked', reason: 'idle', mining: true }, off]]);
    expect(posted).toEqual([]);
    expect(run([[{ type: 'vault-locked', reason: 'idle', mining: true }, on(T0 + 5)]], state).posted).toEqual([]);
  });
});

describe('notifications: checkpoint verdict', () => {
  it('announces accepted once, with the score in words', () => {
    const accepted = submission({ state: 'accepted', verdict: { reason: null, score: 0.8125, words: 'Accepted: loss improved on the validator’s data.' }, updatedAt: '2026-12-06T10:01:00.000Z' });
    const { posted } = run([
      [{ type: 'checkpoint', submission: submission({ state: 'running' }) }, on()],
      [{ type: 'checkpoint', submission: submission({ state: 'waiting' }) }, on()],
      [{ type: 'checkpoint', submission: accepted }, on()],
      [{ type: 'checkpoint', submission: accepted }, on()],
    ]);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({
      id: 'checkpoint-verdict:sub-1',
      kind: 'checkpoint-verdict',
      title: 'Checkpoint accepted for Practice checkpoints',
      body: 'model.safetensors scored 0.813. Accepted: loss improved on the validator’s data.',
      href: '#/checkpoints',
    });
  });

  it('announces rejected with the reason', () => {
    const { posted } = run([[{ type: 'checkpoint', submission: submission({ state: 'rejected', verdict: { reason: 'hash mismatch', score: null, words: '' } }) }, on()]]);
    expect(posted.map((n) => [n.title, n.body])).toEqual([
      ['Checkpoint rejected for Practice checkpoints', 'model.safetensors: the validator said: hash mismatch. The Checkpoints page says what to do next.'],
    ]);
  });

  it('does not announce a verdict reached before this core started (a restart re-reading old rows)', () => {
    const old = submission({ state: 'accepted', verdict: { reason: null, score: 1, words: 'Accepted.' }, updatedAt: '2026-12-05T09:00:00.000Z' });
    expect(run([[{ type: 'checkpoint', submission: old }, on()]]).posted).toEqual([]);
  });

  it('does not announce a failed submission (an error the page shows, not a verdict)', () => {
    expect(run([[{ type: 'checkpoint', submission: submission({ state: 'failed' }) }, on()]]).posted).toEqual([]);
  });
});

describe('notifications: update ready', () => {
  it('announces a version once', () => {
    const { posted } = run([
      [{ type: 'update-ready', version: '1.4.0' }, on()],
      [{ type: 'update-ready', version: '1.4.0' }, on()],
    ]);
    expect(posted.map((n) => [n.id, n.title, n.href])).toEqual([['update-ready:1.4.0', 'Minerva 1.4.0 is ready to install', '#/settings']]);
  });
});

describe('notifications: earning stopped', () => {
  const work = (running: boolean, walletCanWork = true, patch: Partial<WorkFacts> = {}): Observation => ({ type: 'work', competitions: [worker(running, patch)], walletCanWork });

  it('is edge-triggered: running, then stopped past the grace time, announced once', () => {
    const { posted } = run([
      [work(true), on(T0)],
      [work(false), on(T0 + 10_000)],
      [work(false), on(T0 + 40_000)], // within the grace time: a retry is not news
      [work(false), on(T0 + 70_000)],
      [work(false), on(T0 + 100_000)],
      [work(false), on(T0 + 400_000)],
    ]);
    expect(posted.map((n) => [n.kind, n.title, n.href])).toEqual([['earning-stopped', 'Practice inference: not earning', '#/jobs']]);
    expect(posted[0]!.body).toBe('Minerva stopped doing its work for Practice inference. The router refused this miner (403). Check the allowed list.');
  });

  it('a stop that recovers within the grace time says nothing; a second real stop is a new occurrence', () => {
    const { posted } = run([
      [work(true), on(T0)],
      [work(false), on(T0 + 10_000)],
      [work(true), on(T0 + 20_000)],
      [work(false), on(T0 + 30_000)],
      [work(false), on(T0 + 100_000)],
      [work(true), on(T0 + 110_000)],
      [work(false), on(T0 + 120_000)],
      [work(false), on(T0 + 200_000)],
    ]);
    expect(posted.map((n) => n.id)).toEqual([`earning-stopped:pi-1:${T0 + 30_000}`, `earning-stopped:pi-1:${T0 + 120_000}`]);
  });

  it('never for a worker that was not seen running (starting up), nor while the wallet cannot work', () => {
    expect(run([[work(false), on(T0)], [work(false), on(T0 + 500_000)]]).posted).toEqual([]);
    const locked = run([
      [work(true), on(T0)],
      [work(false, false), on(T0 + 10_000)],
      [work(false, false), on(T0 + 500_000)],
      // unlocked again: the worker gets its grace time before it is news
      [work(false, true), on(T0 + 510_000)],
    ]);
    expect(locked.posted).toEqual([]);
  });

  it('forgets a competition that was left', () => {
    const { posted } = run([
      [work(true), on(T0)],
      [{ type: 'work', competitions: [], walletCanWork: true }, on(T0 + 10_000)],
      [work(false), on(T0 + 500_000)],
    ]);
    expect(posted).toEqual([]);
  });
});
