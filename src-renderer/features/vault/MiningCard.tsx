import { useId, useRef, useState } from 'react';
import type { VaultOverview } from '@shared/contract/vault';
import { Card } from '../../components/Card';
import { rpc } from '../../rpc';
import { toastError } from '../../store/actions';
import { useStore } from '../../store/store';
import { StopMiningButton } from './LockChoice';
import { vaultCall } from './vault-actions';
import { Term } from '../../components/Term';

/**
 * Mining mode on Wallet & Security (issue 16): the current state, whether the idle lock keeps
 * mining, and the opt-in "resume mining after a restart", each explained in plain words.
 */
export function MiningCard({ overview }: { overview: VaultOverview }) {
  const settings = useStore((s) => s.settings);
  const { state, mining, keepMiningOnLock, resumeOnRestart, osKeychain, autoLockMinutes } = overview.status;
  const unlocked = state === 'unlocked';
  const keepId = useId();
  const resumeId = useId();
  const [busy, setBusy] = useState(false);
  const keep = settings?.keepMiningWhenLocked ?? keepMiningOnLock;
  const setKeep = async (value: boolean) => {
    try {
      useStore.getState().setSettings(await rpc().invoke('settings.update', { keepMiningWhenLocked: value }));
    } catch (error) {
      toastError(error);
    }
  };
  const setResume = async (enabled: boolean) => {
    setBusy(true);
    const r = await vaultCall('vault.setResumeOnRestart', { enabled });
    setBusy(false);
    if (!r.ok) useStore.getState().pushToast('error', r.error ?? 'Could not change it.');
  };
  const now = unlocked
    ? 'The wallet is unlocked: every key can sign.'
    : mining
      ? 'Mining — work keys in memory. The wallet is locked: your coldkey, your recovery phrase and anything that moves funds need the password. Jobs, submissions and the runner go on.'
      : 'Not mining: the wallet is locked and no key is in memory. Jobs and submissions wait for your password.';
  return (
    <Card title="Mining while locked">
      <p role="status" aria-label="Mining state">
        {now}
      </p>
      <div className="action-grid">
        {mining ? <StopMiningButton className="button" /> : null}
      </div>
      <div className="vault-toggle">
        <input id={keepId} type="checkbox" checked={keep} onChange={(e) => void setKeep(e.target.checked)} />
        <label htmlFor={keepId}>Keep mining when the wallet locks itself</label>
      </div>
      <p className="help">
        After {autoLockMinutes > 0 ? `${autoLockMinutes} idle minute${autoLockMinutes === 1 ? '' : 's'}` : 'the idle time'} the wallet locks. With this on, only your <Term id="coldkey">coldkey</Term> and
        recovery phrase are locked; the work keys (<Term id="hotkey">hotkey</Term>, checkpoint signer, runner keys, <Term id="eoa" />) stay in memory so you keep earning while away. With it off, the idle
        lock stops mining until you come back.
      </p>
      <div className="vault-toggle">
        <input
          id={resumeId}
          type="checkbox"
          checked={resumeOnRestart !== 'off'}
          disabled={busy || (resumeOnRestart === 'off' && !unlocked)}
          onChange={(e) => void setResume(e.target.checked)}
        />
        <label htmlFor={resumeId}>Resume mining after a restart, without the password</label>
      </div>
      <p className="help">
        {osKeychain
          ? `The work keys are kept in a file sealed by ${osKeychain}, which only your user on this computer can open. The coldkey and the recovery phrase are never in it.`
          : 'The work keys are written to mining-keys.json in the data folder, readable by you only but not encrypted: whoever copies it can mine as you until you rotate the hotkey. They cannot move funds: the coldkey and the recovery phrase are never in it. A key-safety warning stays while the file exists.'}{' '}
        {resumeOnRestart === 'off' && !unlocked ? 'Unlock the wallet to turn this on.' : 'Off: after a restart, jobs wait until you unlock.'}
      </p>
    </Card>
  );
}

/** Rotate the hotkey, after saying what will happen (issue 16 part 3). */
export function RotateHotkeyButton({ overview, className = 'button' }: { overview: VaultOverview; className?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const current = overview.identities.find((i) => i.role === 'hotkey' && i.active);
  const hasPhrase = overview.status.hasMnemonic === true;
  const bittensor = useStore((s) => s.networks?.profiles.find((p) => p.id === s.networks?.selectedId && p.kind === 'bittensor'));
  const confirm = async () => {
    dialog.current?.close();
    setBusy(true);
    const r = await vaultCall('vault.rotateHotkey', { role: 'hotkey' });
    setBusy(false);
    if (r.ok && r.value) useStore.getState().pushToast('info', `New hotkey #${r.value.current.index ?? '?'} in use; #${r.value.retired.index ?? '?'} is retired. Your competitions are being joined again with it.`);
    else useStore.getState().pushToast('error', r.error ?? 'Could not rotate.');
  };
  return (
    <>
      <button type="button" className={className} disabled={!hasPhrase || busy} aria-haspopup="dialog" onClick={() => dialog.current?.showModal()}>
        {busy ? 'Rotating…' : 'Rotate hotkey'}
      </button>
      <dialog ref={dialog} className="vault-dialog" aria-labelledby={titleId}>
        <h3 id={titleId}>Rotate the hotkey?</h3>
        <p>
          Minerva derives hotkey #{(current?.index ?? 0) + 1} from your recovery phrase and retires #{current?.index ?? 0}. Then it joins every competition you joined again with the new hotkey: it
          registers the new hotkey on the chain and sends a signed join, one competition after another. You can follow each on the Competitions page.
        </p>
        {bittensor ? (
          <p>
            On {bittensor.name} (Bittensor), your UIDs stay with the old hotkey until your coldkey swaps it on chain (swap_hotkey, which costs TAO): Settings → Bittensor shows the cost and asks
            before anything is sent.
          </p>
        ) : null}
        <p className="note">Work already sent with the old hotkey stays valid. Until the new joins land, a competition may not count new work. The retired hotkey cannot be used again here.</p>
        <div className="vault-dialog-actions">
          <button type="button" className="button button-primary" onClick={() => void confirm()}>
            Rotate and join again
          </button>
          <button type="button" className="button button-quiet" onClick={() => dialog.current?.close()} autoFocus>
            Keep the current hotkey
          </button>
        </div>
      </dialog>
    </>
  );
}
