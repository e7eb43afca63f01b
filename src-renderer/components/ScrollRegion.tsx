import type { ReactNode } from 'react';

/**
 * A box that scrolls on its own (a long table, a log). Keyboard users must be able to reach and
 * scroll it, so it is focusable and named as a region (axe: scrollable-region-focusable).
 */
export function ScrollRegion({ label, className, children }: { label: string; className: string; children: ReactNode }) {
  return (
    <div className={`scroll-region ${className}`} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
