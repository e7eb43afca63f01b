import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * "Start Minerva when I log in" (opt-in, the `startAtLogin` setting), started hidden in the tray.
 * No `electron` import: `tray.ts` hands the plan to Electron; tests run it with a temp HOME
 * (tests/unit/electron/login-item.test.ts).
 *
 * macOS and Windows: Electron's `app.setLoginItemSettings` (a login item; on Windows the Run key
 * with `--hidden`). Linux: Electron has no login-item API, so Minerva writes its own XDG
 * autostart entry, `~/.config/autostart/io.minerva.desktop.desktop` (or under $XDG_CONFIG_HOME),
 * and removes only that file when turned off.
 */
export const HIDDEN_FLAG = '--hidden';
export const AUTOSTART_FILE = 'io.minerva.desktop.desktop';

export type LoginItemPlan =
  | { kind: 'electron'; settings: { openAtLogin: boolean; openAsHidden: boolean; args: string[]; path?: string } }
  | { kind: 'xdg-autostart'; enabled: boolean; exec: string[] };

export interface LaunchFacts {
  platform: string;
  /** process.execPath: the app itself when packaged, the Electron binary in development. */
  execPath: string;
  /** The AppImage's own path ($APPIMAGE): execPath points inside its temporary mount. */
  appImage?: string | undefined;
  packaged: boolean;
  /** app.getAppPath(), needed after the Electron binary in development. */
  appPath: string;
}

/** The command that starts this Minerva again, hidden. */
export function launchCommand(f: LaunchFacts): string[] {
  const program = f.appImage || f.execPath;
  return f.packaged ? [program, HIDDEN_FLAG] : [program, f.appPath, HIDDEN_FLAG];
}

export function loginItemPlan(enabled: boolean, f: LaunchFacts): LoginItemPlan {
  if (f.platform === 'linux') return { kind: 'xdg-autostart', enabled, exec: launchCommand(f) };
  const [path, ...args] = launchCommand(f);
  // Development runs the Electron binary: the login item must name it and the app's folder.
  return { kind: 'electron', settings: { openAtLogin: enabled, openAsHidden: true, args, ...(f.packaged ? {} : { path }) } };
}

/** The autostart folder of the XDG Base Directory spec ($XDG_CONFIG_HOME/autostart, else ~/.config/autostart). */
export function autostartDir(env: Record<string, string | undefined>, home: string): string {
  const config = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(config, 'autostart');
}

/**
 * One argument of `Exec=` per the Desktop Entry Spec: a literal `%` is `%%` (field codes); an
 * argument with spaces or reserved characters is double-quoted with `"`, `` ` ``, `$` and `\`
 * backslash-escaped, and then — the string escape applied before the quoting rule — every
 * backslash is doubled again.
 */
export function quoteExecArg(arg: string): string {
  const percent = arg.replace(/%/g, '%%');
  if (!/[\s"'\\`$<>~|&;*?#()=]/.test(arg)) return percent;
  const quoted = `"${percent.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`;
  return quoted.replace(/\\/g, '\\\\');
}

export function autostartEntry(exec: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Minerva',
    'Comment=Desktop miner, started hidden in the tray at login',
    `Exec=${exec.map(quoteExecArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    // Written by Minerva (Settings → Desktop app → Start at login); turning it off deletes this file.
    'X-Minerva-Autostart=true',
    '',
  ].join('\n');
}

/**
 * Writes or removes Minerva's autostart entry. Returns what it did. A file of that name that
 * Minerva did not write is left alone (and reported), so turning the setting off never deletes
 * someone else's entry.
 */
export function syncAutostart(dir: string, enabled: boolean, exec: readonly string[]): 'written' | 'unchanged' | 'removed' | 'absent' | 'not-ours' {
  const file = join(dir, AUTOSTART_FILE);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (current !== null && !current.includes('X-Minerva-Autostart=true')) return 'not-ours';
  if (!enabled) {
    if (current === null) return 'absent';
    rmSync(file);
    return 'removed';
  }
  const text = autostartEntry(exec);
  if (current === text) return 'unchanged';
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
  return 'written';
}
