import { useId } from 'react';

/** A new password typed twice, with the rule next to it. */
export function NewPasswordFields({ value, confirm, onChange, onConfirm, label = 'Wallet password' }: { value: string; confirm: string; onChange: (v: string) => void; onConfirm: (v: string) => void; label?: string }) {
  const id = useId();
  const mismatch = confirm.length > 0 && confirm !== value;
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-pw`}>{label}</label>
        <input id={`${id}-pw`} type="password" autoComplete="new-password" value={value} onChange={(e) => onChange(e.target.value)} minLength={8} required aria-describedby={`${id}-help`} />
        <p id={`${id}-help`} className="help">
          At least 8 characters. Four or more unrelated words make a strong password that is easy to remember. It encrypts your keys on this computer; Minerva cannot recover it.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-again`}>Type it again</label>
        <input id={`${id}-again`} type="password" autoComplete="new-password" value={confirm} onChange={(e) => onConfirm(e.target.value)} required aria-invalid={mismatch} />
        {mismatch ? <p className="help help-bad">The two passwords differ.</p> : null}
      </div>
    </>
  );
}

export function PasswordField({ value, onChange, label = 'Wallet password', autoFocus }: { value: string; onChange: (v: string) => void; label?: string; autoFocus?: boolean }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="password" autoComplete="current-password" value={value} onChange={(e) => onChange(e.target.value)} required autoFocus={autoFocus} />
    </div>
  );
}
