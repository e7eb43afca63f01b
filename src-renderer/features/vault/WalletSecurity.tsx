import { useEffect, useState, type FormEvent } from 'react';
import type { KeySafetyWarning, VaultIdentity, VaultOverview, VaultRole } from '@shared/contract/vault';
import { Card } from '../../components/Card';
import { rpc } from '../../rpc';
import { toastError } from '../../store/actions';
import { useStore } from '../../store/store';
import { BackupQuiz } from './BackupQuiz';
import { HoldToReveal } from './HoldToReveal';
import { Onboarding } from './Onboarding';
import { NewPasswordFields, PasswordField } from './PasswordFields';
import { UnlockForm } from './UnlockForm';
import { LockButton } from './LockChoice';
import { MiningCard, RotateHotkeyButton } from './MiningCard';
import { copyAndClear, download, startVault, vaultCall } from './vault-actions';
import { useVaultStore } from './vault-store';
import './vault.css';
import { FormError } from '../../components/FormError';
import { Glossed, Term } from '../../components/Term';

const ROLE_LABEL: Record<VaultRole, string> = {
  coldkey: 'Coldkey',
  hotkey: 'Hotkey',
  'checkpoint-signer': 'Checkpoint signer',
  'runner-wallet': 'Runner wallet',
  'smp-hotkey': 'Runner SMP hotkey',
  eoa: 'Ethereum account',
};

const ROLE_USE: Record<VaultRole, string> = {
  coldkey: 'Owns your stake and rewards. Mining never needs it.',
  hotkey: 'Signs your miner actions and registrations.',
  'checkpoint-signer': 'Signs checkpoint submissions.',
  'runner-wallet': 'Identifies you as a model runner.',
  'smp-hotkey': 'Signs model-runner enrolment.',
  eoa: 'Your EOA: identifies you to private-inference routers.',
};

function StandingNote() {
  return (
    <p className="note" role="note">
      No Minerva support person will ever ask for your recovery phrase or password. Anyone who asks for them is trying to take your rewards.
    </p>
  );
}

/** The Wallet & Security page: onboarding, unlock, identities, warnings and key actions. */
export function WalletSecurity() {
  const overview = useVaultStore((s) => s.overview);
  const loadError = useVaultStore((s) => s.loadError);
  const [wizard, setWizard] = useState(false);
  const state = overview?.status.state;
  useEffect(() => startVault(), []);
  useEffect(() => {
    if (state === 'missing') setWizard(true);
  }, [state]);

  if (!overview) return <p className="muted">{loadError ?? 'Loading…'}</p>;
  if (wizard) {
    return (
      <div className="page-stack">
        <Onboarding
          onFinish={() => {
            setWizard(false);
            // The wizard is gone: land on the page's heading, not on <body>.
            requestAnimationFrame(() => document.getElementById('page-title')?.focus());
          }}
        />
        <StandingNote />
      </div>
    );
  }
  return (
    <div className="page-stack">
      {state === 'corrupt' ? <RestoreCard backupAvailable={overview.status.backupAvailable} /> : null}
      {state === 'locked' ? <UnlockForm retryAfterMs={overview.status.retryAfterMs} /> : null}
      <div className="page-grid">
        {overview.identities.length > 0 ? <IdentitiesCard identities={overview.identities} locked={state !== 'unlocked'} /> : null}
        <WarningsCard overview={overview} />
        {state === 'unlocked' || state === 'locked' ? <MiningCard overview={overview} /> : null}
        {state === 'unlocked' ? <ActionsCard overview={overview} /> : null}
      </div>
      <StandingNote />
    </div>
  );
}

function IdentitiesCard({ identities, locked }: { identities: VaultIdentity[]; locked: boolean }) {
  const active = identities.filter((i) => i.active);
  const retired = identities.filter((i) => !i.active);
  return (
    <Card title="Your identities">
      {locked ? <p className="muted">Locked: addresses are shown, keys are not in memory.</p> : null}
      <ul className="identity-list" aria-label="Identities">
        {active.map((i) => (
          <IdentityRow key={`${i.role}-${i.publicKey}`} identity={i} />
        ))}
      </ul>
      {retired.length > 0 ? (
        <details className="retired">
          <summary>Retired and replaced keys ({retired.length})</summary>
          <ul className="identity-list" aria-label="Retired identities">
            {retired.map((i) => (
              <IdentityRow key={`${i.role}-${i.publicKey}`} identity={i} />
            ))}
          </ul>
        </details>
      ) : null}
    </Card>
  );
}

