import { useState } from 'react';
import { UnlockForm } from './UnlockForm';
import { useVaultStore } from './vault-store';

/**
 * "Unlock your wallet" inside a standing banner: the unlock form opens in place while the wallet
 * is locked; otherwise (no wallet loaded here yet) the button leads to the Wallet page.
 */
export function UnlockInPlace() {
  const vaultState = useVaultStore((s) => s.overview?.status.state);
  const retryAfterMs = useVaultStore((s) => s.overview?.status.retryAfterMs ?? 0);
  const [unlocking, setUnlocking] = useState(false);
  if (vaultState === 'locked' && unlocking) return <UnlockForm retryAfterMs={retryAfterMs} />;
  return (
    <div className="form-row">
      {vaultState === 'locked' ? (
        <button type="button" className="button button-primary" onClick={() => setUnlocking(true)}>
          Unlock your wallet
        </button>
      ) : (
        <a className="button button-primary" href="#/wallet">
          Unlock your wallet
        </a>
      )}
    </div>
  );
}
