import type { BrowserContext, Page } from '@playwright/test';

export interface RecordedNotification {
  title: string;
  body: string;
}

/**
 * Grants the notification permission and records every `new Notification(…)` the page makes,
 * while still calling the browser's real constructor (so the page sees a real, allowed API).
 */
export async function recordBrowserNotifications(context: BrowserContext): Promise<void> {
  await context.grantPermissions(['notifications']);
  await context.addInitScript(() => {
    const Real = window.Notification;
    const seen: { title: string; body: string }[] = [];
    (window as unknown as { __notifications: typeof seen }).__notifications = seen;
    class Recording extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        seen.push({ title, body: options?.body ?? '' });
      }
    }
    Object.defineProperty(window, 'Notification', { value: Recording, configurable: true, writable: true });
  });
}

/** What the page has shown through the browser's Notification API so far. */
export const recordedNotifications = (page: Page): Promise<RecordedNotification[]> =>
  page.evaluate(() => (window as unknown as { __notifications: { title: string; body: string }[] }).__notifications);
