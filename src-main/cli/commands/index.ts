import type { CliCommand } from '../command-registry';
import { versionCommand } from './version';
import { serveCommand } from './serve';
import { openCommand } from './open';
import { walletCommand } from './wallet';
import { protoCommand } from './proto';
import { devnetCommand } from './devnet';
import { checkpointCommand } from './checkpoint';
import { configCommand } from './config';
import { reportCommands } from './reports';
import { diagnosticsCommand } from './diagnostics';

/** All `minerva` subcommands, in the order `--help` lists them. Add one line per command. */
export const commands: readonly CliCommand[] = [serveCommand, openCommand, walletCommand, ...reportCommands, checkpointCommand, protoCommand, devnetCommand, configCommand, diagnosticsCommand, versionCommand];
