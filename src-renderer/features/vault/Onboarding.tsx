import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { VaultImportSource } from '@shared/contract/vault';
import { Card } from '../../components/Card';
import { BackupQuiz } from './BackupQuiz';
import { HoldToReveal } from './HoldToReveal';
import { NewPasswordFields } from './PasswordFields';
import { vaultCall } from './vault-actions';
import { FormError } from '../../components/FormError';

type Step = 'choose' | 'create' | 'reveal' | 'quiz' | 'import';

/** First start: create a wallet (phrase shown once, then the three-word check) or import one. */
export function Onboarding({ onFinish }: { onFinish: () => void }) {
  const [step, setStepState] = useState<Step>('choose');
  // After the first step, each new step's heading takes the focus (the old step's button is gone).
  const [moved, setMoved] = useState(false);
  const setStep = (next: Step) => {
    setMoved(true);
    setStepState(next);
  };
  // The password is needed once more to show the phrase; it is dropped when the wizard ends.
  const passwordRef = useRef('');
  useEffect(
    () => () => {
      passwordRef.current = '';
    },
    [],
  );

  if (step === 'choose') {
    return (
      <Card title="Set up your wallet" focusHeading={moved}>
        <p>Your wallet holds the keys that identify you as a miner and receive your rewards. They are encrypted with a password and never leave Minerva's core.</p>
        <div className="form-row">
          <button type="button" className="button button-primary" onClick={() => setStep('create')}>
            Create a new wallet
          </button>
          <button type="button" className="button" onClick={() => setStep('import')}>
            Import an existing wallet
          </button>
        </div>
      </Card>
    );
  }
  if (step === 'create') return <CreateForm onCreated={(pw) => ((passwordRef.current = pw), setStep('reveal'))} onBack={() => setStep('choose')} />;
  if (step === 'reveal') {
    return (
      <Card title="Write down your recovery phrase" focusHeading>
        <p>
          These words are the only way to restore your keys and rewards if this computer fails. Write them on paper, in order, and keep it somewhere safe and offline. Never type them
          into a website, a chat or a photo.
        </p>
        <HoldToReveal
          load={async () => {
            const r = await vaultCall('vault.revealMnemonic', { password: passwordRef.current });
            return r.ok && r.value ? r.value.mnemonic : null;
          }}
        />
        <div className="form-row">
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              passwordRef.current = '';
              setStep('quiz');
            }}
          >
            I wrote it down
          </button>
        </div>
      </Card>
    );
  }
  if (step === 'quiz') {
    return (
      <Card title="Confirm your backup" focusHeading>
        <BackupQuiz onDone={onFinish} onSkip={onFinish} />
      </Card>
    );
  }
  return <ImportForm onBack={() => setStep('choose')} onImported={onFinish} />;
}

function CreateForm({ onCreated, onBack }: { onCreated: (password: string) => void; onBack: () => void }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [words, setWords] = useState<12 | 24>(12);
  const [acceptWeak, setAcceptWeak] = useState(false);
  const [refusedWeak, setRefusedWeak] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) return setError('The two passwords differ.');
    setBusy(true);
    setError(null);
    // vault.create answers with the new overview; the page keeps showing this wizard until the backup step ends
    const r = await vaultCall('vault.create', { password, words, acceptWeak });
    setBusy(false);
    if (!r.ok) {
      setRefusedWeak(r.code === 'WEAK_PASSWORD');
      return setError(r.error ?? 'Could not create the wallet.');
    }
    onCreated(password);
    setPassword('');
    setConfirm('');
  };
  return (
    <Card title="Create a new wallet" focusHeading>
      <form className="inline-form" aria-label="Create a new wallet" onSubmit={(e) => void submit(e)}>
        <NewPasswordFields value={password} confirm={confirm} onChange={setPassword} onConfirm={setConfirm} acceptWeak={acceptWeak} onAcceptWeak={setAcceptWeak} refusedWeak={refusedWeak} />
        <div className="field">
          <label htmlFor={`${id}-words`}>Recovery phrase length</label>
          <select id={`${id}-words`} value={words} onChange={(e) => setWords(Number(e.target.value) === 24 ? 24 : 12)}>
            <option value={12}>12 words</option>
            <option value={24}>24 words</option>
          </select>
        </div>
        <FormError error={error} />
        <div className="form-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create wallet'}
          </button>
          <button type="button" className="button button-quiet" onClick={onBack}>
            Back
          </button>
        </div>
      </form>
    </Card>
  );
}

