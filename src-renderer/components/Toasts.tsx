import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useStore, type Toast } from '../store/store';

/** How long a toast stays on screen (while not hovered or focused): errors twice as long. */
const SHOWN_MS: Record<Toast['kind'], number> = { info: 5_000, error: 10_000 };

/**
 * Transient messages; errors are announced assertively, others politely. Each toast has its own
 * timer, started when it appears: a new toast does not restart the others (it did, and a stream
 * of notifications kept an old error on screen for minutes). A toast's timer stops while the pointer
 * or the keyboard focus is on it, so it can be read and its link reached; Escape dismisses the
 * focused toast and focus moves to the next one, or to the page's heading. Toasts stay across page
 * changes, as an app's messages do (a result that arrives after the user moved on is still news);
 * a toast about a state that changed is dropped by whoever sees the change (ToastTopic).
 */
export function Toasts() {
  const toasts = useStore((s) => s.toasts);
  const dismissToast = useStore((s) => s.dismissToast);
  const list = useRef<HTMLDivElement>(null);

  const dismiss = useCallback(
    (id: number) => {
      const box = list.current;
      const own = box?.querySelector<HTMLElement>(`[data-toast="${id}"]`);
      if (box && own?.contains(document.activeElement)) {
        // Focus would fall to <body>: the next toast's dismiss button, or the page heading.
        const next = [...box.querySelectorAll<HTMLElement>('[data-toast]')].find((t) => t !== own)?.querySelector<HTMLElement>('button');
        (next ?? document.getElementById('page-title'))?.focus();
      }
      dismissToast(id);
    },
    [dismissToast],
  );

  return (
    <div className="toasts" ref={list}>
      {toasts.map((t) => (
        <ToastItem key={t.id} toast={t} dismiss={dismiss} />
      ))}
    </div>
  );
}

function ToastItem({ toast, dismiss }: { toast: Toast; dismiss: (id: number) => void }) {
  // Held by the pointer or the focus: each toast for itself (a shared "hovered" stuck when the
  // toast under the pointer went away, which sends no leave event).
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const paused = hovered || focused;
  const left = useRef(SHOWN_MS[toast.kind]);
  useEffect(() => {
    if (paused) return undefined;
    const started = Date.now();
    const timer = setTimeout(() => dismiss(toast.id), Math.max(0, left.current));
    return () => {
      clearTimeout(timer);
      left.current -= Date.now() - started;
    };
  }, [paused, toast.id, dismiss]);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.stopPropagation();
    dismiss(toast.id);
  };
  return (
    <div
      className={`toast toast-${toast.kind}`}
      role={toast.kind === 'error' ? 'alert' : 'status'}
      data-toast={toast.id}
      onKeyDown={onKeyDown}
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => setFocused(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) setFocused(false);
      }}
    >
      <span>
        {toast.text}
        {toast.action ? (
          <>
            {' '}
            <a href={toast.action.href} onClick={() => dismiss(toast.id)}>
              {toast.action.label}
            </a>
          </>
        ) : null}
      </span>
      <button type="button" className="icon-button" aria-label="Dismiss message" onClick={() => dismiss(toast.id)}>
        ×
      </button>
    </div>
  );
}
