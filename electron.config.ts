// electron-builder configuration, typed (`electron-builder --config electron.config.ts`).
// Every Electron fuse is set explicitly; tests/unit/electron/builder-config.test.ts pins them.
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'io.minerva.desktop',
  productName: 'Minerva',
  copyright: 'Copyright © 2026 the Minerva authors',
  directories: { output: 'release', buildResources: 'build' },
  // Only the built app goes in: bundles, the UI and the package manifest (for native modules).
  files: ['dist/node/**', 'dist/renderer/**', 'package.json', '!**/*.map', '!**/.code-cache/**'],
  extraResources: [{ from: 'resources', to: 'resources', filter: ['**/*', '!**/README.md'] }],
  asar: true,
  // Native modules cannot load from inside the asar.
  asarUnpack: ['**/node_modules/better-sqlite3/**', '**/*.node'],
  // better-sqlite3 stays built for Node in development and tests; it is rebuilt for Electron's
  // ABI only here, when packaging.
  npmRebuild: true,
  nodeGypRebuild: false,
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
    resetAdHocDarwinSignature: false,
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Utility',
    icon: 'build/icon.png',
    synopsis: 'Desktop miner for decentralized AI networks',
  },
  deb: { priority: 'optional' },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.utilities',
    icon: 'build/icon.png',
    hardenedRuntime: true,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
  },
  win: { target: ['nsis'], icon: 'build/icon.png' },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
  publish: null,
};

export default config;
