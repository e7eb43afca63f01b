import { useId, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { GLOSSARY, glossSegments, type GlossaryId } from './glossary';

/**
 * A word of jargon with its definition (components/glossary.ts) as a tooltip: a real button, so
 * it is reached with Tab and announced with its definition (aria-describedby) by screen readers;
 * the tooltip shows on hover and on focus, a click pins it (touch), Escape hides it. The tooltip
 * lives in a portal at the end of the page: its words are not part of the sentence's text (a
 * status region would read them out, and copied text would carry them), only its description.
 */
export function Term({ id, children }: { id: GlossaryId; children?: ReactNode }) {
  const tipId = useId();
  const [hover, setHover] = useState(false);
  const [focus, setFocus] = useState(false);
  const [pinned, setPinned] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  const entry = GLOSSARY[id];
  const open = !dismissed && (hover || focus || pinned);
  const button = useRef<HTMLButtonElement>(null);
  const box = open ? button.current?.getBoundingClientRect() : undefined;
  const style = box ? { left: Math.max(8, Math.min(box.left, window.innerWidth - 336)), top: box.bottom + 6 } : undefined;
  return (
    <span
      className="term-wrap"
      onMouseEnter={() => {
        setHover(true);
        setDismissed(false);
      }}
      onMouseLeave={() => setHover(false)}
    >
      <button
        ref={button}
        type="button"
        className="term"
        aria-describedby={tipId}
        onFocus={() => {
          setFocus(true);
          setDismissed(false);
        }}
        onBlur={() => {
          setFocus(false);
          setPinned(false);
        }}
        onClick={() => {
          setPinned((p) => !p);
          setDismissed(false);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && open) {
            e.stopPropagation();
            setDismissed(true);
            setPinned(false);
          }
        }}
      >
        {children ?? entry.term}
      </button>
      {createPortal(
        <span role="tooltip" id={tipId} className={open ? 'term-tip term-tip-open' : 'term-tip'} style={style}>
          <strong>{entry.term}:</strong> {entry.definition}
        </span>,
        document.body,
      )}
    </span>
  );
}

/** A text from core or a long sentence, with the first occurrence of each glossary term explained. */
export function Glossed({ text, skip }: { text: string; skip?: readonly GlossaryId[] }) {
  return (
    <>
      {glossSegments(text, skip).map((s, i) =>
        typeof s === 'string' ? (
          s
        ) : (
          <Term key={i} id={s.id}>
            {s.text}
          </Term>
        ),
      )}
    </>
  );
}
