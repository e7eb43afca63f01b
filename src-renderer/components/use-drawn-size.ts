import { useLayoutEffect, useRef, useState, type RefObject } from 'react';

export interface DrawnSize {
  width: number;
  height: number;
}

/**
 * The size an element is drawn at, in CSS pixels, kept current with a ResizeObserver; `initial`
 * until it is first measured. A chart draws in these units (its viewBox is its box), so its text
 * is never stretched or squeezed by `preserveAspectRatio="none"` and a margin in pixels is one.
 */
export function useDrawnSize<T extends Element>(initial: DrawnSize): [RefObject<T | null>, DrawnSize] {
  const ref = useRef<T>(null);
  const [size, setSize] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const measure = () => {
      const box = el.getBoundingClientRect();
      const width = Math.round(box.width);
      const height = Math.round(box.height);
      if (width > 0 && height > 0) setSize((s) => (s.width === width && s.height === height ? s : { width, height }));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, size];
}

/**
 * How wide axis labels drawn at `fontPx` may be, in pixels: every character as wide as a digit
 * (0.6 em is a little over a digit of the UI's sans fonts; dots and commas are narrower).
 */
export function labelWidth(labels: readonly string[], fontPx = 11): number {
  return Math.ceil(Math.max(0, ...labels.map((l) => l.length)) * fontPx * 0.6);
}
