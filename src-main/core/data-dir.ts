import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '@shared/contract/errors';

/**
 * Where Minerva keeps its data: `--data-dir`, else `MINERVA_DATA_DIR`, else the platform's
 * app-data folder (the same folder Electron's `app.getPath('userData')` gives for "Minerva").
 */
export function resolveDataDir(options: { flag?: string | undefined; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; home?: string } = {}): string {
  const env = options.env ?? process.env;
  // An empty --data-dir (a script's unset variable) must not fall back to the default folder silently.
  if (options.flag !== undefined && options.flag.trim() === '') throw new AppError('VALIDATION', '--data-dir is empty. Give a folder, or leave the option out to use the default.');
  if (options.flag) return resolve(options.flag);
  if (env.MINERVA_DATA_DIR) return resolve(env.MINERVA_DATA_DIR);
  const home = options.home ?? homedir();
  switch (options.platform ?? process.platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Minerva');
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Minerva');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Minerva');
  }
}
