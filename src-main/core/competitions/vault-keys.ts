import type { VaultCapabilities } from '../vault/capabilities';
import type { MinerKeys } from './competitions.service';

/**
 * The miner's keys for the join and checkpoint flows, from the vault's narrow capabilities:
 * addresses, public keys and signatures only, never a key.
 */
export function minerKeysFrom(vault: VaultCapabilities): MinerKeys {
  return {
    isUnlocked: () => vault.gate.isUnlocked(),
    hotkey: (scheme) => vault.hotkeys.hotkey(scheme),
    coldkeyAddress: () => vault.hotkeys.coldkeyAddress(),
    eoaSign: (message) => vault.eoa.personalSign(message),
    onHotkeyRotated: (listener) =>
      vault.onRotated((role) => {
        if (role === 'hotkey') listener();
      }),
  };
}