function IdentityRow({ identity: i }: { identity: VaultIdentity }) {
  const [copied, setCopied] = useState(false);
  const label = `${ROLE_LABEL[i.role]}${i.index !== undefined ? ` #${i.index}` : ''}`;
  return (
    <li className="identity" data-role={i.role}>
      <div className="identity-head">
        <span className="identity-role">
          <Glossed text={label} />
        </span>
        <span className="badge">
          <Term id={i.scheme} />
        </span>
        {i.watchOnly ? <span className="badge">watch-only</span> : null}
        {i.retiredAt ? <span className="badge">retired {i.retiredAt.slice(0, 10)}</span> : null}
      </div>
      <div className="identity-address mono" aria-label={`${label} address`}>
        {i.address}
      </div>
      <div className="identity-foot">
        <span className="muted">
          <Glossed text={ROLE_USE[i.role]} />
        </span>
        <button
          type="button"
          className="button button-quiet"
          aria-label={`Copy ${label} address`}
          onClick={() =>
            void copyAndClear(i.address).then((ok) => {
              setCopied(ok);
              if (ok) setTimeout(() => setCopied(false), 3000);
              else useStore.getState().pushToast('error', 'Could not use the clipboard. Select the address and copy it by hand.');
            })
          }
        >
          {copied ? 'Copied (cleared in 30 s)' : 'Copy'}
        </button>
      </div>
    </li>
  );
}

