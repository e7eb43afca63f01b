'use strict';
// electron-builder `afterSign` hook (electron.config.ts). electron-builder signs with the
// certificate in CSC_LINK / CSC_KEY_PASSWORD (WIN_CSC_LINK / WIN_CSC_KEY_PASSWORD on Windows) and
// notarizes on macOS (mac.notarize) when Apple's credentials are in the environment; without them
// it quietly produces an unsigned app. That is fine for a local `npm run dist`, never for a release:
// with MINERVA_RELEASE=1 (set by .github/workflows/release.yml) this hook stops the build and says
// which secret is missing. It reads only whether variables are set, never their values. A release
// also stops while package.json's "minervaRelease" still lacks a value (release-fields.cjs).
const { releaseFieldProblems } = require('./release-fields.cjs');

/** The notarization credentials electron-builder accepts (any one complete set). */
const APPLE_CREDENTIALS = [
  ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'],
  ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'],
  ['APPLE_KEYCHAIN', 'APPLE_KEYCHAIN_PROFILE'],
];

const isSet = (env, name) => typeof env[name] === 'string' && env[name] !== '';

/**
 * What keeps a release for `platform` ('darwin', 'win32', 'linux') from being signed (and on macOS
 * notarized), in words, or null when nothing does or this is not a release build.
 */
function releaseSigningProblem(platform, env) {
  if (env.MINERVA_RELEASE !== '1') return null;
  if (platform === 'darwin') {
    if (!isSet(env, 'CSC_LINK') && !isSet(env, 'CSC_NAME')) return 'macOS release: no signing certificate. Set the MAC_CSC_LINK and MAC_CSC_KEY_PASSWORD secrets (docs/release.md).';
    if (!APPLE_CREDENTIALS.some((set) => set.every((name) => isSet(env, name)))) return 'macOS release: the app was signed but cannot be notarized. Set APPLE_API_KEY, APPLE_API_KEY_ID and APPLE_API_ISSUER (docs/release.md).';
  }
  if (platform === 'win32') {
    const azure = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'].every((name) => isSet(env, name));
    if (!isSet(env, 'WIN_CSC_LINK') && !isSet(env, 'CSC_LINK') && !azure) return 'Windows release: no code-signing certificate. Set the WIN_CSC_LINK and WIN_CSC_KEY_PASSWORD secrets (docs/release.md).';
  }
  return null;
}

async function afterSign(context) {
  const problem = releaseSigningProblem(context.electronPlatformName, process.env);
  if (problem) throw new Error(problem);
  const missing = releaseFieldProblems(undefined, process.env);
  if (missing.length > 0) throw new Error(`Release: ${missing.join(' ')}`);
}

module.exports = { default: afterSign, afterSign, releaseSigningProblem, APPLE_CREDENTIALS };
