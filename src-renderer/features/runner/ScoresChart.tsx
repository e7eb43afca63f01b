import type { RunnerPredictionView } from '@shared/contract/runner';
import { labelWidth, useDrawnSize } from '../../components/use-drawn-size';

/**
 * Scores of scored predictions as bars, oldest left (SVG like the Rewards chart). Scores may be
 * negative (e.g. minus an error), so bars grow from zero either way. The SVG is an image with a
 * text summary; the table next to it carries the numbers for screen readers. Drawn at its CSS
 * size in pixels (useDrawnSize), with a left margin as wide as its longest score label.
 */
export function ScoresChart({ predictions, summary }: { predictions: RunnerPredictionView[]; summary: string }) {
  const [ref, { width, height }] = useDrawnSize<SVGSVGElement>({ width: 640, height: 150 });
  const scores = predictions.map((p) => p.score ?? 0);
  const hi = Math.max(0, ...scores);
  const lo = Math.min(0, ...scores);
  const span = hi - lo || 1;
  const ticks = [...new Set([hi, 0, lo])];
  const pad = { top: 10, right: 8, bottom: 10, left: Math.max(28, labelWidth(ticks.map(formatScore)) + 10) };
  const innerW = Math.max(1, width - pad.left - pad.right);
  const innerH = Math.max(1, height - pad.top - pad.bottom);
  const y = (v: number) => pad.top + ((hi - v) / span) * innerH;
  const barW = innerW / Math.max(scores.length, 1);
  return (
    <svg ref={ref} className="chart runner-chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} preserveAspectRatio="none">
      {ticks.map((t) => (
        <g key={t}>
          <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} className="chart-grid" />
          <text x={pad.left - 6} y={y(t) + 4} className="chart-axis" textAnchor="end">
            {formatScore(t)}
          </text>
        </g>
      ))}
      {predictions.map((p, i) => {
        const v = p.score ?? 0;
        const top = Math.min(y(v), y(0));
        return (
          <rect key={`${p.at}-${i}`} x={pad.left + i * barW + barW * 0.15} y={top} width={barW * 0.7} height={Math.max(Math.abs(y(v) - y(0)), 1)} className={v < 0 ? 'chart-bar runner-bar-negative' : 'chart-bar'}>
            <title>{`${p.tick === null ? '' : `tick ${p.tick}: `}score ${formatScore(v)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

function formatScore(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