function WarningsCard({ overview }: { overview: VaultOverview }) {
  const [panel, setPanel] = useState<{ id: string; text: string; paths?: string[]; watchOnlyForm?: boolean; rotateButton?: boolean } | null>(null);
  const unlocked = overview.status.state === 'unlocked';
  const fix = async (w: KeySafetyWarning) => {
    setPanel(null);
    switch (w.fix.action) {
      case 'enable-auto-lock':
        try {
          await rpc().invoke('settings.update', { autoLockMinutes: 15 });
        } catch (error) {
          toastError(error);
        }
        return;
      case 'fix-vault-permissions':
        await vaultCall('vault.fixPermissions', {});
        return;
      case 'rewrite-vault-file':
        await vaultCall('vault.rewriteFile', {});
        return;
      case 'rotate-hotkey':
        if (!unlocked) return setPanel({ id: w.id, text: 'Unlock the wallet first.' });
        return setPanel({ id: w.id, text: 'Rotating asks first and says what will happen:', rotateButton: true });
      case 'stop-mining-resume':
        await vaultCall('vault.setResumeOnRestart', { enabled: false });
        return;
      case 'review-btcli-hotkeys': {
        const r = await vaultCall('vault.btcliHotkeyFiles', {});
        return setPanel({ id: w.id, text: 'These btcli files hold a hotkey secret without a password. Import the hotkey into Minerva (encrypted), then delete the file or move it off this machine:', paths: r.value?.paths ?? [] });
      }
      case 'make-watch-only':
        if (!unlocked) return setPanel({ id: w.id, text: 'Unlock the wallet first.' });
        return setPanel({
          id: w.id,
          text: 'Minerva will delete the recovery phrase and the coldkey secret from this computer and keep only the keys mining needs. Your paper copy of the phrase becomes the only way to move your stake or rotate the hotkey, so be sure it is right.',
          watchOnlyForm: true,
        });
      case 'restrict-to-loopback':
        return setPanel({ id: w.id, text: 'Restart `minerva serve` without --allow-remote, and reach it through an SSH tunnel instead (ssh -L 7357:127.0.0.1:7357 your-box).' });
      case 'change-password':
      case 'confirm-backup':
        if (!unlocked) return setPanel({ id: w.id, text: 'Unlock the wallet first.' });
        // Opens the form itself under Wallet actions; it takes the focus (its first field).
        useVaultStore.getState().openActionsPanel(w.fix.action === 'change-password' ? 'password' : 'quiz');
        return;
      default:
        return;
    }
  };
  return (
    <Card title="Key safety">
      {overview.warnings.length === 0 ? (
        <p className="muted">{overview.status.state === 'unlocked' ? 'No key-safety warnings. Well done.' : 'Unlock the wallet to check every warning.'}</p>
      ) : (
        <ul className="warning-list" aria-label="Key-safety warnings">
          {overview.warnings.map((w) => (
            <li key={w.id} className={`warning warning-${w.severity}`} data-warning={w.id}>
              <div className="warning-title">
                <span className={`badge badge-${w.severity}`}>{w.severity}</span> <Glossed text={w.title} />
              </div>
              <p className="warning-reason">
                <Glossed text={w.reason} />
              </p>
              <button type="button" className="button" onClick={() => void fix(w)}>
                {w.fix.label}
              </button>
              {panel?.id === w.id ? (
                <div className="warning-panel" role="status">
                  <p>{panel.text}</p>
                  {panel.watchOnlyForm ? <WatchOnlyForm onDone={() => setPanel(null)} /> : null}
                  {panel.rotateButton ? <RotateHotkeyButton overview={overview} /> : null}
                  {panel.paths ? (
                    <ul className="mono">
                      {panel.paths.map((p) => (
                        <li key={p}>{p}</li>
                      ))}
                    </ul>
                  ) : null}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function WatchOnlyForm({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const r = await vaultCall('vault.makeWatchOnly', { password });
    setPassword('');
    if (!r.ok) return setError(r.error ?? 'Could not change the wallet.');
    useStore.getState().pushToast('info', 'The coldkey secret and the recovery phrase are no longer on this computer.');
    onDone();
  };
  return (
    <form className="inline-form" aria-label="Keep only a watch-only coldkey" onSubmit={(e) => void submit(e)}>
      <PasswordField value={password} onChange={setPassword} />
      <FormError error={error} />
      <button type="submit" className="button button-primary">
        Remove the coldkey from this computer
      </button>
    </form>
  );
}

async function rotate(role: 'hotkey' | 'smp-hotkey'): Promise<void> {
  const r = await vaultCall('vault.rotateHotkey', { role });
  if (r.ok && r.value) useStore.getState().pushToast('info', `New ${role === 'hotkey' ? 'hotkey' : 'SMP hotkey'} #${r.value.current.index ?? '?'} in use; #${r.value.retired.index ?? '?'} is retired.`);
  else useStore.getState().pushToast('error', r.error ?? 'Could not rotate.');
}

type Panel = 'password' | 'backup' | 'reveal' | 'quiz' | null;

function ActionsCard({ overview }: { overview: VaultOverview }) {
  // In the store, so that a warning's fix button can open a form here.
  const panel = useVaultStore((s) => s.actionsPanel) as Panel;
  const setPanel = useVaultStore((s) => s.openActionsPanel);
  useEffect(() => () => setPanel(null), [setPanel]);
  const toggle = (p: Panel) => setPanel(panel === p ? null : p);
  const hasPhrase = overview.status.hasMnemonic === true;
  return (
    <Card title="Wallet actions">
      <div className="action-grid">
        <LockButton label="Lock now…" className="button" />
        <RotateHotkeyButton overview={overview} />
        <button type="button" className="button" onClick={() => void rotate('smp-hotkey')} disabled={!hasPhrase}>
          Rotate SMP hotkey
        </button>
        <button id="vault-change-password" type="button" className="button" aria-expanded={panel === 'password'} onClick={() => toggle('password')}>
          Change password
        </button>
        <button type="button" className="button" aria-expanded={panel === 'backup'} onClick={() => toggle('backup')}>
          Export encrypted backup
        </button>
        {hasPhrase ? (
          <button type="button" className="button" aria-expanded={panel === 'reveal'} onClick={() => toggle('reveal')}>
            Show recovery phrase
          </button>
        ) : null}
        {hasPhrase && overview.status.mnemonicConfirmed === false ? (
          <button id="vault-confirm-backup" type="button" className="button button-primary" aria-expanded={panel === 'quiz'} onClick={() => toggle('quiz')}>
            Confirm backup
          </button>
        ) : null}
      </div>
      {panel === 'password' ? <ChangePasswordForm onDone={() => setPanel(null)} /> : null}
      {panel === 'backup' ? <ExportBackupForm onDone={() => setPanel(null)} /> : null}
      {panel === 'reveal' ? <RevealForm /> : null}
      {panel === 'quiz' ? <BackupQuiz onDone={() => setPanel(null)} onSkip={() => setPanel(null)} /> : null}
    </Card>
  );
}

function ChangePasswordForm({ onDone }: { onDone: () => void }) {
  const [oldPassword, setOld] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [acceptWeak, setAcceptWeak] = useState(false);
  const [refusedWeak, setRefusedWeak] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) return setError('The two passwords differ.');
    const r = await vaultCall('vault.changePassword', { oldPassword, newPassword: password, acceptWeak });
    if (!r.ok) {
      setRefusedWeak(r.code === 'WEAK_PASSWORD');
      return setError(r.error ?? 'Could not change the password.');
    }
    useStore.getState().pushToast('info', 'Password changed.');
    onDone();
  };
  return (
    <form className="inline-form" aria-label="Change password" onSubmit={(e) => void submit(e)}>
      <PasswordField value={oldPassword} onChange={setOld} label="Current password" autoFocus />
      <NewPasswordFields value={password} confirm={confirm} onChange={setPassword} onConfirm={setConfirm} acceptWeak={acceptWeak} onAcceptWeak={setAcceptWeak} refusedWeak={refusedWeak} label="New password" />
      <FormError error={error} />
      <button type="submit" className="button button-primary">
        Change password
      </button>
    </form>
  );
}

function ExportBackupForm({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const r = await vaultCall('vault.exportBackup', { password });
    setPassword('');
    if (!r.ok || !r.value) return setError(r.error ?? 'Could not export.');
    download(r.value.fileName, r.value.content);
    useStore.getState().pushToast('info', 'Encrypted backup saved. It opens with your current password; keep it off this computer.');
    onDone();
  };
  return (
    <form className="inline-form" aria-label="Export encrypted backup" onSubmit={(e) => void submit(e)}>
      <p className="help">The backup is your wallet file, still encrypted with your password.</p>
      <PasswordField value={password} onChange={setPassword} />
      <FormError error={error} />
      <button type="submit" className="button button-primary">
        Download backup
      </button>
    </form>
  );
}

function RevealForm() {
  const [password, setPassword] = useState('');
  const [confirmed, setConfirmed] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (confirmed) {
    return (
      <HoldToReveal
        load={async () => {
          const r = await vaultCall('vault.revealMnemonic', { password: confirmed });
          setConfirmed(null);
          if (!r.ok || !r.value) {
            setError(r.error ?? 'Could not show the phrase.');
            return null;
          }
          return r.value.mnemonic;
        }}
      />
    );
  }
  return (
    <form
      className="inline-form"
      aria-label="Show recovery phrase"
      onSubmit={(e) => {
        e.preventDefault();
        setConfirmed(password);
        setPassword('');
      }}
    >
      <p className="help">Enter your password again to see the phrase. Make sure nobody can see your screen.</p>
      <PasswordField value={password} onChange={setPassword} />
      <FormError error={error} />
      <button type="submit" className="button button-primary">
        Continue
      </button>
    </form>
  );
}

function RestoreCard({ backupAvailable }: { backupAvailable: boolean }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const r = await vaultCall('vault.restoreBackup', { password });
    setPassword('');
    if (!r.ok) setError(r.error ?? 'Could not restore.');
  };
  return (
    <Card title="Your wallet file is damaged">
      <div className="banner banner-danger" role="alert">
        Minerva cannot read the wallet file: it is damaged or was changed outside Minerva. Nothing was deleted.
      </div>
      {backupAvailable ? (
        <form className="inline-form" aria-label="Restore backup" onSubmit={(e) => void submit(e)}>
          <p>The previous version of the wallet was kept. Restore it with the password it had (your current password, unless you changed it just before).</p>
          <PasswordField value={password} onChange={setPassword} />
          <FormError error={error} />
          <button type="submit" className="button button-primary">
            Restore backup
          </button>
        </form>
      ) : (
        <p>No earlier version exists. Restore an exported backup with `minerva wallet restore-backup --from FILE`, or import your recovery phrase.</p>
      )}
    </Card>
  );
}
