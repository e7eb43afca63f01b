import { useCallback, useEffect, useState } from 'react';
import type { RewardsRange, RewardsView } from '@shared/contract/rewards';
import { rpc } from '../rpc';
import { errorText } from '../store/actions';
import { useStore } from '../store/store';
import { Card } from '../components/Card';
import { CompetitionCharts } from '../features/rewards/CompetitionCharts';
import { amountText, SHORT_AMOUNT, sumAmounts } from '@shared/format/amount';
import { Glossed } from '../components/Term';

export function RewardsPage() {
  const [range, setRange] = useState<RewardsRange>('day');
  const [view, setView] = useState<RewardsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pushToast = useStore((s) => s.pushToast);

  const load = useCallback(async () => {
    try {
      setView(await rpc().invoke('rewards.get', { range }));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [range]);

  useEffect(() => {
    void load();
    // Live: the chain pays per epoch; reload when it says we were paid, and every 30 s for the checklist.
    const off = rpc().on('rewards.changed', () => void load());
    const timer = setInterval(() => void load(), 30_000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [load]);

  if (!view) return <p className="muted">{error ?? 'Loading…'}</p>;
  const summary = `${amountText(sumAmounts(view.entries.map((e) => e.amount)), view.symbol, SHORT_AMOUNT)} earned in the last ${range === 'day' ? '24 hours' : '7 days'}.`;

  return (
    <div className="page-stack">
      {view.error ?? error ? (
        <div className="banner banner-danger" role="alert">
          {view.error ?? error}
        </div>
      ) : null}
      <div className="page-grid">
        <Card title="Balance">
          <p className="big-number">
            {view.balance === null ? '—' : amountText(view.balance, undefined, SHORT_AMOUNT)} <span className="muted">{view.symbol}</span>
          </p>
          <p className="muted">{view.coldkey ? <>Paid to your coldkey <span className="mono">{view.coldkey}</span></> : 'Create or import a wallet to see your balance.'}</p>
        </Card>
        <Card title="Why am I not earning?">
          <ul className="check-list checklist" aria-label="Earning checklist">
            {view.checklist.map((item) => (
              <li key={item.id}>
                <span className={`dot ${item.ok === true ? 'dot-ok' : item.ok === false ? 'dot-bad' : 'dot-wait'}`} aria-hidden="true" />
                <span>
                  <span className="check-label">
                    {item.label}
                    <span className="visually-hidden">{item.ok === true ? ': yes' : item.ok === false ? ': no' : ': unknown'}</span>
                  </span>
                  <span className="step-detail">
                    <Glossed text={item.detail} /> {item.fix ? <a href={item.fix.href}>{item.fix.label}</a> : null}
                  </span>
                </span>
              </li>
            ))}
          </ul>
        </Card>
      </div>
      {view.metagraph ? (
        <Card title="Your hotkey in the metagraph">
          <p className="muted">On Bittensor, each epoch's emission accrues as stake on your hotkey (in the subnet's alpha), not as payments to your coldkey.</p>
          {view.metagraph.length === 0 ? (
            <p>Your hotkey is not registered on any subnet of this network.</p>
          ) : (
            <table className="table" aria-label="Emission per subnet">
              <thead>
                <tr>
                  <th scope="col">Subnet</th>
                  <th scope="col">UID</th>
                  <th scope="col">Stake</th>
                  <th scope="col">Incentive</th>
                  <th scope="col">Emission (last epoch)</th>
                  <th scope="col">Last update</th>
                  <th scope="col">Axon</th>
                </tr>
              </thead>
              <tbody>
                {view.metagraph.map((n) => (
                  <tr key={n.netuid}>
                    <td>{n.netuid}</td>
                    <td>{n.uid ?? (n.registeredBefore ? 'deregistered' : '—')}</td>
                    <td>{n.stakeText ?? '—'}</td>
                    <td>{n.incentive === null ? '—' : `${(n.incentive * 100).toFixed(2)}%`}</td>
                    <td>{n.emissionText ?? '—'}</td>
                    <td>{n.lastUpdate === null ? '—' : `block ${n.lastUpdate}`}</td>
                    <td>{n.axon ?? 'not served'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      ) : null}
      <Card
        title="Rewards over time"
        actions={
          <div className="segmented" role="group" aria-label="Range">
            {(['day', 'week'] as const).map((r) => (
              <button key={r} type="button" className="button button-quiet" aria-pressed={range === r} onClick={() => setRange(r)}>
                {r === 'day' ? 'Last 24 hours' : 'Last 7 days'}
              </button>
            ))}
          </div>
        }
      >
        <p>{summary}</p>
        <CompetitionCharts view={view} range={range} />
        <table className="table">
          <caption className="visually-hidden">Work and rewards per competition</caption>
          <thead>
            <tr>
              <th scope="col">Competition</th>
              <th scope="col">Work done</th>
              <th scope="col" className="num">
                Earned ({view.symbol})
              </th>
            </tr>
          </thead>
          <tbody>
            {view.perCompetition.length === 0 ? (
              <tr>
                <td colSpan={3} className="muted">
                  Nothing earned in this range yet.
                </td>
              </tr>
            ) : (
              view.perCompetition.map((p) => (
                <tr key={p.competitionId}>
                  <td>
                    {p.title}
                    {p.joined ? null : <span className="muted"> (left)</span>}
                  </td>
                  <td>{p.work ? p.work.words : <span className="muted">—</span>}</td>
                  <td className="num">{amountText(p.amount, undefined, SHORT_AMOUNT)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
        <button type="button" className="button button-quiet" onClick={() => void load().then(() => pushToast('info', 'Rewards updated.'))}>
          Refresh
        </button>
      </Card>
    </div>
  );
}
