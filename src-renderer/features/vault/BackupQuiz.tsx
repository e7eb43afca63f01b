import { useEffect, useId, useState, type FormEvent } from 'react';
import { vaultCall } from './vault-actions';
import { FormError } from '../../components/FormError';

/** Asks for three random words of the phrase (positions chosen by core) to confirm the backup. */
export function BackupQuiz({ onDone, onSkip }: { onDone: () => void; onSkip?: () => void }) {
  const [positions, setPositions] = useState<number[] | null>(null);
  const [answers, setAnswers] = useState(['', '', '']);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const baseId = useId();

  useEffect(() => {
    void vaultCall('vault.startBackupQuiz', {}).then((r) => {
      if (r.ok && r.value) setPositions(r.value.positions);
      else setError(r.error ?? 'Could not start the check.');
    });
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const r = await vaultCall('vault.answerBackupQuiz', { answers });
    setBusy(false);
    if (!r.ok || !r.value) return setError(r.error ?? 'Could not check the words.');
    if (r.value.confirmed) {
      setAnswers(['', '', '']);
      onDone();
    } else setError(`Not quite: check word${r.value.wrongPositions.length > 1 ? 's' : ''} #${r.value.wrongPositions.join(', #')} on your paper and try again.`);
  };

  if (!positions) return <p className="muted">{error ?? 'Preparing the check…'}</p>;
  return (
    <form className="inline-form" aria-label="Confirm your backup" onSubmit={(e) => void submit(e)}>
      <p>Type these words from the phrase you wrote down, to be sure the paper copy is right.</p>
      {positions.map((p, i) => (
        <div className="field" key={p}>
          <label htmlFor={`${baseId}-${p}`}>Word #{p}</label>
          <input
            id={`${baseId}-${p}`}
            type="text"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={answers[i]}
            onChange={(e) => setAnswers(answers.map((a, j) => (j === i ? e.target.value : a)))}
            required
          />
        </div>
      ))}
      <FormError error={error} />
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Confirm backup'}
        </button>
        {onSkip ? (
          <button type="button" className="button button-quiet" onClick={onSkip}>
            Later
          </button>
        ) : null}
      </div>
    </form>
  );
}
