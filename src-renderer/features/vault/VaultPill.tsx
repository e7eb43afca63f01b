import { useEffect } from 'react';
import { LockButton, StopMiningButton } from './LockChoice';
import { startVault } from './vault-actions';
import { useVaultStore } from './vault-store';

/**
 * Top-bar indicator: lock state and the number of key-safety warnings (a badge). Unlocked: a Lock
 * button that asks whether mining goes on. Locked with mining on: the standing "Mining — work keys
 * in memory" state with one click to stop.
 */
export function VaultPill() {
  const overview = useVaultStore((s) => s.overview);
  useEffect(() => startVault(), []);
  if (!overview) return null;
  const { state, mining } = overview.status;
  const count = overview.warnings.length;
  // Mining: in a narrow top bar only "Mining" shows; the rest is still read out (vault.css).
  const text =
    state === 'unlocked' ? (
      'Wallet unlocked'
    ) : mining ? (
      <span>
        Mining<span className="vault-pill-more"> — work keys in memory</span>
      </span>
    ) : state === 'locked' ? (
      'Wallet locked'
    ) : state === 'missing' ? (
      'No wallet yet'
    ) : (
      'Wallet damaged'
    );
  const tone = state === 'unlocked' || mining ? 'dot-ok' : state === 'locked' ? 'dot-wait' : 'dot-bad';
  return (
    <span className="vault-pill" role="group" aria-label="Wallet">
      <a
        href="#/wallet"
        className={`vault-pill-link vault-${mining ? 'mining' : state}`}
        title={mining ? 'The wallet is locked: your coldkey and recovery phrase need the password. The work keys stay in memory so jobs go on.' : undefined}
      >
        <span className={`dot ${tone}`} aria-hidden="true" />
        {text}
        {count > 0 ? (
          <span className="badge badge-warning" aria-label={`${count} key-safety warning${count === 1 ? '' : 's'}`}>
            {count}
          </span>
        ) : null}
      </a>
      {state === 'unlocked' ? <LockButton /> : null}
      {mining ? <StopMiningButton /> : null}
    </span>
  );
}
