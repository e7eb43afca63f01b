import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A titled section. `focusHeading`: the heading takes the focus when the card appears — for a
 * wizard's next step, so keyboard and screen-reader users land on it instead of on <body>.
 */
/**
 * `showId`: a link can land on this card (`#/<page>?show=<showId>`, routes.tsx `showTarget`): its
 * heading is marked and focusable, and the app scrolls to it and focuses it.
 */
export function Card({ title, children, actions, focusHeading = false, showId }: { title: string; children: ReactNode; actions?: ReactNode; focusHeading?: boolean; showId?: string }) {
  const id = `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const heading = useRef<HTMLHeadingElement>(null);
  // Also when the title changes: React reuses one Card for two wizard steps in the same place.
  useEffect(() => {
    if (focusHeading) heading.current?.focus();
  }, [focusHeading, title]);
  return (
    <section className="card" aria-labelledby={id}>
      <div className="card-head">
        <h2 id={id} ref={heading} tabIndex={focusHeading || showId ? -1 : undefined} data-show={showId}>
          {title}
        </h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** What a page shows before it has anything: what will appear here, and what to do now. */
export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      <div className="empty-body">{children}</div>
    </div>
  );
}
