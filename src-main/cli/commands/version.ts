import { APP_VERSION } from '@core/version';
import type { CliCommand } from '../command-registry';
import { report } from '../output';

export const versionCommand: CliCommand = {
  name: 'version',
  register(program, io) {
    program
      .command('version')
      .description('print the version of Minerva and its runtime')
      .option('--json', 'print JSON')
      .action((opts: { json?: boolean }) => {
        const value = { name: 'minerva', version: APP_VERSION, node: process.versions.node, platform: process.platform };
        report(io, Boolean(opts.json), value, `minerva ${APP_VERSION} (node ${process.versions.node}, ${process.platform})`);
      });
  },
};
