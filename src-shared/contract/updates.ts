import { z } from 'zod';
import { event, method } from './define';
import type { HostKind } from './app';

/**
 * App updates (src-main/core/updates, docs/updates.md). Core checks a signed feed, downloads the
 * update beside the app and verifies it; the desktop app installs it when the miner chooses to
 * restart. `minerva serve` has no installer: it shows what is available and that the desktop app
 * updates itself.
 */
export type UpdateState = 'idle' | 'checking' | 'up-to-date' | 'downloading' | 'available' | 'ready' | 'error';

export interface UpdateStatus {
  current: string;
  host: HostKind;
  /** This host installs updates itself (the desktop app with an installer). */
  canInstall: boolean;
  /** A feed and a release key are configured in this build. */
  configured: boolean;
  /**
   * A standing warning: updates are checked against a key that is not the release key pinned in
   * this build (`MINERVA_UPDATE_PUBLIC_KEY`, for tests and private builds). Null with the release key.
   */
  keyWarning: string | null;
  state: UpdateState;
  /** The newer version the feed offers (signature checked). */
  available: { version: string; releaseDate: string | null; notes: string | null } | null;
  /** 0..1 while downloading. */
  progress: number | null;
  /** The state in one sentence, with what to do next. */
  words: string;
  error: { code: string; message: string } | null;
  checkedAt: string | null;
  /** The last update or rollback of this data folder. */
  last: { from: string; to: string; at: string; outcome: 'updated' | 'rolled-back'; detail: string } | null;
}

export const updatesMethods = {
  'updates.status': method<UpdateStatus>()({ input: z.object({}).strict(), summary: 'This version, what the update feed offers, and whether an update is ready to install.' }),
  'updates.check': method<UpdateStatus>()({
    input: z.object({}).strict(),
    summary: 'Check the signed feed now; the desktop app also downloads and verifies a newer version (never installs it).',
  }),
  'updates.restart': method<{ restarting: true }>()({
    input: z.object({}).strict(),
    summary: 'Install the verified update and restart (desktop app only; the miner chooses when).',
  }),
};

export const updatesEvents = {
  'updates.changed': event<UpdateStatus>('An update check, download or verification moved on.'),
};

/** What a miner must know, as a notification (honouring Settings → "Show notifications"). */
export type NotificationKind = 'earning-stopped' | 'wallet-locked' | 'checkpoint-verdict' | 'update-ready';

export interface AppNotification {
  /** Stable per occurrence (the same thing is not announced twice). */
  id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  /** The page that shows it (`#/…`), opened when the notification is clicked. */
  href: string;
  at: string;
}

export const notificationsEvents = {
  'notifications.posted': event<AppNotification>('Something a miner must know happened (only while "Show notifications" is on).'),
};