type ImportKind = VaultImportSource['kind'];
const IMPORT_KINDS: { kind: ImportKind; label: string; help: string }[] = [
  { kind: 'mnemonic', label: 'Recovery phrase (12 or 24 words)', help: 'The words, separated by spaces.' },
  { kind: 'polkadot-json', label: 'polkadot-js account file (JSON)', help: 'Paste the file content, and give the password you exported it with.' },
  { kind: 'btcli', label: 'btcli wallet folder', help: 'The folder path on this computer, e.g. /home/you/.bittensor/wallets/default. Without a password only the public coldkey is read.' },
  { kind: 'watch-only-coldkey', label: 'Watch-only coldkey (address only)', help: 'Your coldkey SS58 address: rewards are shown, the coldkey itself stays off this machine.' },
  { kind: 'ethereum-key', label: 'Ethereum private key', help: '64 hexadecimal characters.' },
  { kind: 'solana-keypair', label: 'Solana keypair file', help: 'The JSON array of 64 numbers that solana-keygen writes.' },
  { kind: 'seed', label: 'Raw seed (hex)', help: 'A 32-byte secret seed in hexadecimal.' },
];

function ImportForm({ onBack, onImported }: { onBack: () => void; onImported: () => void }) {
  const [kind, setKind] = useState<ImportKind>('mnemonic');
  const [secret, setSecret] = useState('');
  const [keyPassword, setKeyPassword] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [acceptWeak, setAcceptWeak] = useState(false);
  const [refusedWeak, setRefusedWeak] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const info = IMPORT_KINDS.find((k) => k.kind === kind) ?? IMPORT_KINDS[0]!;
  const needsKeyPassword = kind === 'polkadot-json' || kind === 'btcli';
  // Another source type: what was typed for the previous one (a phrase, a key) and its error go.
  const switchKind = (next: ImportKind) => {
    setKind(next);
    setSecret('');
    setKeyPassword('');
    setError(null);
  };

  const source = (): VaultImportSource => {
    switch (kind) {
      case 'mnemonic':
        return { kind, phrase: secret };
      case 'seed':
        return { kind, hex: secret };
      case 'polkadot-json':
        return { kind, json: secret, password: keyPassword, role: 'coldkey' };
      case 'btcli':
        return { kind, dir: secret, ...(keyPassword ? { password: keyPassword } : {}) };
      case 'solana-keypair':
        return { kind, json: secret };
      case 'ethereum-key':
        return { kind, hex: secret };
      case 'watch-only-coldkey':
        return { kind, address: secret };
      default:
        return { kind: 'mnemonic', phrase: secret };
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) return setError('The two passwords differ.');
    setBusy(true);
    setError(null);
    const r = await vaultCall('vault.import', { password, source: source(), acceptWeak });
    setBusy(false);
    if (!r.ok) {
      setRefusedWeak(r.code === 'WEAK_PASSWORD');
      return setError(r.error ?? 'Could not import.');
    }
    setSecret('');
    setKeyPassword('');
    onImported();
  };

  return (
    <Card title="Import an existing wallet" focusHeading>
      <form className="inline-form" aria-label="Import a wallet" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor={`${id}-kind`}>What do you have?</label>
          <select id={`${id}-kind`} value={kind} onChange={(e) => switchKind(e.target.value as ImportKind)}>
            {IMPORT_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-secret`}>{info.label}</label>
          <textarea id={`${id}-secret`} rows={3} autoComplete="off" spellCheck={false} value={secret} onChange={(e) => setSecret(e.target.value)} required aria-describedby={`${id}-secret-help`} />
          <p id={`${id}-secret-help`} className="help">
            {info.help}
          </p>
        </div>
        {needsKeyPassword ? (
          <div className="field">
            <label htmlFor={`${id}-keypw`}>{kind === 'btcli' ? 'btcli coldkey password (optional)' : 'Password of the account file'}</label>
            <input id={`${id}-keypw`} type="password" autoComplete="off" value={keyPassword} onChange={(e) => setKeyPassword(e.target.value)} required={kind === 'polkadot-json'} />
          </div>
        ) : null}
        <NewPasswordFields
          value={password}
          confirm={confirm}
          onChange={setPassword}
          onConfirm={setConfirm}
          acceptWeak={acceptWeak}
          onAcceptWeak={setAcceptWeak}
          refusedWeak={refusedWeak}
          label="New password for Minerva's wallet"
        />
        <FormError error={error} />
        <div className="form-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Importing…' : 'Import'}
          </button>
          <button type="button" className="button button-quiet" onClick={onBack}>
            Back
          </button>
        </div>
      </form>
    </Card>
  );
}
