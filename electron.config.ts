// electron-builder configuration, typed (`electron-builder --config electron.config.ts`), checked
// without an Electron binary by tests/unit/electron/builder-config.test.ts (electron-builder's own
// schema, each target's required fields, every icon at every size, what is packed).
// Releases: .github/workflows/release.yml and docs/release.md. Signing and notarization come from
// the environment only (CSC_LINK, WIN_CSC_LINK, APPLE_API_KEY…); nothing secret is written here.
import type { Configuration } from 'electron-builder';
import { releaseFields } from './build/release-fields.cjs';

/** Every Electron fuse, explicitly: `Required` makes a fuse electron-builder adds a type error here. */
type Fuses = Required<NonNullable<Configuration['electronFuses']>>;
const electronFuses: Fuses = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
  resetAdHocDarwinSignature: false,
};

// The deb's Homepage and Maintainer (fpm refuses to build without them) and the feed's address come
// from package.json's "minervaRelease" (build/release-fields.cjs): placeholders under .invalid
// until it is filled, which a release build (MINERVA_RELEASE=1) refuses (docs/release.md).
const { homepage, maintainer, author, publishUrl } = releaseFields();

const config: Configuration = {
  appId: 'io.minerva.desktop',
  productName: 'Minerva',
  copyright: 'Copyright © 2026 the Minerva authors',
  directories: { output: 'release', buildResources: 'build' },
  artifactName: '${productName}-${version}-${os}-${arch}.${ext}',
  // Into the packed package.json: the deb's Homepage, and the author (Windows' company name).
  extraMetadata: { homepage, author },
  // Only the built app goes in: the minified bundles, the UI and the package manifest. Sources,
  // tests and scripts are never matched; source maps stay beside the package for symbolicating
  // crash reports (scripts/symbolicate.mjs); a build machine's V8 code cache is of no use.
  // From node_modules electron-builder takes the production dependencies only — the two that are
  // not bundled (better-sqlite3, dockerode; tests/integration/build/size-budget.test.ts) — minus
  // better-sqlite3's C sources and object files (the compiled .node is what loads).
  files: [
    'dist/node/**',
    'dist/renderer/**',
    'package.json',
    '!**/*.map',
    '!**/.code-cache/**',
    '!**/node_modules/better-sqlite3/{deps,src}/**',
    '!**/node_modules/better-sqlite3/build/Release/{obj,obj.target,.deps,test_extension.node}/**',
    '!**/node_modules/@types/**',
  ],
  // Demo models and the tray icons (resources/tray, from scripts/make-icons.mjs).
  extraResources: [{ from: 'resources', to: 'resources', filter: ['**/*', '!**/README.md'] }],
  asar: true,
  // Native modules cannot load from inside the asar.
  asarUnpack: ['**/node_modules/better-sqlite3/**', '**/*.node'],
  // better-sqlite3 stays built for Node in development and tests; it is rebuilt for Electron's
  // ABI only here, when packaging.
  npmRebuild: true,
  nodeGypRebuild: false,
  electronFuses,
  // Refuses to finish a release (MINERVA_RELEASE=1) that is not signed, or on macOS not notarized.
  afterSign: 'build/after-sign.cjs',
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Utility',
    icon: 'build/icons',
    executableName: 'minerva',
    synopsis: 'Desktop miner for decentralized AI networks',
    description: 'Desktop miner for decentralized AI networks — safe by default, with a built-in practice network.',
    maintainer,
    vendor: 'Minerva',
  },
  deb: { priority: 'optional', artifactName: '${name}_${version}_${arch}.${ext}' },
  appImage: { artifactName: '${productName}-${version}-${arch}.${ext}' },
  mac: {
    target: [{ target: 'dmg', arch: ['x64', 'arm64'] }],
    category: 'public.app-category.utilities',
    icon: 'build/icon.icns',
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
    // electron-builder's notarization (@electron/notarize), run when APPLE_API_KEY,
    // APPLE_API_KEY_ID and APPLE_API_ISSUER are set (docs/release.md).
    notarize: true,
  },
  // The dmg only carries the signed, notarized app; signing the image itself is not needed.
  dmg: { sign: false, title: '${productName} ${version}' },
  win: {
    target: [{ target: 'nsis', arch: ['x64'] }],
    icon: 'build/icon.ico',
    // The certificate comes from WIN_CSC_LINK / WIN_CSC_KEY_PASSWORD (never a file named here).
    signtoolOptions: { signingHashAlgorithms: ['sha256'], rfc3161TimeStampServer: 'http://timestamp.digicert.com' },
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    installerIcon: 'build/icon.ico',
    uninstallerIcon: 'build/icon.ico',
    createDesktopShortcut: true,
    shortcutName: 'Minerva',
    // Uninstalling never deletes the wallet, the database or the logs.
    deleteAppDataOnUninstall: false,
  },
  // The update feed's channel files (latest-linux.yml, latest.yml, latest-mac.yml; docs/updates.md):
  // electron-builder writes them only when a publish provider is configured (with `publish: null` it
  // writes none). `generic` names each file relative to the feed; the release workflow passes
  // `--publish never`, so nothing is uploaded from here — the files are signed and uploaded by hand
  // (scripts/sign-update-feed.mjs, docs/release.md).
  publish: { provider: 'generic', url: publishUrl },
};

export default config;
