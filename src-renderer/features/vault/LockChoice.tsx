import { useId, useRef, useState } from 'react';
import { useStore } from '../../store/store';
import { vaultCall } from './vault-actions';

/**
 * Locking, with mining mode (issue 16) said in plain words: "Lock, keep mining" locks the coldkey
 * and the recovery phrase and leaves the work keys in memory (what the idle lock does);
 * "Lock everything" stops mining as well. One dialog, used by the top bar and Wallet & Security.
 */
export async function lockEverything(): Promise<void> {
  const r = await vaultCall('vault.lock', { keepMining: false });
  if (!r.ok) useStore.getState().pushToast('error', r.error ?? 'The wallet could not be locked.');
}

async function lockKeepMining(): Promise<void> {
  const r = await vaultCall('vault.lock', { keepMining: true });
  if (!r.ok) useStore.getState().pushToast('error', r.error ?? 'The wallet could not be locked.');
  else useStore.getState().pushToast('info', 'Locked. Mining goes on with the work keys; your coldkey and recovery phrase need the password.');
}

export function LockButton({ label = 'Lock', className = 'button button-quiet' }: { label?: string; className?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const choose = (action: () => Promise<void>) => {
    dialog.current?.close();
    void action();
  };
  return (
    <>
      <button type="button" className={className} aria-haspopup="dialog" onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
      <dialog ref={dialog} className="vault-dialog" aria-labelledby={titleId}>
        <h3 id={titleId}>Lock the wallet</h3>
        <div className="vault-choice">
          <button type="button" className="button button-primary" onClick={() => choose(lockKeepMining)} autoFocus>
            Lock, keep mining
          </button>
          <p className="help">
            Your coldkey, your recovery phrase and anything that moves funds are locked. The work keys (hotkey, checkpoint signing key, EVM address, runner wallet) stay in memory, so
            jobs, submissions and the runner go on. This is what the wallet does by itself after the idle minutes.
          </p>
        </div>
        <div className="vault-choice">
          <button type="button" className="button" onClick={() => choose(lockEverything)}>
            Lock everything (stop mining)
          </button>
          <p className="help">
            Every key leaves memory. Jobs wait for your password, and the ones the router sends meanwhile time out and go to other miners. &quot;Resume mining after a restart&quot; is
            turned off too.
          </p>
        </div>
        <div className="vault-dialog-actions">
          <button type="button" className="button button-quiet" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

/** One click to stop mining while the wallet is locked with the work keys in memory. */
export function StopMiningButton({ className = 'button button-quiet' }: { className?: string }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className={className}
      disabled={busy}
      title="Drops the work keys from memory: jobs and submissions wait for your password. Also turns off resume after a restart."
      onClick={() => {
        setBusy(true);
        void lockEverything().finally(() => setBusy(false));
      }}
    >
      Stop mining
    </button>
  );
}
