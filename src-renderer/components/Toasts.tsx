import { useEffect } from 'react';
import { useStore } from '../store/store';

/** Transient messages; errors are announced assertively, others politely. */
export function Toasts() {
  const toasts = useStore((s) => s.toasts);
  const dismiss = useStore((s) => s.dismissToast);
  useEffect(() => {
    const timers = toasts.map((t) => setTimeout(() => dismiss(t.id), t.kind === 'error' ? 10_000 : 4_000));
    return () => timers.forEach(clearTimeout);
  }, [toasts, dismiss]);
  return (
    <div className="toasts">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>
            {t.text}
            {t.action ? (
              <>
                {' '}
                <a href={t.action.href} onClick={() => dismiss(t.id)}>
                  {t.action.label}
                </a>
              </>
            ) : null}
          </span>
          <button type="button" className="icon-button" aria-label="Dismiss message" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
