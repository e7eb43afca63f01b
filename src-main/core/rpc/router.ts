import { randomUUID } from 'node:crypto';
import { methods, isMethodName, type RpcReply } from '@shared/contract';
import { AppError, isAppError } from '@shared/contract/errors';
import type { ScopedLogger } from '../log/logger';
import type { CallContext, Handlers } from './handlers';

/**
 * The one router: validate input against the contract → call the handler → envelope.
 * It never throws. Only an AppError's code and message cross; anything else becomes INTERNAL with
 * a reference id that the log carries. Sensitive methods are logged by name and duration only.
 */
export interface Router {
  call(method: unknown, input: unknown, ctx: CallContext): Promise<RpcReply>;
}

export function createRouter(handlers: Handlers, log: ScopedLogger): Router {
  return {
    async call(method, rawInput, ctx) {
      const started = performance.now();
      if (!isMethodName(method)) {
        log.warn('unknown method', { method: typeof method === 'string' ? method.slice(0, 64) : typeof method, client: ctx.clientId });
        return { ok: false, error: { code: 'VALIDATION', message: 'Unknown request. The app and its window may be different versions; reload the window.' } };
      }
      const def = methods[method];
      const parsed = def.input.safeParse(rawInput ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
        log.info('invalid input', { method, where, client: ctx.clientId });
        return { ok: false, error: { code: 'VALIDATION', message: `Invalid input${where}: ${issue?.message ?? 'check the values and try again'}.` } };
      }
      try {
        const handler = handlers[method] as (input: unknown, ctx: CallContext) => unknown;
        const result = await handler(parsed.data, ctx);
        log.debug('call', { method, ms: Math.round(performance.now() - started), ...(def.sensitive ? { sensitive: true } : {}) });
        return { ok: true, result };
      } catch (error) {
        const ms = Math.round(performance.now() - started);
        if (isAppError(error)) {
          log.info('call failed', { method, code: error.code, ms, ...(def.sensitive ? {} : { details: error.details }) });
          return { ok: false, error: { code: error.code, message: error.message } };
        }
        const ref = randomUUID().slice(0, 8);
        log.error('call crashed', { method, ref, ms, error: def.sensitive ? { name: (error as Error)?.name } : error, stack: def.sensitive ? undefined : (error as Error)?.stack });
        return { ok: false, error: { code: 'INTERNAL', message: `Something went wrong inside Minerva (reference ${ref}). The log has the details.` } };
      }
    },
  };
}

export { AppError };
