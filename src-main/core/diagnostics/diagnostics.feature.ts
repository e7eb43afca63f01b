import { join } from 'node:path';
import { methods, type MethodName } from '@shared/contract';
import { defineFeature } from '../kernel/feature';
import type { CallContext } from '../rpc/handlers';
import { buildDiagnostics, readForBundle } from './bundle';

/** How long one section of the bundle may take (a chain that does not answer must not hold it up). */
const READ_TIMEOUT_MS = 5_000;

/**
 * `diagnostics.export`: the support bundle (bundle.ts). It reads the app through the contract's
 * own handlers, as the UI would, so it sees nothing the UI could not; it comes last in the list.
 */
export const diagnosticsFeature = defineFeature({
  name: 'diagnostics',
  create(ctx) {
    const read = (caller: CallContext) => (method: string, input: unknown = {}) =>
      readForBundle(() => {
        const name = method as MethodName;
        const handler = ctx.handlers()[name] as (input: unknown, caller: CallContext) => unknown;
        return Promise.resolve(handler(methods[name].input.parse(input), caller));
      }, READ_TIMEOUT_MS);
    return {
      handlers: {
        'diagnostics.export': async (_input, caller) => {
          const bundle = await buildDiagnostics({
            redactor: ctx.logger.redactor,
            logsDir: join(ctx.dataDir, 'logs'),
            now: ctx.now(),
            read: read(caller),
            extra: {
              // Keyed by field name, so that the redactor hides any field whose name says it is secret.
              configuration: () => Object.fromEntries(ctx.configuration().map((e) => [e.key, { value: e.value, source: e.source, ...(e.ignored ? { ignored: e.ignored } : {}) }])),
              flows: () => ctx.flows.status(),
            },
          });
          ctx.log.info('diagnostics bundle written', { bytes: bundle.bytes, files: bundle.files.length, client: caller.clientId });
          return bundle;
        },
      },
    };
  },
});
