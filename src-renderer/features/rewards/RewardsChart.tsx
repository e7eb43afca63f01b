import { amountText, SHORT_AMOUNT } from '@shared/format/amount';
import type { Bucket } from './buckets';

/**
 * A bar chart of rewards over time, drawn as SVG. Hand-written: one bar chart does not justify a
 * charting library, and the table next to it carries the same numbers for screen readers (the SVG
 * is marked as an image with a text summary).
 */
export function RewardsChart({ buckets, symbol, summary, compact = false, width = 640 }: { buckets: Bucket[]; symbol: string; summary: string; compact?: boolean; width?: number }) {
  const height = compact ? 120 : 180;
  const pad = { top: 12, right: 8, bottom: 22, left: 44 };
  const max = Math.max(...buckets.map((b) => b.total), 0);
  const top = max > 0 ? niceCeiling(max) : 1;
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const barW = innerW / buckets.length;
  const labelEvery = Math.ceil(buckets.length / (compact ? 4 : 8));
  return (
    <svg className={compact ? 'chart chart-compact' : 'chart'} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} preserveAspectRatio="none">
      {[0, 0.5, 1].map((f) => {
        const y = pad.top + innerH * (1 - f);
        return (
          <g key={f}>
            <line x1={pad.left} x2={width - pad.right} y1={y} y2={y} className="chart-grid" />
            <text x={pad.left - 6} y={y + 4} className="chart-axis" textAnchor="end">
              {amountText(top * f, undefined, SHORT_AMOUNT)}
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
