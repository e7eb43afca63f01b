import { UnlockInPlace } from '../vault/UnlockInPlace';
import { useInferenceStore } from './inference-store';
import './inference.css';

/**
 * Standing banners for private inference, on the Jobs page and the Dashboard: the key-safety
 * warning (the router refused this miner's address) and the locked wallet that pauses jobs.
 * They stay while the condition holds; they are not toasts.
 */
export function InferenceBanners() {
  const status = useInferenceStore((s) => s.status);
  if (!status) return null;
  const forbidden = status.workers.filter((w) => w.state === 'forbidden');
  const warnings = status.warnings.filter((w) => w.code === 'KEY_FORBIDDEN');
  // One warning per competition: a worker's state and the warning list may both name it.
  const forbiddenIds = [...new Set([...warnings.map((w) => w.competitionId), ...forbidden.map((w) => w.competitionId)])];
  const locked = status.workers.filter((w) => w.state === 'paused-locked');
  return (
    <>
      {forbiddenIds.length > 0 ? (
        <div className="banner banner-danger inference-banner" role="alert">
          <p className="inference-banner-title">
            <strong>Key safety: this address is not on the session&apos;s allowed list.</strong>
          </p>
          <ul className="inference-banner-list">
            {forbiddenIds.map((id) => {
              const words = warnings.find((w) => w.competitionId === id)?.message ?? forbidden.find((w) => w.competitionId === id)?.detail ?? '';
              return (
                <li key={id}>
                  <span className="mono">{id}</span>
                  {words ? `: ${words}` : ''}
                </li>
              );
            })}
          </ul>
          <p className="help">
            The router refuses this address its jobs and keys, so nothing is decrypted and nothing reaches the model. Check on the{' '}
            <a href="#/wallet">Wallet &amp; Security</a> page that your EVM address is the one you joined with, then leave and join the competition again on the{' '}
            <a href="#/competitions">Competitions</a> page. If you run a private session of your own, ask its operator to add your address to its allowed list.
          </p>
        </div>
      ) : null}
      {locked.length > 0 ? (
        <div className="banner banner-warn inference-banner" role="status">
          <p className="inference-banner-title">
            <strong>Jobs are paused: your wallet is locked and mining is off.</strong>
          </p>
          <p className="help">
            {locked.length === 1 ? `${locked[0]?.competitionId ?? ''} waits` : `${locked.length} competitions wait`} for the wallet: the key that proves this miner to the router is inside it.
            No new jobs are taken, and jobs the router sends meanwhile time out and go to other miners. Unlock to continue; to keep earning while you are away, lock with &quot;Lock, keep
            mining&quot; (the idle lock does that by itself unless you turned it off in Wallet &amp; Security).
          </p>
          <UnlockInPlace />
        </div>
      ) : null}
    </>
  );
}
