import { useEffect, useRef, useState } from 'react';

/**
 * Shows the recovery phrase only while the button is held down (mouse, touch, or Space/Enter),
 * so it is not left on screen. The phrase is fetched on the first hold and kept only in this
 * component's state; it is dropped when the component unmounts.
 */
export function HoldToReveal({ load, label = 'Hold to show the recovery phrase' }: { load: () => Promise<string | null>; label?: string }) {
  const [phrase, setPhrase] = useState<string | null>(null);
  const [held, setHeld] = useState(false);
  const [loading, setLoading] = useState(false);
  const loadingRef = useRef(false);

  useEffect(() => () => setPhrase(null), []);

  const start = () => {
    setHeld(true);
    if (phrase || loadingRef.current) return;
    loadingRef.current = true;
    setLoading(true);
    void load().then((value) => {
      loadingRef.current = false;
      setLoading(false);
      if (value) setPhrase(value);
    });
  };
  const stop = () => setHeld(false);
  const words = phrase?.split(' ') ?? [];

  return (
    <div className="reveal">
      <button
        type="button"
        className="button button-primary reveal-button"
        aria-pressed={held}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture?.(e.pointerId);
          start();
        }}
        onPointerUp={stop}
        onPointerCancel={stop}
        onPointerLeave={stop}
        onKeyDown={(e) => {
          if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
            e.preventDefault();
            start();
          }
        }}
        onKeyUp={(e) => {
          if (e.key === ' ' || e.key === 'Enter') stop();
        }}
        onBlur={stop}
      >
        {held ? 'Release to hide' : label}
      </button>
      <div className="reveal-area" aria-live="polite">
        {held && words.length > 0 ? (
          <ol className="phrase-grid" aria-label="Recovery phrase">
            {words.map((w, i) => (
              <li key={i} className="phrase-word">
                <span className="phrase-index" aria-hidden="true">
                  {i + 1}
                </span>
                <span className="mono">{w}</span>
              </li>
            ))}
          </ol>
        ) : (
          <p className="muted reveal-hidden">{held && loading ? 'Decrypting…' : 'Hidden. Make sure nobody can see your screen, then hold the button.'}</p>
        )}
      </div>
    </div>
  );
}
