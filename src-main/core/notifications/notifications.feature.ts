import type { CheckpointSubmissionView } from '@shared/contract/checkpoints';
import type { AppNotification } from '@shared/contract/updates';
import { numberField, type ConfigSchema } from '../kernel/config';
import { defineFeature, type FeatureContext } from '../kernel/feature';
import type { WorkReporter } from '../module-deps';
import { decide, initialNotifyState, type NotifyState, type Observation, type WorkFacts } from './decide';

export const notificationsConfig = {
  earningCheckMs: numberField({
    default: 30_000,
    min: 200,
    max: 3_600_000,
    int: true,
    env: 'MINERVA_NOTIFY_EARNING_CHECK_MS',
    doc: 'How often the notifications feature asks the workers of joined competitions whether they are doing their work (ms).',
  }),
  earningGraceMs: numberField({
    default: 120_000,
    min: 0,
    max: 86_400_000,
    int: true,
    env: 'MINERVA_NOTIFY_EARNING_GRACE_MS',
    doc: 'How long a worker that was running must stay stopped before "not earning" is announced (ms; a short retry is not news).',
  }),
} satisfies ConfigSchema;

/** Where each kind of competition shows its work (the page a notification opens). */
const WORK_PAGES: Record<string, string> = { 'private-inference': '#/jobs', 'model-runner': '#/runner' };

/**
 * OS notifications for what a miner must know (decide.ts says what and when): core posts
 * `notifications.posted` while Settings → "Show notifications" is on, and the hosts show it —
 * the desktop app through Electron's Notification, `minerva serve`'s page through the browser's.
 */
export const notificationsFeature = defineFeature({
  name: 'notifications',
  config: notificationsConfig,
  create(ctx) {
    const notifier = createNotifier(ctx);
    return {
      start: () => notifier.start(),
      close: () => notifier.close(),
    };
  },
});

function createNotifier(ctx: FeatureContext<{ earningCheckMs: number; earningGraceMs: number }>) {
  const competitions = ctx.use('competitions');
  const reporters: WorkReporter[] = [ctx.use('inference'), ctx.use('runner')];
  const titles = new Map<string, string>();
  let state: NotifyState = initialNotifyState(ctx.now().toISOString());
  let timer: NodeJS.Timeout | undefined;
  const offs: (() => void)[] = [];
  let closed = false;
  // Checkpoint changes are observed in order, even when a title must be looked up first.
  let checkpoints: Promise<void> = Promise.resolve();

  const observe = (observation: Observation): void => {
    if (closed) return;
    const result = decide(state, observation, { enabled: ctx.settings().notifications, nowMs: ctx.now().getTime(), earningGraceMs: ctx.config.earningGraceMs });
    state = result.state;
    for (const n of result.notifications) post(n);
  };
  const post = (n: AppNotification): void => {
    ctx.log.info('notification posted', { kind: n.kind, id: n.id });
    ctx.ui.emit('notifications.posted', n);
  };
  const title = async (competitionId: string): Promise<string> => {
    const known = titles.get(competitionId);
    if (known) return known;
    try {
      const found = (await competitions.entry(competitionId)).entry.title;
      titles.set(competitionId, found);
      return found;
    } catch {
      return competitionId;
    }
  };
  const checkpoint = async (view: CheckpointSubmissionView): Promise<void> => {
    const competitionTitle = await title(view.competitionId);
    observe({ type: 'checkpoint', submission: { id: view.id, competitionTitle, fileName: view.fileName, state: view.state, verdict: view.verdict, updatedAt: view.updatedAt } });
  };
  const checkWork = async (): Promise<void> => {
    let joined;
    try {
      joined = (await competitions.activeMemberships()).filter((m) => m.state === 'joined' && m.kind in WORK_PAGES);
    } catch {
      return; // no network yet: the next round asks again
    }
    const facts: WorkFacts[] = [];
    for (const m of joined) {
      const worker = reporters.map((r) => r.workerState(m.competitionId, m.kind)).find((s) => s !== null);
      if (!worker) continue;
      facts.push({ competitionId: m.competitionId, title: await title(m.competitionId), running: worker.running, detail: worker.detail, href: WORK_PAGES[m.kind] ?? '#/rewards' });
    }
    observe({ type: 'work', competitions: facts, walletCanWork: ctx.gate.isUnlocked() });
  };

  return {
    start(): void {
      offs.push(
        ctx.domain.on('vault.locked', ({ reason, mining }) => observe({ type: 'vault-locked', reason, mining })),
        ctx.domain.on('checkpoints.changed', (view) => {
          checkpoints = checkpoints.then(() => checkpoint(view)).catch((error: unknown) => ctx.log.warn('checkpoint change not observed', { error }));
        }),
        ctx.domain.on('updates.ready', ({ version }) => observe({ type: 'update-ready', version })),
      );
      timer = setInterval(() => void checkWork(), ctx.config.earningCheckMs);
      timer.unref?.();
    },
    close(): void {
      closed = true;
      if (timer) clearInterval(timer);
      offs.splice(0).forEach((off) => off());
    },
  };
}
