import type { Command } from 'commander';

/**
 * Every `minerva` subcommand lives in `src-main/cli/commands/<name>.ts` and exports a
 * `CliCommand`. Register it in `commands/index.ts` (one line). Commands that report something
 * accept `--json` and then print exactly one JSON document to stdout.
 */
export interface CliCommand {
  readonly name: string;
  register(program: Command, io: CliIo): void;
}

/** Where commands read and write; tests swap these to capture output. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  /** Set when a command has failed; the process exits with it after the command returns. */
  setExitCode: (code: number) => void;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
}
