import type { RewardsRange, RewardsView } from '@shared/contract/rewards';
import { amountText, SHORT_AMOUNT, sumAmounts } from '@shared/format/amount';
import { bucketRewards } from './buckets';
import { RewardsChart } from './RewardsChart';

const RANGE_WORDS: Record<RewardsRange, string> = { day: 'last 24 hours', week: 'last 7 days' };

/**
 * One earnings chart per competition (every joined one, and any other that paid in the range):
 * small multiples on one scale each, so a competition that pays little is not flattened by one
 * that pays a lot. The Rewards page shows them full size; the Dashboard compact. Entries outside
 * the range are left out, so the Dashboard can show 24 h from its 7-day view.
 */
export function CompetitionCharts({ view, range, compact = false, now = Date.now() }: { view: RewardsView; range: RewardsRange; compact?: boolean; now?: number }) {
  if (view.perCompetition.length === 0) {
    return <p className="muted">Join a competition: its earnings appear here, one chart each.</p>;
  }
  const since = now - (range === 'day' ? 86_400_000 : 7 * 86_400_000);
  return (
    <div className={`competition-charts${compact ? ' competition-charts-compact' : ''}`}>
      {view.perCompetition.map((p) => {
        const entries = view.entries.filter((e) => e.competitionId === p.competitionId && Date.parse(e.at) >= since);
        const total = amountText(sumAmounts(entries.map((e) => e.amount)), view.symbol, SHORT_AMOUNT);
        const summary = `${p.title}: ${total} earned in the ${RANGE_WORDS[range]}${p.work ? `, ${p.work.words}` : ''}.`;
        return (
          <figure key={p.competitionId} className="competition-chart" aria-label={`Earnings of ${p.title}`}>
            <figcaption>
              <strong>{p.title}</strong>
              {p.joined ? null : <span className="muted"> (left)</span>}{' '}
              <span className="competition-chart-total">{total}</span>
              {!compact && p.work ? <span className="muted"> · {p.work.words}</span> : null}
            </figcaption>
            <RewardsChart buckets={bucketRewards(entries, range, now)} symbol={view.symbol} summary={summary} compact={compact} width={compact ? 360 : 480} />
          </figure>
        );
      })}
    </div>
  );
}
