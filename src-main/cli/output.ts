import { InvalidArgumentError } from 'commander';
import { AppError, isAppError } from '@shared/contract/errors';
import type { CliIo } from './command-registry';

/**
 * Output rules of every `minerva` command:
 * - stdout carries the result: one JSON document with --json, readable lines without;
 * - stderr carries errors (as `{"error":{code,message}}` with --json, else `minerva: <words>`)
 *   and notes meant for a person;
 * - exit codes: 0 ok, 1 failed check or refused operation, 2 usage error (commander's own usage
 *   errors included, see main.ts).
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A wrong option value or combination found inside an action: exit 2 like commander's own. */
export class UsageError extends AppError {
  constructor(message: string) {
    super('VALIDATION', message);
  }
}

/** Prints a result as JSON (with --json) or as the given human text. */
export function report(io: CliIo, json: boolean, value: unknown, human: string): void {
  io.stdout(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

/** Prints an error on stderr (as {"error":{code,message}} with --json) and sets exit code 1 (2 for usage errors). */
export function fail(io: CliIo, json: boolean, error: unknown): void {
  const appError = isAppError(error) ? error : new AppError('INTERNAL', error instanceof Error ? error.message : String(error));
  if (json) io.stderr(`${JSON.stringify({ error: { code: appError.code, message: appError.message } })}\n`);
  else io.stderr(`minerva: ${appError.message}\n`);
  io.setExitCode(error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED);
}

/** An action that reports its own errors: `.action(guarded(io, async (opts) => …))`. */
export function guarded<A extends unknown[]>(io: CliIo, run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // commander passes the options object after the positional arguments (then the command).
    const opts = args.find((a, i) => i === args.length - 2 && typeof a === 'object' && a !== null) as { json?: boolean } | undefined;
    try {
      await run(...args);
    } catch (error) {
      fail(io, Boolean(opts?.json), error);
    }
  };
}

/** Option parsers: a wrong value is a usage error (exit 2) with words saying what is allowed. */
export function intOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}.`);
    return n;
  };
}

export function choiceOption<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    const found = choices.find((c) => c === value);
    if (!found) throw new InvalidArgumentError(`one of ${choices.join(', ')}.`);
    return found;
  };
}
