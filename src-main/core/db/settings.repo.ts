import { DEFAULT_SETTINGS, settingsSchema, type Settings, type SettingsPatch } from '@shared/contract/settings';
import type { Db } from './open';

/**
 * Settings as one row per key (JSON value). Reading applies the schema: a stored value that no
 * longer parses falls back to its default, and the caller is told which keys did.
 */
export class SettingsRepo {
  constructor(private readonly db: Db) {}

  read(): { settings: Settings; invalidKeys: string[] } {
    const rows = this.db.prepare('SELECT key, value_json FROM settings').all() as { key: string; value_json: string }[];
    const raw: Record<string, unknown> = {};
    for (const row of rows) {
      if (!(row.key in DEFAULT_SETTINGS)) continue;
      try {
        raw[row.key] = JSON.parse(row.value_json);
      } catch {
        raw[row.key] = undefined;
      }
    }
    const invalidKeys: string[] = [];
    const settings = { ...DEFAULT_SETTINGS } as Record<string, unknown>;
    for (const [key, value] of Object.entries(raw)) {
      const field = settingsSchema.shape[key as keyof Settings];
      const parsed = field.safeParse(value);
      if (parsed.success) settings[key] = parsed.data;
      else invalidKeys.push(key);
    }
    return { settings: settings as Settings, invalidKeys };
  }

  update(patch: SettingsPatch, at: string): Settings {
    const upsert = this.db.prepare(
      'INSERT INTO settings (key, value_json, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at',
    );
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(patch)) {
        if (value !== undefined) upsert.run(key, JSON.stringify(value), at);
      }
    })();
    return this.read().settings;
  }
}
