import { afterEach, describe, expect, it } from 'vitest';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { InferenceStatus } from '@shared/contract/inference';
import type { AppNotification } from '@shared/contract/updates';
import type { VaultOverview } from '@shared/contract/vault';
import { call, completion, COMPETITION, expectedCompletion, PASSWORD, startParties, untilStatus, waitFor, type Parties } from '../inference/harness';

/**
 * "Earning stopped" (issue 17) through a real core on the real practice network (chain, hub, and
 * a router whose allowed list this test sets, as allowed-list.test.ts does): while the
 * private-inference worker answers jobs — for longer than the grace time, asked every 200 ms —
 * nothing is posted; once the router refuses this miner, exactly one `notifications.posted` of
 * kind `earning-stopped` comes, no sooner than the grace time after the worker stopped, naming the
 * competition and the worker's own words, never the address; and it is not repeated while the
 * worker stays stopped.
 */
const CHECK_MS = 200;
const GRACE_MS = 2000;
const OTHER = `0x${'cd'.repeat(20)}`;

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

const worker = (s: InferenceStatus) => s.workers.find((w) => w.competitionId === COMPETITION);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('notifications: earning stopped', () => {
  it('posts nothing while the worker earns, then exactly one notification after the grace time once it stops', async () => {
    parties = await startParties({
      withRouter: false,
      env: {
        MINERVA_NOTIFY_EARNING_CHECK_MS: String(CHECK_MS),
        MINERVA_NOTIFY_EARNING_GRACE_MS: String(GRACE_MS),
        MINERVA_INFERENCE_POLL_WAIT_S: '1',
        MINERVA_INFERENCE_FORBIDDEN_RETRY_MS: '200',
        MINERVA_INFERENCE_BACKOFF_BASE_MS: '50',
        MINERVA_INFERENCE_BACKOFF_MAX_MS: '300',
      },
    });
    const { core, token, ownRouter: own } = parties;
    // The router this miner polls, restarted on the same port with another allowed list.
    const restart = (allowed: string) => own.restart(allowed);
    const posted: AppNotification[] = [];
    core.events.onAny((m) => {
      if (m.event === 'notifications.posted') posted.push(m.payload as AppNotification);
    });

    const overview = await call<VaultOverview>(core, 'vault.create', { password: PASSWORD });
    const eoa = overview.identities.find((i) => i.role === 'eoa')!.address;
    await restart(eoa);
    const view = await call<CompetitionsView>(core, 'competitions.list', { refresh: true });
    const title = view.competitions.find((c) => c.id === COMPETITION)?.title;
    expect(title).toBe('Private inference (practice)');
    await call(core, 'competitions.join', { id: COMPETITION });
    await untilStatus(core, (s) => worker(s)?.state === 'running');

    // Earning: real jobs answered through the model container, for well over the grace time.
    const earningFrom = Date.now();
    let answered = 0;
    while (Date.now() - earningFrom < 3 * GRACE_MS) {
      const prompt = `earning prompt ${answered}`;
      const r = await completion(own.running.url, token, prompt, 60);
      expect(r.json.output).toBe(expectedCompletion(prompt));
      answered += 1;
    }
    expect(worker(await call<InferenceStatus>(core, 'inference.status'))?.state).toBe('running');
    expect(posted).toEqual([]);

    // The router refuses this miner from now on: the worker stops earning.
    const stoppedFrom = Date.now();
    const notified = waitFor<AppNotification>(core, 'notifications.posted', (n) => n.kind === 'earning-stopped', 60_000);
    await restart(OTHER);
    await untilStatus(core, (s) => worker(s)?.state === 'forbidden');
    const n = await notified;
    expect(n).toMatchObject({
      kind: 'earning-stopped',
      title: 'Private inference (practice): not earning',
      body: "Minerva stopped doing its work for Private inference (practice). Refused: this address is not on the session's allowed list (session 101). Join again with this wallet or ask the operator.",
      href: '#/jobs',
    });
    // One occurrence: the id carries when the worker was first seen stopped, and the grace ran from there.
    const since = Number(/^earning-stopped:practice-inference:(\d+)$/.exec(n.id)?.[1]);
    expect(since).toBeGreaterThanOrEqual(stoppedFrom);
    expect(Date.parse(n.at) - since).toBeGreaterThanOrEqual(GRACE_MS);
    expect(JSON.stringify(n).toLowerCase()).not.toContain(eoa.toLowerCase());

    // Still stopped for another few grace times (dozens of checks): no second notification.
    await pause(3 * GRACE_MS);
    expect(worker(await call<InferenceStatus>(core, 'inference.status'))?.state).toBe('forbidden');
    expect(posted).toEqual([n]);
  }, 300_000);
});
