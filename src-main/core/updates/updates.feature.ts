import { defineFeature } from '../kernel/feature';
import { RELEASE_PUBLIC_KEY } from './release-key';
import { updatesConfig } from './updates.config';
import { UpdatesService } from './updates.service';

declare module '../kernel/domain-events' {
  interface DomainEventMap {
    /** A newer version is downloaded and verified; it installs when the miner restarts. */
    'updates.ready': { version: string };
  }
}

/** Updates: the signed feed, the verified download, and the restart the miner chooses (docs/updates.md). */
export const updatesFeature = defineFeature({
  name: 'updates',
  config: updatesConfig,
  create(ctx) {
    const updates = new UpdatesService({
      dataDir: ctx.dataDir,
      current: ctx.host.info.version,
      host: ctx.host.info.host,
      platform: process.platform,
      feedUrl: ctx.config.feedUrl,
      publicKey: ctx.config.publicKey,
      pinnedKey: RELEASE_PUBLIC_KEY,
      installer: ctx.host.updater,
      ...(ctx.host.noUpdaterWords ? { noInstallerWords: ctx.host.noUpdaterWords } : {}),
      log: ctx.log,
      now: ctx.now,
      onChange: (status) => ctx.ui.emit('updates.changed', status),
      onReady: (version) => ctx.domain.emit('updates.ready', { version }),
    });
    return {
      handlers: {
        'updates.status': () => updates.status(),
        'updates.check': () => updates.check(),
        'updates.restart': () => updates.restart(),
      },
      start: () => updates.start(ctx.config.checkEveryMs),
      close: () => updates.stop(),
    };
  },
});
