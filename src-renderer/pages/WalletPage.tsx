import { WalletSecurity } from '../features/vault/WalletSecurity';

/** Wallet & Security: onboarding, unlock, identities, key-safety warnings and key actions. */
export function WalletPage() {
  return <WalletSecurity />;
}
