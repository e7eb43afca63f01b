/**
 * PROTOCOLS §4 on the hub: the shared verifier (@shared/protocol/miner-action `verifyAction`) with
 * the public key and scheme the chain returns for the hotkey (checkpoint competitions register
 * ed25519 hotkeys, PROTOCOLS §3).
 */
import type { KeyScheme } from '@shared/protocol/chain-api';
import type { HeaderMap } from '@shared/protocol/headers';
import { verifyAction, type ActionTarget } from '@shared/protocol/miner-action';
import type { ReplayStore } from '@shared/protocol/replay-store';

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
  return verifyAction(headers, target, {
    nowSeconds: options.nowSeconds,
    publicKeyOf: () => key?.publicKey,
    scheme: key?.scheme ?? 'sr25519',
    replayStore: options.replayStore,
    maxBodyBytes: options.maxBodyBytes,
  });
}
