import { AppError } from '@shared/contract/errors';

/**
 * A refusal of the §4 verifier (`verifyAction`) in the wire words PROTOCOLS §4 uses, shared by
 * every practice party that takes signed miner actions. Anything else is not a refusal: null.
 */
export type ActionRefusalCode = 'UNKNOWN_HOTKEY' | 'BAD_SIGNATURE' | 'STALE_SIGNATURE' | 'NONCE_REPLAYED' | 'MALFORMED';

export function actionRefusal(error: unknown): { code: ActionRefusalCode; message: string } | null {
  if (!(error instanceof AppError)) return null;
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return error.message === 'unknown hotkey' ? { code: 'UNKNOWN_HOTKEY', message: 'unknown hotkey' } : { code: 'BAD_SIGNATURE', message: `bad signature: ${error.message}` };
    case 'STALE_TIMESTAMP':
      return { code: 'STALE_SIGNATURE', message: 'stale signature' };
    case 'SIGNATURE_INVALID':
      return { code: 'BAD_SIGNATURE', message: 'bad signature' };
    case 'NONCE_REPLAYED':
      return { code: 'NONCE_REPLAYED', message: 'nonce already used' };
    default:
      return { code: 'MALFORMED', message: error.message };
  }
}
