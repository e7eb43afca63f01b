import { useEffect, useId, useState } from 'react';
import type { PasswordStrength } from '@shared/contract/vault';
import { rpc } from '../../rpc';

/**
 * The strength of a new password while it is typed, from core's `vault.checkPassword` (the same
 * zxcvbn-ts check that refuses a weak password), a moment after the last keystroke.
 */
export function usePasswordStrength(password: string): PasswordStrength | null {
  const [strength, setStrength] = useState<PasswordStrength | null>(null);
  useEffect(() => {
    if (!password) {
      setStrength(null);
      return undefined;
    }
    let live = true;
    const timer = setTimeout(() => {
      rpc()
        .invoke('vault.checkPassword', { password })
        .then((s) => {
          if (live) setStrength(s);
        })
        .catch(() => undefined);
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [password]);
  return password ? strength : null;
}

function StrengthMeter({ strength, id }: { strength: PasswordStrength | null; id: string }) {
  const tone = !strength ? '' : strength.weak ? 'strength-weak' : 'strength-ok';
  return (
    <div className={`strength ${tone}`}>
      <meter id={`${id}-meter`} min={0} max={4} low={2.5} high={3.5} optimum={4} value={strength?.tooShort ? 0 : (strength?.score ?? 0)} aria-labelledby={`${id}-meter-label`} />
      {/* Read out once the verdict settles (polite), so typing is not interrupted. */}
      <p id={`${id}-meter-label`} className="help strength-text" aria-live="polite">
        {!strength ? (
          'Password strength: type a password.'
        ) : (
          <>
            <strong>Password strength: {strength.label}.</strong>{' '}
            {strength.tooShort ? 'Use at least 8 characters. ' : `Someone who copied your wallet file would need about ${strength.crackTime} to guess it. `}
            {strength.warning ? `${strength.warning} ` : ''}
            {strength.weak ? (strength.suggestions[0] ?? 'Add more words that are less common.') : ''}
          </>
        )}
      </p>
    </div>
  );
}

/**
 * A new password typed twice, with the rule, a strength meter, and — when the password is weak —
 * the explicit "I understand" box without which core refuses it (WEAK_PASSWORD).
 */
export function NewPasswordFields({
  value,
  confirm,
  onChange,
  onConfirm,
  acceptWeak,
  onAcceptWeak,
  refusedWeak = false,
  label = 'Wallet password',
}: {
  value: string;
  confirm: string;
  onChange: (v: string) => void;
  onConfirm: (v: string) => void;
  acceptWeak: boolean;
  onAcceptWeak: (v: boolean) => void;
  /** Core refused the last try as weak: show the box even before the meter has its verdict. */
  refusedWeak?: boolean;
  label?: string;
}) {
  const id = useId();
  const mismatch = confirm.length > 0 && confirm !== value;
  const strength = usePasswordStrength(value);
  // The meter's verdict on what is typed now rules; core's last refusal only until it arrives.
  const weak = strength ? strength.weak && !strength.tooShort : refusedWeak;
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-pw`}>{label}</label>
        <input
          id={`${id}-pw`}
          type="password"
          autoComplete="new-password"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          minLength={8}
          required
          aria-describedby={`${id}-help ${id}-meter-label`}
          aria-invalid={strength?.weak ?? undefined}
        />
        <p id={`${id}-help`} className="help">
          At least 8 characters. Four or more unrelated words make a strong password that is easy to remember. It encrypts your keys on this computer; Minerva cannot recover it.
        </p>
        <StrengthMeter strength={strength} id={id} />
      </div>
      {weak ? (
        <div className="field field-check">
          <input id={`${id}-weak`} type="checkbox" checked={acceptWeak} onChange={(e) => onAcceptWeak(e.target.checked)} aria-describedby={`${id}-weak-help`} />
          <label htmlFor={`${id}-weak`}>I understand this password is easy to guess, and I want to use it anyway</label>
          <p id={`${id}-weak-help`} className="help">
            Minerva refuses a weak password unless you tick this. The wallet will show a critical warning until you choose a stronger one.
          </p>
        </div>
      ) : null}
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
