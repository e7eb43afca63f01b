import { AppService } from './app.service';
import { defineFeature } from './kernel/feature';

/** Facts about this running app (`app.info`, `app.health`) and the live log (`logs.tail`). */
export const appFeature = defineFeature({
  name: 'app',
  create(ctx) {
    const app = new AppService({ info: ctx.host.info, db: ctx.db, startedAt: Date.now() });
    const off = ctx.logger.onEntry((entry) => ctx.ui.emit('logs.appended', entry));
    return {
      handlers: {
        'app.info': () => app.info(),
        'app.health': () => app.health(),
        'logs.tail': (query) => ({ entries: ctx.logger.tail(query) }),
      },
      close: off,
    };
  },
});
