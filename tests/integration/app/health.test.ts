/**
 * `app.health` in core (issue 16 part 6): key safety and earning are part of health for every
 * caller — the Dashboard, `minerva` over the control socket, the diagnostics bundle — not only
 * combined in the renderer. A real core on a real SQLite file; no network is selected that answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import type { RpcReply } from '@shared/contract';
import type { AppHealth } from '@shared/contract/app';
import { earningCheck, keySafetyCheck } from '@core/app.service';
import type { EarningVerdict } from '@shared/contract/rewards';
import { tempDir } from '../../unit/vault/helpers';

let core: Core;
const data = tempDir('health-data');
const home = tempDir('health-home');

async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const reply: RpcReply = await core.router.call(method, input, { transport: 'test', clientId: 'health-test' });
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
}

beforeAll(() => {
  core = createCore({ dataDir: data.path, host: 'headless', version: 'test', logConsole: false, homeDir: home.path });
});
afterAll(async () => {
  await core.close();
  data.cleanup();
  home.cleanup();
});

describe('app.health', () => {
  it('is degraded while a critical key-safety warning stands, and says which', async () => {
    const before = await call<AppHealth>('app.health');
    expect(before.checks.find((c) => c.id === 'key safety')).toMatchObject({ ok: true });
    await call('vault.create', { password: 'password123', acceptWeak: true });
    const after = await call<AppHealth>('app.health');
    const keys = after.checks.find((c) => c.id === 'key safety');
    expect(keys?.ok).toBe(false);
    expect(keys?.detail).toMatch(/password/i);
    expect(keys?.detail).toContain('see Wallet & Security');
    expect(after.status).toBe('degraded');
    // The database and disk checks are still there.
    expect(after.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['database', 'disk', 'key safety']));
    // No secret in what health says.
    expect(JSON.stringify(after)).not.toContain('password123');
  });
});

describe('health checks of key safety and earning', () => {
  const verdict = (state: EarningVerdict['state'], words: string): EarningVerdict => ({ competitionId: 'c', title: 'C', kind: 'private-inference', state, words, next: null, fix: null });

  it('fails earning on "work done, nothing paid" and passes it while paid or waiting', () => {
    expect(earningCheck([verdict('unpaid', '170 jobs reported, nothing paid.')])).toEqual({ id: 'earning', ok: false, detail: '170 jobs reported, nothing paid.' });
    expect(earningCheck([verdict('paid', 'x'), verdict('waiting', 'y')])).toMatchObject({ ok: true, detail: 'Work done is being paid.' });
    expect(earningCheck([verdict('idle', 'x')])).toMatchObject({ ok: true, detail: 'No work is waiting for a payment.' });
  });

  it('fails key safety on a critical warning only', () => {
    const w = (severity: 'critical' | 'warning' | 'info', title: string) => ({ id: 'weak-password' as const, severity, title, reason: 'r', fix: { action: 'change-password' as const, label: 'Change' } });
    expect(keySafetyCheck([w('warning', 'A warning')]).ok).toBe(true);
    expect(keySafetyCheck([w('critical', 'Weak password'), w('critical', 'Keys on disk')])).toEqual({ id: 'key safety', ok: false, detail: 'Weak password; Keys on disk (see Wallet & Security)' });
  });
});
