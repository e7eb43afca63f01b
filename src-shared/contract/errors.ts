/**
 * The one error type that crosses the contract boundary. Only `code` and `message` ever leave
 * core; anything else thrown inside a handler becomes `INTERNAL` with a reference id that the
 * log carries (see src-main/core/rpc).
 *
 * Messages are written for a miner: what happened, then what to do next. They never carry a
 * secret (no key, seed, mnemonic, token, password or decrypted payload).
 */
export const APP_ERROR_CODES = [
  // generic
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'INTERNAL',
  'UNAVAILABLE',
  'TIMEOUT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'TOO_LARGE',
  'UNSUPPORTED',
  // stopped because the miner asked (a cancel is not a failure: the UI says it neutrally)
  'CANCELLED',
  // storage
  'DB_FROM_FUTURE',
  'DB_CORRUPT',
  // the copy saved before an upgrade could not be written (disk full, folder not writable): nothing changed
  'DB_BACKUP_FAILED',
  // vault
  'AUTH_FAILED',
  'VAULT_LOCKED',
  'VAULT_MISSING',
  'VAULT_EXISTS',
  'VAULT_CORRUPT',
  'RATE_LIMITED',
  'IMPORT_FAILED',
  'WEAK_PASSWORD',
  // protocol (PROTOCOLS.md)
  'ENVELOPE_MALFORMED',
  'DECRYPT_FAILED',
  'SIGNATURE_INVALID',
  'STALE_TIMESTAMP',
  'NONCE_REPLAYED',
  'BLOCK_WINDOW',
  'URN_MALFORMED',
  'ALLOWED_LIST_INVALID',
  'KEY_INVALID',
  'CERT_INVALID',
  'ATTESTATION_FAILED',
  // runtime
  'DOCKER_UNAVAILABLE',
  'IMAGE_REFUSED',
  'ARCHIVE_REFUSED',
  'MODEL_FAILED',
  // networks
  'NETWORK_ERROR',
  'NETWORK_MISMATCH',
  'INSUFFICIENT_FUNDS',
  'CHAIN_REFUSED',
  // checkpoints: the first publish to a network needs the miner's explicit yes
  'PUBLISH_NOT_CONFIRMED',
  // updates (src-main/core/updates): refused before anything is installed
  'UPDATE_FEED_INVALID',
  'UPDATE_SIGNATURE_INVALID',
  'UPDATE_TAMPERED',
  'UPDATE_DOWNGRADE',
  'UPDATE_NOT_CONFIGURED',
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  /** Structured, non-secret facts for the log (never shown to the renderer). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** For exhaustive switches: `default: throw missingCase(x)`. */
export function missingCase(value: never): Error {
  return new Error(`Unhandled case: ${String(value)}`);
}
