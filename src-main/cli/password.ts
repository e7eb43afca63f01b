import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { AppError } from '@shared/contract/errors';
import type { CliIo } from './command-registry';
import { UsageError } from './output';

/**
 * Passwords and secrets for CLI commands: from a file (or stdin with "-"), from an environment
 * variable (documented as unsafe), or from a hidden prompt on a terminal. Never from argv.
 */
/** A secret from a file or stdin ("-"). Passwords lose only the final line break; other inputs are trimmed. */
export async function readSecretFile(file: string, io: CliIo, what: string): Promise<string> {
  let text: string;
  if (file === '-') text = await io.readStdin();
  else {
    const path = resolve(file);
    if (!existsSync(path)) throw new AppError('NOT_FOUND', `There is no ${what} file at ${path}.`);
    text = readFileSync(path, 'utf8');
  }
  return what.endsWith('password') ? text.replace(/\r?\n$/u, '') : text.trim();
}

// node:readline loads when a prompt is shown, not with every `minerva` start (README "Performance": startup).
async function promptHidden(question: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  return new Promise((resolvePrompt, reject) => {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (!muted) process.stderr.write(chunk);
        done();
      },
    });
    const rl = createInterface({ input: process.stdin, output, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolvePrompt(answer);
    });
    muted = true;
    rl.on('SIGINT', () => {
      rl.close();
      reject(new AppError('VALIDATION', 'Cancelled.'));
    });
  });
}

/** The password: --password-file, then MINERVA_<envName>, then a hidden prompt on a terminal. */
export async function readPassword(io: CliIo, opts: { file?: string | undefined; envName: string; question: string; confirm?: boolean }): Promise<string> {
  if (opts.file) return readSecretFile(opts.file, io, 'password');
  const fromEnv = io.env[opts.envName];
  if (fromEnv !== undefined && fromEnv !== '') {
    io.stderr(`minerva: using the password from ${opts.envName}. This is unsafe outside test rigs; prefer the prompt or --password-file.\n`);
    return fromEnv;
  }
  if (!process.stdin.isTTY) {
    throw new UsageError(`No password given. Run this in a terminal to be asked for it, or pass --password-file FILE (or set ${opts.envName}, unsafe).`);
  }
  const first = await promptHidden(opts.question);
  if (opts.confirm) {
    const second = await promptHidden('Type it again: ');
    if (first !== second) throw new AppError('VALIDATION', 'The two passwords differ. Run the command again.');
  }
  return first;
}


/** A yes/no question on a terminal (visible answer); anything but y/yes is no. */
export async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline');
  return new Promise((resolveAnswer) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      resolveAnswer(/^\s*y(es)?\s*$/i.test(answer));
    });
    rl.on('SIGINT', () => {
      rl.close();
      resolveAnswer(false);
    });
  });
}
