import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTOSTART_FILE, autostartDir, autostartEntry, launchCommand, loginItemPlan, quoteExecArg, syncAutostart } from '../../../src-main/electron/login-item';
import { tempDir } from '../vault/helpers';

const homes: { cleanup(): void }[] = [];
afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));
function home(): string {
  const h = tempDir('login-home');
  homes.push(h);
  return h.path;
}

describe('start at login', () => {
  it('asks Electron for a hidden login item on macOS and Windows, and the autostart entry on Linux', () => {
    const packed = { execPath: 'C:\\Program Files\\Minerva\\Minerva.exe', packaged: true, appPath: 'C:\\Program Files\\Minerva\\resources\\app.asar' };
    expect(loginItemPlan(true, { ...packed, platform: 'win32' })).toEqual({ kind: 'electron', settings: { openAtLogin: true, openAsHidden: true, args: ['--hidden'] } });
    expect(loginItemPlan(false, { ...packed, platform: 'darwin' })).toEqual({ kind: 'electron', settings: { openAtLogin: false, openAsHidden: true, args: ['--hidden'] } });
    // Development: the Electron binary, then the app's folder.
    expect(loginItemPlan(true, { platform: 'darwin', execPath: '/repo/node_modules/electron/dist/Electron', packaged: false, appPath: '/repo' })).toEqual({
      kind: 'electron',
      settings: { openAtLogin: true, openAsHidden: true, args: ['/repo', '--hidden'], path: '/repo/node_modules/electron/dist/Electron' },
    });
    expect(loginItemPlan(true, { platform: 'linux', execPath: '/tmp/.mount_Minerva/minerva', appImage: '/home/ana/Minerva.AppImage', packaged: true, appPath: '/x' })).toEqual({
      kind: 'xdg-autostart',
      enabled: true,
      exec: ['/home/ana/Minerva.AppImage', '--hidden'],
    });
    expect(launchCommand({ platform: 'linux', execPath: '/opt/Minerva/minerva', packaged: true, appPath: '/x' })).toEqual(['/opt/Minerva/minerva', '--hidden']);
  });

  it('uses $XDG_CONFIG_HOME when it is an absolute path, else ~/.config', () => {
    expect(autostartDir({ XDG_CONFIG_HOME: '/home/ana/cfg' }, '/home/ana')).toBe('/home/ana/cfg/autostart');
    expect(autostartDir({ XDG_CONFIG_HOME: 'relative' }, '/home/ana')).toBe('/home/ana/.config/autostart');
    expect(autostartDir({}, '/home/ana')).toBe('/home/ana/.config/autostart');
  });

  it('quotes Exec arguments as the Desktop Entry Spec says', () => {
    expect(quoteExecArg('/opt/Minerva/minerva')).toBe('/opt/Minerva/minerva');
    expect(quoteExecArg('/home/ana/My Apps/Minerva.AppImage')).toBe('"/home/ana/My Apps/Minerva.AppImage"');
    expect(quoteExecArg('/home/ana/100%/m')).toBe('/home/ana/100%%/m');
    // `$` and `"` escaped by the quoting rule; a backslash becomes four (string escape, then quoting).
    expect(quoteExecArg('/a b/$x"y')).toBe('"/a b/\\\\$x\\\\"y"');
    expect(quoteExecArg('/a\\b')).toBe('"/a\\\\\\\\b"');
  });

  it('writes its own entry in a temp HOME, rewrites it when the program moved, and removes only its own file', () => {
    const dir = autostartDir({}, home());
    const file = join(dir, AUTOSTART_FILE);
    expect(syncAutostart(dir, false, ['/opt/Minerva/minerva', '--hidden'])).toBe('absent');
    expect(existsSync(dir)).toBe(false);
    expect(syncAutostart(dir, true, ['/opt/Minerva/minerva', '--hidden'])).toBe('written');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('[Desktop Entry]\nType=Application\nName=Minerva\n');
    expect(text).toContain('\nExec=/opt/Minerva/minerva --hidden\n');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(syncAutostart(dir, true, ['/opt/Minerva/minerva', '--hidden'])).toBe('unchanged');
    expect(syncAutostart(dir, true, ['/home/ana/Minerva 2.AppImage', '--hidden'])).toBe('written');
    expect(readFileSync(file, 'utf8')).toContain('\nExec="/home/ana/Minerva 2.AppImage" --hidden\n');
    expect(syncAutostart(dir, false, [])).toBe('removed');
    expect(existsSync(file)).toBe(false);
  });

  it('leaves a same-named entry it did not write alone', () => {
    const dir = autostartDir({}, home());
    mkdirSync(dir, { recursive: true });
    const theirs = '[Desktop Entry]\nType=Application\nName=Something else\nExec=/usr/bin/else\n';
    writeFileSync(join(dir, AUTOSTART_FILE), theirs);
    expect(syncAutostart(dir, false, [])).toBe('not-ours');
    expect(syncAutostart(dir, true, ['/opt/Minerva/minerva'])).toBe('not-ours');
    expect(readFileSync(join(dir, AUTOSTART_FILE), 'utf8')).toBe(theirs);
    expect(autostartEntry(['/x'])).toContain('X-Minerva-Autostart=true');
  });
});
