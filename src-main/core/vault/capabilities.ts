import { AppError } from '@shared/contract/errors';
import type { KeySigner } from '../network/client';
import { SimpleUnlockGate, type UnlockGate } from '../kernel/unlock-gate';
import type { PublicIdentity, RotatableRole, Signature, VaultService } from './vault.service';

/**
 * What the vault hands to the rest of core: an unlock gate and one narrow signer per role. A
 * worker that answers inference jobs gets the EOA signer and nothing else; it cannot reveal a
 * phrase, export a key, change the password or sign as another role. Only the vault feature
 * (vault.handlers.ts) holds the VaultService itself.
 *
 * Signers never return key material: addresses, public keys and signatures only. Each throws
 * VAULT_LOCKED while the wallet is locked and VAULT_MISSING when the role has no key.
 */

/** The miner's on-chain identity for competitions: the hotkey of a scheme and the coldkey's address. */
export interface HotkeySigners {
  /** sr25519 → the active hotkey; ed25519 → the checkpoint (submit) signer (PROTOCOLS §3). */
  hotkey(scheme: 'sr25519' | 'ed25519'): KeySigner;
  coldkeyAddress(): string | null;
  /** The coldkey's signer (sr25519), for chain transactions that spend from it (Bittensor burn registration). */
  coldkey(): KeySigner;
  /** Addresses of the hotkeys (sr25519) this wallet rotated away from, newest first (for Bittensor's swap_hotkey). */
  retiredHotkeys?(): string[];
}

/** The EVM address (EOA) and its EIP-191 personal_sign (PROTOCOLS §2.6, §2.9). */
export interface EoaSigner {
  address(): string;
  personalSign(message: Uint8Array | string): { signature: string; address: string };
}

/** The model runner's wallet (Solana-style) and its SMP hotkey, and data sealed under the wallet. */
export interface RunnerKeys {
  /** The active public identity of a role, or undefined (none, or not unlocked yet this session). */
  identity(role: 'runner-wallet' | 'smp-hotkey'): PublicIdentity | undefined;
  signWithWallet(message: Uint8Array): Signature;
  signWithSmpHotkey(message: Uint8Array): Signature;
  seal(label: string, plaintext: Uint8Array): Uint8Array;
  open(label: string, sealed: Uint8Array): Uint8Array;
  rotateSmpHotkey(): Promise<void>;
}

export interface VaultCapabilities {
  gate: UnlockGate;
  /** A wallet exists (locked or not). */
  exists(): boolean;
  hotkeys: HotkeySigners;
  eoa: EoaSigner;
  runner: RunnerKeys;
  /** A role's key was rotated (the new one is active when this fires). */
  onRotated(listener: (role: RotatableRole) => void): () => void;
}

export function createCapabilities(vault: VaultService): VaultCapabilities & { dispose(): void } {
  // The work keys' gate: open while unlocked and while mining goes on after the idle lock.
  const gate = new SimpleUnlockGate(() => vault.canWork());
  const rotated = new Set<(role: RotatableRole) => void>();
  const off = vault.on((event) => {
    if (event.type === 'locked' || event.type === 'unlocked') gate.notify();
    if (event.type === 'hotkeyRotated') for (const l of [...rotated]) l(event.role);
  });
  const active = (role: PublicIdentity['role']): PublicIdentity | undefined => {
    try {
      return vault.identities().find((i) => i.role === role && i.active);
    } catch {
      return undefined;
    }
  };
  return {
    gate,
    exists: () => vault.status().state !== 'missing',
    hotkeys: {
      hotkey(scheme) {
        const role = scheme === 'sr25519' ? 'hotkey' : 'checkpoint-signer';
        const identity = vault.identities().find((i) => i.role === role && i.active && !i.watchOnly);
        if (!identity) throw new AppError('VAULT_MISSING', `Your wallet has no ${role === 'hotkey' ? 'hotkey' : 'checkpoint signing key'}. Create or import a wallet with a recovery phrase.`);
        if (identity.scheme !== scheme) {
          throw new AppError('UNSUPPORTED', `This competition needs an ${scheme} key, but your ${role} is ${identity.scheme}. Change the checkpoint scheme in Wallet & Security.`);
        }
        return { address: identity.address, publicKeyHex: identity.publicKey, scheme, sign: (message) => vault.sign(role, message).signature };
      },
      coldkeyAddress: () => active('coldkey')?.address ?? null,
      coldkey() {
        const identity = active('coldkey');
        if (!identity || identity.watchOnly) throw new AppError('VAULT_MISSING', 'Your wallet holds no coldkey that can sign (it is missing or watch-only). Import the coldkey, or sign this with the wallet that holds it.');
        return { address: identity.address, publicKeyHex: identity.publicKey, scheme: 'sr25519', sign: (message) => vault.sign('coldkey', message).signature };
      },
      retiredHotkeys() {
        try {
          const retired = vault.identities().filter((i) => i.role === 'hotkey' && !i.active && i.retiredAt !== undefined);
          return retired.sort((a, b) => (b.retiredAt ?? '').localeCompare(a.retiredAt ?? '')).map((i) => i.address);
        } catch {
          return []; // locked before the first unlock
        }
      },
    },
    eoa: {
      address() {
        const eoa = active('eoa');
        if (!eoa) throw new AppError('VAULT_MISSING', 'Your wallet has no EVM address (EOA). Create or import a wallet with a recovery phrase.');
        return eoa.address;
      },
      personalSign: (message) => vault.personalSign(message),
    },
    runner: {
      identity: (role) => active(role),
      signWithWallet: (message) => vault.signWithRunnerWallet(message),
      signWithSmpHotkey: (message) => vault.signWithSmpHotkey(message),
      seal: (label, plaintext) => vault.sealWithRunnerWallet(label, plaintext),
      open: (label, sealed) => vault.openWithRunnerWallet(label, sealed),
      rotateSmpHotkey: async () => {
        await vault.rotate('smp-hotkey');
      },
    },
    onRotated(listener) {
      rotated.add(listener);
      return () => rotated.delete(listener);
    },
    dispose() {
      off();
      gate.releaseAll();
    },
  };
}
