import { describe, expect, it } from 'vitest';
import { methods, type MethodName } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import { createLogger } from '@core/log/logger';
import { createRouter } from '@core/rpc/router';
import type { Handlers } from '@core/rpc/handlers';

const ctx = { transport: 'test' as const, clientId: 't1' };

function setup(overrides: Partial<Record<MethodName, (input: unknown) => unknown>> = {}) {
  const lines: string[] = [];
  const log = createLogger({ console: (line) => lines.push(line), level: 'debug' });
  const handlers = Object.fromEntries(
    (Object.keys(methods) as MethodName[]).map((name) => [name, overrides[name] ?? (() => ({ echoed: name }))]),
  ) as unknown as Handlers;
  return { router: createRouter(handlers, log.scope('rpc')), lines };
}

describe('rpc router', () => {
  it('answers a known method with {ok:true,result}', async () => {
    const { router } = setup();
    await expect(router.call('app.info', {}, ctx)).resolves.toEqual({ ok: true, result: { echoed: 'app.info' } });
  });

  it.each([['nope.method'], [''], [42], [null], [{ toString: () => 'app.info' }], ['__proto__'], ['constructor']])(
    'refuses an unknown method %j with VALIDATION, never a throw',
    async (name) => {
      const { router } = setup();
      const reply = await router.call(name, {}, ctx);
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('VALIDATION');
    },
  );

  it.each([
    ['settings.update', { theme: 'purple' }],
    ['settings.update', { autoLockMinutes: -1 }],
    ['settings.update', { unknownKey: true }],
    ['logs.tail', { limit: 0 }],
    ['logs.tail', { limit: 'ten' }],
    ['app.info', { extra: 1 }],
    ['app.info', 'not an object'],
  ])('refuses invalid input for %s %j with VALIDATION', async (method, input) => {
    const { router } = setup();
    const reply = await router.call(method, input, ctx);
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('VALIDATION');
      expect(reply.error.message).toMatch(/^Invalid input/);
    }
  });

  it('applies schema defaults before the handler runs', async () => {
    let seen: unknown;
    const { router } = setup({ 'logs.tail': (input) => ((seen = input), { entries: [] }) });
    await router.call('logs.tail', undefined, ctx);
    expect(seen).toEqual({ limit: 200, minLevel: 'debug' });
  });

  it('passes an AppError through as code and message only', async () => {
    const { router } = setup({
      'app.health': () => {
        throw new AppError('VAULT_LOCKED', 'Unlock your wallet first.', { details: { internal: 'x' } });
      },
    });
    await expect(router.call('app.health', {}, ctx)).resolves.toEqual({ ok: false, error: { code: 'VAULT_LOCKED', message: 'Unlock your wallet first.' } });
  });

  it('turns any other error into INTERNAL with a reference the log carries', async () => {
    const { router, lines } = setup({
      'app.health': () => {
        throw new TypeError('db handle exploded at /secret/internal/path');
      },
    });
    const reply = await router.call('app.health', {}, ctx);
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.code).toBe('INTERNAL');
    expect(reply.error.message).not.toContain('exploded');
    const ref = /reference ([0-9a-f]{8})/.exec(reply.error.message)?.[1];
    expect(ref).toBeDefined();
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; fields?: { ref?: string } }).find((l) => l.msg === 'call crashed');
    expect(logged?.fields?.ref).toBe(ref);
  });

  it('never logs the input or the error text of a sensitive method', async () => {
    // Make a sensitive copy of a method for this test only.
    const original = methods['settings.update'];
    (methods as Record<string, unknown>)['settings.update'] = { ...original, sensitive: true };
    try {
      const { router, lines } = setup({
        'settings.update': () => {
          throw new Error('hunter2-password-in-message');
        },
      });
      await router.call('settings.update', { theme: 'dark' }, ctx);
      const text = lines.join('\n');
      expect(text).toContain('call crashed');
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('dark');
    } finally {
      (methods as Record<string, unknown>)['settings.update'] = original;
    }
  });
});
