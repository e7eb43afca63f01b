import { amountText, SHORT_AMOUNT } from '@shared/format/amount';
import { labelWidth, useDrawnSize } from '../../components/use-drawn-size';
import type { Bucket } from './buckets';

/**
 * A bar chart of rewards over time, drawn as SVG. Hand-written: one bar chart does not justify a
 * charting library, and the table next to it carries the same numbers for screen readers (the SVG
 * is marked as an image with a text summary).
 *
 * It draws at the size CSS gives it (useDrawnSize), in pixels: the left margin is as wide as its
 * longest amount label — a tiny payment's scale is "0.00000005", ten characters, which a fixed
 * 44 px margin cut off — and the time labels thin out so they never touch in a narrow card.
 */
export function RewardsChart({ buckets, symbol, summary, compact = false, width: initialWidth = 640 }: { buckets: Bucket[]; symbol: string; summary: string; compact?: boolean; width?: number }) {
  const [ref, { width, height }] = useDrawnSize<SVGSVGElement>({ width: initialWidth, height: compact ? 110 : 200 });
  const max = Math.max(...buckets.map((b) => b.total), 0);
  const top = max > 0 ? niceCeiling(max) : 1;
  const ticks = [0, 0.5, 1].map((f) => ({ f, label: amountText(top * f, undefined, SHORT_AMOUNT) }));
  const pad = { top: 12, right: 8, bottom: 22, left: Math.max(28, labelWidth(ticks.map((t) => t.label)) + 10) };
  const innerW = Math.max(1, width - pad.left - pad.right);
  const innerH = Math.max(1, height - pad.top - pad.bottom);
  const barW = innerW / buckets.length;
  // A time label ("14:00", "Mon") wants about 48 px of its own.
  const labelEvery = Math.max(1, Math.ceil(buckets.length / Math.max(1, Math.floor(innerW / 48))));
  return (
    <svg ref={ref} className={compact ? 'chart chart-compact' : 'chart'} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} preserveAspectRatio="none">
      {ticks.map(({ f, label }) => {
        const y = pad.top + innerH * (1 - f);
        return (
          <g key={f}>
            <line x1={pad.left} x2={width - pad.right} y1={y} y2={y} className="chart-grid" />
            <text x={pad.left - 6} y={y + 4} className="chart-axis" textAnchor="end">
              {label}
            </text>
          </g>
        );
      })}
      {buckets.map((b, i) => {
        const h = (b.total / top) * innerH;
        const x = pad.left + i * barW;
        return (
          <g key={b.start}>
            {b.total > 0 ? (
              <rect x={x + barW * 0.15} y={pad.top + innerH - h} width={barW * 0.7} height={Math.max(h, 1)} className="chart-bar">
                <title>{`${b.label}: ${amountText(b.total, symbol, SHORT_AMOUNT)}`}</title>
              </rect>
            ) : null}
            {i % labelEvery === 0 ? (
              <text x={x + barW / 2} y={height - 6} className="chart-axis" textAnchor="middle">
                {b.label}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

function niceCeiling(value: number): number {
  const exp = 10 ** Math.floor(Math.log10(value));
  const f = value / exp;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * exp;
}
