import { spawn } from 'node:child_process';
import { resolveDataDir } from '@core/data-dir';
import { dataDirHolder } from '@core/data-dir-lock';
import type { LoginLink } from '@shared/contract/app';
import { AppError } from '@shared/contract/errors';
import type { CliCommand, CliIo } from '../command-registry';
import { guarded, report } from '../output';
import { withSession } from '../session';

/**
 * `minerva open` and `minerva serve --print-url`: a fresh one-time sign-in address of the
 * `minerva serve` that runs with this data folder, asked of it over its control endpoint (only this
 * user can). The address is printed to this terminal (or handed to the browser) and nowhere else.
 */
export async function freshLoginLink(dataDirFlag: string | undefined, io: CliIo): Promise<LoginLink> {
  const dataDir = resolveDataDir({ flag: dataDirFlag, env: io.env });
  const again = dataDirFlag === undefined ? '' : ` --data-dir ${JSON.stringify(dataDir)}`;
  const holder = dataDirHolder(dataDir);
  if (!holder) {
    throw new AppError('UNAVAILABLE', `Minerva is not running with the data folder ${dataDir}. Start it with \`minerva serve${again}\` (it prints an address), or pass the --data-dir it runs with.`);
  }
  if (holder.host === 'electron') {
    throw new AppError('UNAVAILABLE', 'The desktop app runs with this data folder: it has its own window and no browser address. Close it and start `minerva serve` to use a browser.');
  }
  return withSession({ dataDir }, io, (session) => session.call('app.loginLink'));
}

function minutes(link: LoginLink): number {
  return Math.max(1, Math.round((link.expiresAt - Date.now()) / 60_000));
}

/** `minerva serve --print-url`: the address only, for a person to paste or a script to use. */
export async function printUrl(opts: { dataDir?: string; json?: boolean }, io: CliIo): Promise<void> {
  const link = await freshLoginLink(opts.dataDir, io);
  report(io, Boolean(opts.json), link, link.url);
  if (!opts.json) io.stderr(`(works once, within ${minutes(link)} minutes)\n`);
}

/** The platform's way to open an address: $BROWSER when set (as many tools honour), else the desktop's opener. */
function browserCommand(env: NodeJS.ProcessEnv, url: string): [string, string[]] {
  if (env.BROWSER) return [env.BROWSER, [url]];
  if (process.platform === 'darwin') return ['open', [url]];
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '""', url]];
  return ['xdg-open', [url]];
}

function openInBrowser(url: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolveOpened) => {
    const [command, args] = browserCommand(env, url);
    try {
      const child = spawn(command, args, { stdio: 'ignore', detached: true, env });
      child.once('error', () => resolveOpened(false));
      child.once('spawn', () => {
        child.unref();
        resolveOpened(true);
      });
    } catch {
      resolveOpened(false);
    }
  });
}

export const openCommand: CliCommand = {
  name: 'open',
  register(program, io) {
    program
      .command('open')
      .description('open the running `minerva serve` of this data folder in your browser, signed in (a fresh one-time address)')
      .option('--data-dir <dir>', 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)')
      .option('--json', 'print the address as JSON instead of opening it')
      .action(
        guarded(io, async (opts: { dataDir?: string; json?: boolean }) => {
          const link = await freshLoginLink(opts.dataDir, io);
          if (opts.json) return report(io, true, link, '');
          if (await openInBrowser(link.url, io.env)) {
            io.stdout(`Opened Minerva in your browser. If no tab appeared, open this address (it works once, within ${minutes(link)} minutes):\n\n  ${link.url}\n`);
          } else {
            io.stdout(`No browser could be started here. Open this address in your browser (it works once, within ${minutes(link)} minutes):\n\n  ${link.url}\n`);
          }
        }),
      );
  },
};
