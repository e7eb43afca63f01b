import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

/**
 * A windowed list box: only the rows in view (plus a few either side) are in the DOM, so that a
 * list of tens of thousands of rows scrolls as smoothly as one of ten. Rows have one fixed height
 * (`rowHeight`, which the row's CSS must match). Hand-written (about 150 lines) rather than a
 * dependency: fixed-height rows need none of a library's measuring.
 *
 * Keyboard: the list is one tab stop; ↑ ↓ Page Up/Down Home End move the active row (announced
 * through aria-activedescendant, so focus is never lost when a row leaves the window), Enter or
 * Space activates it. Each row is an option with its position in the whole list (aria-posinset of
 * aria-setsize), so a screen reader says "12 of 10,000".
 *
 * Positions are set through the CSSOM from layout effects (allowed by the CSP, unlike style
 * attributes). New rows inserted above the view keep the rows in view where they were
 * (`keyOf`/`indexOfKey` anchor the scroll position to the first row in view).
 */
export interface VirtualListProps {
  count: number;
  rowHeight: number;
  label: string;
  /** A stable key per row (the rows' DOM ids derive from it). */
  keyOf: (index: number) => string;
  /** Where a key is now, or -1. */
  indexOfKey: (key: string) => number;
  renderRow: (index: number, active: boolean) => ReactNode;
  /** Accessible name of a row (the option's label). */
  rowLabel: (index: number) => string;
  activeKey: string | null;
  onActiveKeyChange: (key: string | null) => void;
  onActivate?: (key: string) => void;
  /** Rows rendered beyond the view on each side. */
  overscan?: number;
  className?: string;
  idPrefix: string;
  /** Changes whenever the rows' content changes (so that rows re-render). */
  version?: number;
  /** Another list (e.g. other filters): start at the top, or at the active row when it is in it. */
  resetKey?: string;
}

export function VirtualList(props: VirtualListProps) {
  const { count, rowHeight, label, keyOf, indexOfKey, renderRow, rowLabel, activeKey, onActiveKeyChange, onActivate, overscan = 8, className, idPrefix, version, resetKey } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const sizerRef = useRef<HTMLDivElement>(null);
  const windowRef = useRef<HTMLDivElement>(null);
  const [range, setRange] = useState({ start: 0, end: 40 });
  /** The first row in view when we last looked, to keep it in place when rows arrive above it. */
  const anchor = useRef<{ key: string; offset: number } | null>(null);
  const pointing = useRef(false);

  const measure = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const first = Math.floor(el.scrollTop / rowHeight);
    const visible = Math.ceil(el.clientHeight / rowHeight) + 1;
    const start = Math.max(0, Math.min(first, count) - overscan);
    const end = Math.min(count, first + visible + overscan);
    anchor.current = el.scrollTop > 0 && first < count ? { key: keyOf(first), offset: el.scrollTop - first * rowHeight } : null;
    setRange((r) => (r.start === start && r.end === end ? r : { start, end }));
  }, [count, rowHeight, overscan, keyOf]);

  // Another list: the old scroll position means nothing in it.
  const lastReset = useRef(resetKey);
  useLayoutEffect(() => {
    if (lastReset.current === resetKey) return;
    lastReset.current = resetKey;
    const el = scrollRef.current;
    if (!el) return;
    if (sizerRef.current) sizerRef.current.style.height = `${count * rowHeight}px`;
    const at = activeKey === null ? -1 : indexOfKey(activeKey);
    el.scrollTop = at >= 0 ? Math.max(0, at * rowHeight - el.clientHeight / 2) : 0;
    anchor.current = null;
    measure();
  }, [resetKey, activeKey, count, rowHeight, indexOfKey, measure]);

  // Rows were added or removed: keep the first row in view where it was, then look again.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    const held = anchor.current;
    // The new height first: a scroll position past the old end would be clamped. The box itself is
    // as tall as its rows up to the CSS max-height (a short list leaves no empty box).
    if (sizerRef.current) sizerRef.current.style.height = `${count * rowHeight}px`;
    if (el) el.style.height = `${Math.max(count, 1) * rowHeight + (el.offsetHeight - el.clientHeight)}px`;
    if (el && held) {
      const at = indexOfKey(held.key);
      if (at >= 0) {
        const top = at * rowHeight + held.offset;
        if (Math.abs(el.scrollTop - top) >= 1) el.scrollTop = top;
      }
    }
    measure();
    // `version`: the same count can hold other rows (filtered, or rows arrived while others ended).
  }, [measure, indexOfKey, rowHeight, count, version]);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return undefined;
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        measure();
      });
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    const resize = new ResizeObserver(() => measure());
    resize.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [measure]);

  const start = Math.min(range.start, count);
  const end = Math.min(range.end, count);
  useLayoutEffect(() => {
    if (windowRef.current) windowRef.current.style.transform = `translateY(${start * rowHeight}px)`;
  }, [rowHeight, start]);

  const activeIndex = activeKey === null ? -1 : indexOfKey(activeKey);

  const scrollIntoView = (index: number) => {
    const el = scrollRef.current;
    if (!el) return;
    const top = index * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight;
  };

  const moveTo = (index: number) => {
    if (count === 0) return;
    const i = Math.max(0, Math.min(count - 1, index));
    onActiveKeyChange(keyOf(i));
    scrollIntoView(i);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? rowHeight * 10) / rowHeight) - 1);
    const from = activeIndex < 0 ? -1 : activeIndex;
    const moves: Record<string, () => void> = {
      ArrowDown: () => moveTo(from + 1),
      ArrowUp: () => moveTo(from - 1),
      PageDown: () => moveTo(from + page),
      PageUp: () => moveTo(from - page),
      Home: () => moveTo(0),
      End: () => moveTo(count - 1),
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      move();
    } else if ((event.key === 'Enter' || event.key === ' ') && activeIndex >= 0 && onActivate) {
      event.preventDefault();
      onActivate(keyOf(activeIndex));
    }
  };

  const rowId = (key: string) => `${idPrefix}-${key}`;
  const rows: ReactNode[] = [];
  for (let i = start; i < end; i += 1) {
    const key = keyOf(i);
    const active = i === activeIndex;
    rows.push(
      <div
        key={key}
        id={rowId(key)}
        role="option"
        aria-selected={active}
        aria-posinset={i + 1}
        aria-setsize={count}
        aria-label={rowLabel(i)}
        className={`vlist-row${active ? ' vlist-row-active' : ''}`}
        onMouseDown={(e) => {
          // Focus stays on the list box (the row is its active descendant), without a scroll jump.
          e.preventDefault();
          pointing.current = true;
          scrollRef.current?.focus({ preventScroll: true });
          pointing.current = false;
        }}
        onClick={() => {
          onActiveKeyChange(key);
          onActivate?.(key);
        }}
      >
        {renderRow(i, active)}
      </div>,
    );
  }

  return (
    <div
      ref={scrollRef}
      className={`vlist${className ? ` ${className}` : ''}`}
      role="listbox"
      aria-label={label}
      tabIndex={0}
      aria-activedescendant={activeIndex >= start && activeIndex < end ? rowId(keyOf(activeIndex)) : undefined}
      onKeyDown={onKeyDown}
      onFocus={() => {
        // Arriving by keyboard: the first row in view becomes the active one.
        if (pointing.current || activeIndex >= 0 || count === 0) return;
        moveTo(Math.ceil((scrollRef.current?.scrollTop ?? 0) / rowHeight));
      }}
    >
      <div ref={sizerRef} className="vlist-sizer">
        <div ref={windowRef} className="vlist-window">
          {rows}
        </div>
      </div>
    </div>
  );
}
