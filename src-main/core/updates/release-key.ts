/**
 * The Minerva release key's public half (Ed25519, base64 of the raw 32 bytes), pinned in the app:
 * an update is installed only if its feed's channel file is signed by the matching private key
 * (docs/updates.md: how a release is signed, and how the key is made and kept). Null until the
 * project's release key is generated; a build without it refuses every update with
 * UPDATE_NOT_CONFIGURED, in words. `MINERVA_UPDATE_PUBLIC_KEY` replaces it (tests, private builds).
 */
export const RELEASE_PUBLIC_KEY: string | null = null;

/** The project's update feed (electron-updater's generic layout). Null until releases are published. */
export const RELEASE_FEED_URL: string | null = null;
