import { numberField, stringField, type ConfigSchema, type ConfigValues } from '../kernel/config';
import { RELEASE_FEED_URL, RELEASE_PUBLIC_KEY } from './release-key';

/** Where updates come from and how often the app looks (printed by `minerva config --json`). */
export const updatesConfig = {
  feedUrl: stringField({
    default: RELEASE_FEED_URL,
    env: 'MINERVA_UPDATE_FEED_URL',
    doc: 'The update feed (electron-updater generic layout: latest-linux.yml, latest-mac.yml, latest.yml, each with a .sig). https, or http on loopback for tests.',
  }),
  publicKey: stringField({
    default: RELEASE_PUBLIC_KEY,
    env: 'MINERVA_UPDATE_PUBLIC_KEY',
    doc: 'The Ed25519 public key (base64, 32 bytes) the feed must be signed with; default: the release key pinned in this build.',
  }),
  checkEveryMs: numberField({
    default: 6 * 3_600_000,
    min: 0,
    max: 7 * 86_400_000,
    int: true,
    env: 'MINERVA_UPDATE_CHECK_EVERY_MS',
    doc: 'How often the app checks the feed by itself (ms; 0: only when asked in Settings → Updates). The first check is a minute after start.',
  }),
} satisfies ConfigSchema;

export type UpdatesConfig = ConfigValues<typeof updatesConfig>;
