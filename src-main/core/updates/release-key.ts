declare const __MINERVA_RELEASE_PUBLIC_KEY__: string | null | undefined;
declare const __MINERVA_UPDATE_FEED_URL__: string | null | undefined;

/**
 * The Minerva release key's public half (Ed25519, base64 of the raw 32 bytes), pinned in the app:
 * an update is installed only if its feed's channel file is signed by the matching private key
 * (docs/updates.md: how a release is signed, and how the key is made and kept). It comes from
 * package.json's `minervaRelease.updatePublicKey`, put in by scripts/build.mjs (esbuild `define`,
 * as the version) — the one place a release fills (build/release-fields.cjs, docs/release.md).
 * Null until the project's release key is generated, and in tests (sources, no build); a build
 * without it refuses every update with UPDATE_NOT_CONFIGURED, in words, and a release build
 * (MINERVA_RELEASE=1) stops without it. `MINERVA_UPDATE_PUBLIC_KEY` replaces it (tests, private builds).
 */
export const RELEASE_PUBLIC_KEY: string | null = typeof __MINERVA_RELEASE_PUBLIC_KEY__ === 'string' ? __MINERVA_RELEASE_PUBLIC_KEY__ : null;

/** The project's update feed (electron-updater's generic layout), from `minervaRelease.updateFeedUrl`. Null until releases are published. */
export const RELEASE_FEED_URL: string | null = typeof __MINERVA_UPDATE_FEED_URL__ === 'string' ? __MINERVA_UPDATE_FEED_URL__ : null;
