import { useState, type FormEvent } from 'react';
import { Card } from '../../components/Card';
import { PasswordField } from './PasswordFields';
import { vaultCall } from './vault-actions';

/** The unlock screen: one password field; wrong passwords are slowed down by core. */
export function UnlockForm({ retryAfterMs }: { retryAfterMs: number }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const r = await vaultCall('vault.unlock', { password });
    setBusy(false);
    setPassword('');
    if (!r.ok) setError(r.error ?? 'Could not unlock.');
  };
  return (
    <Card title="Unlock your wallet">
      <form className="inline-form" aria-label="Unlock the wallet" onSubmit={(e) => void submit(e)}>
        <p>Your keys are encrypted. Enter your wallet password to use them; jobs that need a key wait until then.</p>
        <PasswordField value={password} onChange={setPassword} autoFocus />
        {error ? (
          <p role="alert" className="help help-bad">
            {error}
          </p>
        ) : retryAfterMs > 0 ? (
          <p className="help help-warn">After several wrong passwords, Minerva waits a little before the next try.</p>
        ) : null}
        <div className="form-row">
          <button type="submit" className="button button-primary" disabled={busy || password.length === 0}>
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
        </div>
      </form>
    </Card>
  );
}
