import type { Page } from '@playwright/test';

/**
 * What sticks out: the page's own sideways scroll; each outermost element past an edge of the
 * window; and each box whose content runs past its own right edge — spilling over (overflow
 * visible) or needing a sideways scroll of its own (auto/scroll). Boxes that clip on purpose
 * (overflow hidden: an ellipsis, visually hidden text) are left alone. A chart's text that runs past
 * its SVG's box is cut off there (an axis label of a tiny amount in too narrow a margin).
 */
export async function overflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    const name = (el: Element): string => {
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/u).join('.')}` : '';
      const text = (el.textContent ?? '').replace(/\s+/gu, ' ').trim().slice(0, 60);
      return `${el.tagName.toLowerCase()}${cls} "${text}"`;
    };
    if (root.scrollWidth > root.clientWidth) found.push(`the page scrolls sideways: scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`);
    const past = new Set<Element>();
    const spilling = new Set<Element>();
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
      if (r.right > width + 0.5 || r.left < -0.5) past.add(el);
      // Block boxes only (an inline box has no clientWidth); SVG draws in its own coordinates.
      if (el instanceof HTMLElement && el.clientWidth > 0 && style.overflowX !== 'hidden' && style.overflowX !== 'clip' && el.scrollWidth > el.clientWidth + 1) spilling.add(el);
    }
    for (const el of past) {
      // The outermost one says where the problem is; its children stick out with it.
      if (el.parentElement && past.has(el.parentElement)) continue;
      const r = el.getBoundingClientRect();
      found.push(`${name(el)} spans ${Math.round(r.left)}–${Math.round(r.right)} px of ${width}`);
    }
    for (const el of spilling) {
      // The innermost one: its ancestors only spill because it does.
      if ([...spilling].some((other) => other !== el && el.contains(other))) continue;
      const html = el as HTMLElement;
      const how = getComputedStyle(el).overflowX === 'visible' ? 'spills' : 'scrolls sideways';
      found.push(`${name(el)} ${how}: content ${html.scrollWidth} px in a box of ${html.clientWidth}`);
    }
    for (const label of document.querySelectorAll('svg text')) {
      const svg = (label as SVGTextElement).ownerSVGElement;
      const r = label.getBoundingClientRect();
      if (!svg || r.width === 0) continue;
      const box = svg.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
        found.push(`chart text "${label.textContent ?? ''}" spans ${Math.round(r.left)}–${Math.round(r.right)} × ${Math.round(r.top)}–${Math.round(r.bottom)} px, past its chart's ${Math.round(box.left)}–${Math.round(box.right)} × ${Math.round(box.top)}–${Math.round(box.bottom)}`);
      }
    }
    return found;
  });
}

