import type { AppNotification } from '@shared/contract/updates';
import { APP_ORIGIN } from './security';

/**
 * Core's `notifications.posted` as Electron notification options and the window address a click
 * opens. Pure, unit-tested (tests/unit/electron/notifications.test.ts); main.ts only calls
 * `new Notification(…)` with them.
 */
export function notificationOptions(n: AppNotification): { title: string; body: string; silent: boolean } {
  // Only a lock while away and a stopped earner are worth a sound; verdicts and updates are quiet.
  return { title: n.title.slice(0, 120), body: n.body.slice(0, 400), silent: !(n.kind === 'wallet-locked' || n.kind === 'earning-stopped') };
}

/** The app's page a click opens (only `#/page`; anything else opens the dashboard). */
export function clickUrl(href: string): string {
  return `${APP_ORIGIN}/index.html${/^#\/[a-z-]+$/.test(href) ? href : '#/dashboard'}`;
}
