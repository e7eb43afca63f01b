import { useState, type FormEvent } from 'react';
import { Card } from '../../components/Card';
import { PasswordField } from './PasswordFields';
import { vaultCall } from './vault-actions';
import { useVaultStore } from './vault-store';

/**
 * The unlock screen: one password field; wrong passwords are slowed down by core. What waits for
 * the password depends on mining: with the work keys in memory, jobs and rewards go on and only
 * the coldkey's actions (phrase, transfers, key changes) wait.
 */
export function UnlockForm({ retryAfterMs }: { retryAfterMs: number }) {
  const mining = useVaultStore((s) => s.overview?.status.mining ?? false);
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
        <p>
          {mining
            ? 'Mining goes on while the wallet is locked: jobs are answered and rewards keep coming. Enter your wallet password for what needs the coldkey — the recovery phrase, transfers and key changes.'
            : 'Your keys are encrypted and mining is off. Enter your wallet password to use them; jobs and submissions wait until then, and jobs the router sends meanwhile go to other miners.'}
        </p>
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
