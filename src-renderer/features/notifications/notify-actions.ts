import type { AppNotification } from '@shared/contract/updates';
import { rpc } from '../../rpc';
import { useStore } from '../../store/store';

/**
 * Headless (`minerva serve`): core's `notifications.posted` shown through the browser's
 * Notification API when this browser allows it, else as an in-app message (never lost). The
 * desktop app shows them from Electron's main process, so its window shows none (no doubles).
 * Permission is asked only from the Settings button (a user gesture), never on load.
 */
export type BrowserPermission = 'granted' | 'denied' | 'default' | 'unsupported';

export function browserPermission(): BrowserPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks the browser (call from a click only). */
export async function askBrowserPermission(): Promise<BrowserPermission> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

/** What to do with a posted notification on this host: nothing (desktop), the browser's, or a message. */
export function deliveryFor(host: 'electron' | 'headless' | undefined, permission: BrowserPermission): 'none' | 'browser' | 'toast' {
  if (host === 'electron') return 'none';
  return permission === 'granted' ? 'browser' : 'toast';
}

/** Only the app's own pages (`#/page`), never another address. */
export function safeHref(href: string): string {
  return /^#\/[a-z-]+$/.test(href) ? href : '#/dashboard';
}

function show(n: AppNotification): void {
  const delivery = deliveryFor(useStore.getState().app.info?.host, browserPermission());
  if (delivery === 'none') return;
  if (delivery === 'browser') {
    try {
      const shown = new Notification(n.title, { body: n.body, tag: n.id });
      shown.onclick = () => {
        window.focus();
        window.location.hash = safeHref(n.href);
        shown.close();
      };
      return;
    } catch {
      // some browsers only show notifications from a service worker: fall through to the message
    }
  }
  useStore.getState().pushToast('info', `${n.title}. ${n.body}`, { label: 'Show', href: safeHref(n.href) });
}

let started = false;

export function startNotifications(): void {
  if (started) return;
  started = true;
  rpc().on('notifications.posted', show);
}
