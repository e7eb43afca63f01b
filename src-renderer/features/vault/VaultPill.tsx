import { useEffect } from 'react';
import { lockWallet, startVault } from './vault-actions';
import { useVaultStore } from './vault-store';

/** Top-bar indicator: lock state and the number of key-safety warnings (a badge), with a lock button. */
export function VaultPill() {
  const overview = useVaultStore((s) => s.overview);
  useEffect(() => startVault(), []);
  if (!overview) return null;
  const { state } = overview.status;
  const count = overview.warnings.length;
  const text = state === 'unlocked' ? 'Wallet unlocked' : state === 'locked' ? 'Wallet locked' : state === 'missing' ? 'No wallet yet' : 'Wallet damaged';
  return (
    <span className="vault-pill">
      <a href="#/wallet" className={`vault-pill-link vault-${state}`}>
        <span className={`dot ${state === 'unlocked' ? 'dot-ok' : state === 'locked' ? 'dot-wait' : 'dot-bad'}`} aria-hidden="true" />
        {text}
        {count > 0 ? (
          <span className="badge badge-warning" aria-label={`${count} key-safety warning${count === 1 ? '' : 's'}`}>
            {count}
          </span>
        ) : null}
      </a>
      {state === 'unlocked' ? (
        <button type="button" className="button button-quiet" onClick={() => void lockWallet()}>
          Lock
        </button>
      ) : null}
    </span>
  );
}
