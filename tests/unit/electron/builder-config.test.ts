import { describe, expect, it } from 'vitest';
import config from '../../../electron.config';

describe('electron-builder configuration', () => {
  it('sets every Electron fuse explicitly, to the safe value', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
      resetAdHocDarwinSignature: false,
    });
  });
  it('packs into an asar with native modules unpacked and rebuilt only when packaging', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('**/node_modules/better-sqlite3/**');
    expect(config.npmRebuild).toBe(true);
  });
  it('targets AppImage and deb, dmg and NSIS, with the icon in build/', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.directories?.buildResources).toBe('build');
    expect(config.linux?.icon).toBe('build/icon.png');
  });
  it('ships only the built app, never sources or maps', () => {
    expect(config.files).toEqual(['dist/node/**', 'dist/renderer/**', 'package.json', '!**/*.map', '!**/.code-cache/**']);
  });
});
