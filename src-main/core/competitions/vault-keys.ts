import { AppError } from '@shared/contract/errors';
import type { KeySigner } from '../network/client';
import type { VaultService } from '../vault/vault.service';
import type { MinerKeys } from './competitions.service';

/**
 * The miner's keys for the join flow, backed by the vault. Signing happens inside the vault; the
 * flow only ever sees addresses, public keys and signatures.
 */
export function minerKeysFromVault(vault: VaultService): MinerKeys {
  return {
    isUnlocked: () => vault.isUnlocked(),
    hotkey(scheme): KeySigner {
      // sr25519 competitions use hotkey N; ed25519 ones (checkpoints, PROTOCOLS §3) the checkpoint signer.
      const role = scheme === 'sr25519' ? 'hotkey' : 'checkpoint-signer';
      const identity = vault.identities().find((i) => i.role === role && i.active && !i.watchOnly);
      if (!identity) throw new AppError('VAULT_MISSING', `Your wallet has no ${role === 'hotkey' ? 'hotkey' : 'checkpoint signing key'}. Create or import a wallet with a recovery phrase.`);
      if (identity.scheme !== scheme) {
        throw new AppError('UNSUPPORTED', `This competition needs an ${scheme} key, but your ${role} is ${identity.scheme}. Change the checkpoint scheme in Wallet & Security.`);
      }
      return { address: identity.address, publicKeyHex: identity.publicKey, scheme, sign: (message) => vault.sign(role, message).signature };
    },
    coldkeyAddress: () => vault.identities().find((i) => i.role === 'coldkey' && i.active)?.address ?? null,
    eoaSign: (message) => vault.personalSign(message),
    onUnlocked: (listener) =>
      vault.on((event) => {
        if (event.type === 'unlocked') listener();
      }),
    onHotkeyRotated: (listener) =>
      vault.on((event) => {
        if (event.type === 'hotkeyRotated' && event.role === 'hotkey') listener();
      }),
  };
}
