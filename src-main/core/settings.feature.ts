import type { Settings, SettingsPatch } from '@shared/contract/settings';
import { SettingsRepo } from './db/settings.repo';
import { defineFeature } from './kernel/feature';

/** Settings: stored values with defaults, changed by any client, announced to UIs and features. */
export interface SettingsApi {
  get(): Settings;
  update(patch: SettingsPatch, actor?: 'user' | 'app'): Settings;
}

declare module './kernel/feature' {
  interface FeatureApis {
    settings: SettingsApi;
  }
}

declare module './kernel/domain-events' {
  interface DomainEventMap {
    'settings.changed': Settings;
  }
}

export const settingsFeature = defineFeature({
  name: 'settings',
  create(ctx) {
    const repo = new SettingsRepo(ctx.db);
    const initial = repo.read();
    if (initial.invalidKeys.length > 0) ctx.log.warn('stored settings reset to defaults', { keys: initial.invalidKeys });
    let settings = initial.settings;
    ctx.logger.setLevel(settings.logLevel);
    const update = (patch: SettingsPatch, actor: 'user' | 'app' = 'user'): Settings => {
      settings = repo.update(patch, ctx.now().toISOString());
      ctx.logger.setLevel(settings.logLevel);
      ctx.audit.append({ at: ctx.now().toISOString(), actor, action: 'settings.update', detail: { keys: Object.keys(patch) } });
      ctx.log.info('settings changed', { keys: Object.keys(patch) });
      ctx.ui.emit('settings.changed', settings);
      ctx.domain.emit('settings.changed', settings);
      return settings;
    };
    return {
      api: { get: () => settings, update },
      handlers: {
        'settings.get': () => settings,
        'settings.update': (patch) => update(patch),
      },
    };
  },
});
