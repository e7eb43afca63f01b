import { coreConfig } from '@core/create-core';
import type { CliCommand } from '../command-registry';
import { report } from '../output';

/**
 * `minerva config [--json]`: every configuration field of core (one zod schema per feature),
 * its value, and where the value came from (flag, environment, default). A value that does not
 * parse is named with the default that replaced it.
 */
export const configCommand: CliCommand = {
  name: 'config',
  register(program, io) {
    program
      .command('config')
      .description('print the configuration of every feature, with the source of each value')
      .option('--json', 'print JSON')
      .action((opts: { json?: boolean }) => {
        const entries = coreConfig({}, io.env);
        const width = Math.max(...entries.map((e) => e.key.length));
        const lines = entries.map((e) => {
          const from = e.source === 'default' ? 'default' : e.source === 'env' ? `env ${e.env}` : `flag --${e.flag}`;
          const ignored = e.ignored ? `  (ignored ${e.ignored}: not a valid value)` : '';
          return `${e.key.padEnd(width)}  ${JSON.stringify(e.value).padEnd(8)}  ${from}${ignored}\n${' '.repeat(width + 2)}${e.doc}${e.env && e.source !== 'env' ? ` Set with ${e.env}.` : ''}`;
        });
        report(io, Boolean(opts.json), { entries }, lines.join('\n'));
      });
  },
};
