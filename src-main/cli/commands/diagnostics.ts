import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError } from '@shared/contract/errors';
import type { CliCommand } from '../command-registry';
import { guarded, report } from '../output';
import { sourceLine, withSession } from '../session';

/**
 * `minerva diagnostics [--out FILE]`: the support bundle (`diagnostics.export`) written to a zip.
 * Through the running app when one holds the data folder, else from the folder itself. An
 * existing file is never overwritten.
 */
export const diagnosticsCommand: CliCommand = {
  name: 'diagnostics',
  register(program, io) {
    program
      .command('diagnostics')
      .description('write a zip of redacted logs, versions, settings, engine info, recent jobs and health checks, for a support request')
      .option('--out <file>', 'where to write the zip (default: minerva-diagnostics-<time>.zip here)')
      .option('--data-dir <dir>', 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)')
      .option('--json', 'print one JSON document')
      .action(
        guarded(io, async (opts: { out?: string; dataDir?: string; json?: boolean }) => {
          await withSession(opts, io, async (session) => {
            const bundle = await session.call('diagnostics.export');
            const out = resolve(opts.out ?? bundle.fileName);
            try {
              writeFileSync(out, Buffer.from(bundle.zipBase64, 'base64'), { flag: 'wx', mode: 0o600 });
            } catch (error) {
              const code = (error as NodeJS.ErrnoException).code;
              if (code === 'EEXIST') throw new AppError('CONFLICT', `${out} already exists. Choose another name with --out, or move that file away.`);
              throw new AppError('UNAVAILABLE', `Could not write ${out} (${code ?? 'error'}). Check that its folder exists and that you may write there.`);
            }
            const { zipBase64: _zip, ...rest } = bundle;
            void _zip;
            const human = [
              `Wrote ${out} (${Math.ceil(bundle.bytes / 1024)} KiB): ${bundle.files.map((f) => f.name).join(', ')}.`,
              'Everything in it was redacted on this computer; look through it before you send it.',
              sourceLine(session),
            ].join('\n');
            report(io, Boolean(opts.json), { ...rest, path: out }, human);
          });
        }),
      );
  },
};
