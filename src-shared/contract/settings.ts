import { z } from 'zod';
import { event, method } from './define';

/**
 * Settings with their defaults. Safe by default: auto-lock on (15 min). Adding a setting: give it
 * a default here; stored values that no longer parse fall back to the default (and are logged).
 */
export const settingsSchema = z.object({
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  /** Minutes of inactivity before the vault locks; 0 means never (shows a standing warning). */
  autoLockMinutes: z.number().int().min(0).max(24 * 60).default(15),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Developer mode relaxes image-reference rules (PROTOCOLS §7); shown as a warning. */
  developerMode: z.boolean().default(false),
  /** Id of the selected network profile; `practice` is the built-in practice network. */
  network: z.string().min(1).max(64).default('practice'),
  notifications: z.boolean().default(true),
  /** Mining mode: the idle lock keeps the work keys (hotkey, EOA, runner wallet) so jobs go on; the coldkey is locked. */
  keepMiningWhenLocked: z.boolean().default(true),
  /** Desktop app: closing the window hides it to the tray / menu bar and mining goes on; Quit (tray or menu) ends it. Not used by `minerva serve`. */
  closeToTray: z.boolean().default(true),
  /** Desktop app: start hidden in the tray when you log in (opt-in). Not used by `minerva serve`. */
  startAtLogin: z.boolean().default(false),
});

export type Settings = z.infer<typeof settingsSchema>;
export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

export const settingsPatchSchema = z
  .object({
    theme: settingsSchema.shape.theme.unwrap(),
    autoLockMinutes: settingsSchema.shape.autoLockMinutes.unwrap(),
    logLevel: settingsSchema.shape.logLevel.unwrap(),
    developerMode: settingsSchema.shape.developerMode.unwrap(),
    network: settingsSchema.shape.network.unwrap(),
    notifications: settingsSchema.shape.notifications.unwrap(),
    keepMiningWhenLocked: settingsSchema.shape.keepMiningWhenLocked.unwrap(),
    closeToTray: settingsSchema.shape.closeToTray.unwrap(),
    startAtLogin: settingsSchema.shape.startAtLogin.unwrap(),
  })
  .partial()
  .strict();

export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const settingsMethods = {
  'settings.get': method<Settings>()({ input: z.object({}).strict(), summary: 'Current settings with defaults applied.' }),
  'settings.update': method<Settings>()({ input: settingsPatchSchema, summary: 'Change some settings; returns them all.' }),
};

export const settingsEvents = {
  'settings.changed': event<Settings>('Settings were changed (by any client).'),
};
