import type { SecretBox } from '@core/vault/mining-keys';

/** The part of Electron's `safeStorage` the vault uses (so this file is testable without Electron). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(sealed: Buffer): string;
}

/**
 * "Resume mining after a restart" on the desktop: the work keys are sealed by the OS keychain
 * (macOS Keychain, Windows DPAPI, libsecret/kwallet) through Electron `safeStorage`. Bytes travel
 * as base64 because safeStorage seals strings.
 */
export function secretBoxFrom(storage: SafeStorageLike, name = 'your operating system keychain'): SecretBox {
  return {
    name,
    available: () => storage.isEncryptionAvailable(),
    encrypt: (plain) => storage.encryptString(Buffer.from(plain).toString('base64')),
    decrypt: (sealed) => Uint8Array.from(Buffer.from(storage.decryptString(Buffer.from(sealed)), 'base64')),
  };
}
