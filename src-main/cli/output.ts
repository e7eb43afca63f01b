import { AppError, isAppError } from '@shared/contract/errors';
import type { CliIo } from './command-registry';

/** Prints a result as JSON (with --json) or as the given human text. */
export function report(io: CliIo, json: boolean, value: unknown, human: string): void {
  io.stdout(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

/** Prints an error in words (or as {"error":{code,message}} with --json) and sets exit code 1. */
export function fail(io: CliIo, json: boolean, error: unknown): void {
  const appError = isAppError(error) ? error : new AppError('INTERNAL', error instanceof Error ? error.message : String(error));
  if (json) io.stdout(`${JSON.stringify({ error: { code: appError.code, message: appError.message } })}\n`);
  else io.stderr(`minerva: ${appError.message}\n`);
  io.setExitCode(1);
}
