/**
 * PROTOCOLS §4 on the hub. sr25519 hotkeys go through the shared verifier
 * (@shared/protocol/miner-action `verifyAction`) with the public key the chain returns for the
 * hotkey. Checkpoint competitions register ed25519 hotkeys (PROTOCOLS §3), and the app signs their
 * joins with that key; the shared verifier is sr25519-only, so for those this file runs the same
 * steps in the same order with the same shared pieces (canonical bytes, time window, replay key),
 * changing only the signature scheme.
 */
import { AppError } from '@shared/contract/errors';
import type { KeyScheme } from '@shared/protocol/chain-api';
import { fromHex } from '@shared/protocol/encoding';
import { checkTimestampWindow, requireHeader, type HeaderMap } from '@shared/protocol/headers';
import { verifySubstrate } from '@shared/protocol/identities';
import { actionCanonical, ACTION_MAX_SKEW_SECONDS, ACTION_REPLAY_WINDOW_SECONDS, verifyAction, type ActionTarget } from '@shared/protocol/miner-action';
import { replayKey, type ReplayStore } from '@shared/protocol/replay-store';

const NONCE = /^[0-9a-f]{32}$/;

export interface RegisteredKey {
  scheme: KeyScheme;
  publicKey: Uint8Array;
}

export function verifyHubAction(
  headers: HeaderMap,
  target: ActionTarget,
  key: RegisteredKey | undefined,
  options: { nowSeconds: number; replayStore: ReplayStore; maxBodyBytes: number },
): string {
  if (key === undefined || key.scheme === 'sr25519') {
    return verifyAction(headers, target, { nowSeconds: options.nowSeconds, publicKeyOf: () => key?.publicKey, replayStore: options.replayStore, maxBodyBytes: options.maxBodyBytes });
  }
  const hotkey = requireHeader(headers, 'X-Hotkey');
  const signatureHex = requireHeader(headers, 'X-Signature');
  const nonce = requireHeader(headers, 'X-Nonce');
  const timestamp = requireHeader(headers, 'X-Timestamp');
  checkTimestampWindow(timestamp, options.nowSeconds, ACTION_MAX_SKEW_SECONDS);
  if (!NONCE.test(nonce)) throw new AppError('SIGNATURE_INVALID', 'X-Nonce must be a uuid4 as 32 lowercase hex digits.');
  const signature = fromHex(signatureHex, 'X-Signature', { length: 64, prefix: '0x', lowercase: false, code: 'SIGNATURE_INVALID' });
  if (!verifySubstrate('ed25519', actionCanonical(target, hotkey, nonce, timestamp), signature, key.publicKey)) throw new AppError('SIGNATURE_INVALID', 'The signature does not verify.');
  if (!options.replayStore.checkAndRecord(replayKey('action', target.netuid, target.slug, hotkey, nonce), options.nowSeconds, ACTION_REPLAY_WINDOW_SECONDS)) {
    throw new AppError('NONCE_REPLAYED', 'This nonce was already used.');
  }
  if ((target.body?.length ?? 0) > options.maxBodyBytes) throw new AppError('TOO_LARGE', 'The body is larger than 7,500,000 bytes.');
  return hotkey;
}
