import * as nodeCrypto from 'node:crypto';
import { Command, CommanderError } from 'commander';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { APP_VERSION } from '@core/version';
import { commands } from './commands/index';
import { processIo } from './command-registry';
import { EXIT_OK, EXIT_USAGE } from './output';

/** `minerva` — the command line. Each subcommand lives in ./commands and registers itself. */
export async function runCli(argv: string[], io = processIo()): Promise<void> {
  // Every party this process runs (the app, the practice network) seals envelopes with OpenSSL.
  useNodeCryptoAesGcm(nodeCrypto);
  const program = new Command();
  program
    .name('minerva')
    .description('Minerva — a desktop miner for decentralized AI networks')
    .version(APP_VERSION, '-V, --version')
    .showHelpAfterError('(run `minerva --help` for the list of commands)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    // Options after a subcommand belong to it (needed where a command has options and subcommands).
    .enablePositionalOptions();
  for (const command of commands) command.register(program, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; every other commander error is a usage error (exit 2).
      io.setExitCode(error.exitCode === 0 ? EXIT_OK : EXIT_USAGE);
      return;
    }
    throw error;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`minerva: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
