import { describe, expect, it } from 'vitest';
import type { AppNotification } from '@shared/contract/updates';
import { clickUrl, notificationOptions } from '../../../src-main/electron/notifications';
import { APP_ORIGIN } from '../../../src-main/electron/security';

const n = (patch: Partial<AppNotification>): AppNotification => ({ id: 'x', kind: 'wallet-locked', title: 'Your wallet locked itself', body: 'It locked after a while without activity.', href: '#/wallet', at: '2026-12-06T10:00:00.000Z', ...patch });

describe('Electron notifications (pure parts)', () => {
  it('maps a notification to Electron options: a sound only for a lock or stopped earning', () => {
    expect(notificationOptions(n({}))).toEqual({ title: 'Your wallet locked itself', body: 'It locked after a while without activity.', silent: false });
    expect(notificationOptions(n({ kind: 'earning-stopped' })).silent).toBe(false);
    expect(notificationOptions(n({ kind: 'checkpoint-verdict' })).silent).toBe(true);
    expect(notificationOptions(n({ kind: 'update-ready' })).silent).toBe(true);
    expect(notificationOptions(n({ title: 't'.repeat(500), body: 'b'.repeat(1000) }))).toMatchObject({ title: 't'.repeat(120), body: 'b'.repeat(400) });
  });

  it('a click opens the notification’s page of the app, never another address', () => {
    expect(clickUrl('#/checkpoints')).toBe(`${APP_ORIGIN}/index.html#/checkpoints`);
    expect(clickUrl('https://evil.example/')).toBe(`${APP_ORIGIN}/index.html#/dashboard`);
    expect(clickUrl('#/x"><script>')).toBe(`${APP_ORIGIN}/index.html#/dashboard`);
  });
});
