import { AppError } from '@shared/contract/errors';
import type { EarningVerdict, RewardsView } from '@shared/contract/rewards';
import type { VaultOverview } from '@shared/contract/vault';
import { AppService } from './app.service';
import { defineFeature, type FeatureContext } from './kernel/feature';
import type { CallContext } from './rpc/handlers';

/** How long health waits for the earning verdicts (a chain that does not answer must not hold it up). */
const EARNING_TIMEOUT_MS = 4_000;

/**
 * Facts about this running app (`app.info`, `app.health`) and the live log (`logs.tail`). Health
 * includes key safety (the vault's critical warnings) and earning ("work done, nothing paid"),
 * read through the contract's own handlers as the UI would see them.
 */
export const appFeature = defineFeature({
  name: 'app',
  create(ctx) {
    const app = new AppService({ info: ctx.host.info, db: ctx.db, startedAt: Date.now() });
    const off = ctx.logger.onEntry((entry) => ctx.ui.emit('logs.appended', entry));
    return {
      handlers: {
        'app.info': () => app.info(),
        'app.health': async (_input, caller) => app.health({ warnings: await warnings(ctx, caller), earning: await earning(ctx, caller) }),
        // Only the user's own terminal (the control endpoint) may make a sign-in address, never a browser.
        'app.loginLink': (_input, call) => {
          if (call.transport !== 'control') throw new AppError('FORBIDDEN', 'A sign-in address is made only for the terminal: run `minerva open` on this computer.');
          if (!ctx.host.loginLinks) throw new AppError('UNAVAILABLE', 'This Minerva is the desktop app: it has its own window and no browser address. Start `minerva serve` for a browser.');
          return ctx.host.loginLinks.issue();
        },
        'logs.tail': (query) => ({ entries: ctx.logger.tail(query) }),
      },
      close: off,
    };
  },
});

async function warnings(ctx: Pick<FeatureContext<unknown>, 'handlers'>, caller: CallContext): Promise<VaultOverview['warnings'] | undefined> {
  try {
    return (await ctx.handlers()['vault.status']({}, caller)).warnings;
  } catch {
    return undefined;
  }
}

async function earning(ctx: Pick<FeatureContext<unknown>, 'handlers'>, caller: CallContext): Promise<EarningVerdict[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const read = Promise.resolve<RewardsView>(ctx.handlers()['rewards.get']({ range: 'day' }, caller));
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), EARNING_TIMEOUT_MS)));
    return (await Promise.race([read, late]))?.earning;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
