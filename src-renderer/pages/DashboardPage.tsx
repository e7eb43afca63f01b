import { useEffect, useState } from 'react';
import type { RewardsRange, RewardsView } from '@shared/contract/rewards';
import { rpc } from '../rpc';
import { CompetitionCharts } from '../features/rewards/CompetitionCharts';
import { amountText, SHORT_AMOUNT, sumAmounts } from '@shared/format/amount';
import { useStore } from '../store/store';
import { loadCompetitions, refreshHealth } from '../store/actions';
import { Card } from '../components/Card';
import { useVaultStore } from '../features/vault/vault-store';
import { InferenceBanners } from '../features/inference/InferenceBanners';
import { InferenceFigures } from '../features/inference/InferenceFigures';
import { startInference } from '../features/inference/inference-actions';
import { RunnerSummaryCard } from '../features/runner/RunnerSummaryCard';

export function DashboardPage() {
  const info = useStore((s) => s.app.info);
  const health = useStore((s) => s.app.health);
  const loadError = useStore((s) => s.app.loadError);
  const networks = useStore((s) => s.networks);
  const competitions = useStore((s) => s.competitions.view);
  const network = networks?.profiles.find((p) => p.id === networks.selectedId);
  const joined = competitions?.competitions.filter((c) => c.membership?.state === 'joined') ?? [];
  const pending = competitions?.competitions.filter((c) => c.membership && ['joining', 'leaving', 'failed'].includes(c.membership.state)) ?? [];
  const vaultState = useVaultStore((s) => s.overview?.status.state);
  const hasWallet = vaultState !== undefined && vaultState !== 'missing';
  const warnings = useVaultStore((s) => s.overview?.warnings) ?? [];
  const [rewards, setRewards] = useState<RewardsView | null>(null);
  // The 7-day view holds the last 24 hours too: the range switches without asking core again.
  const [earningsRange, setEarningsRange] = useState<RewardsRange>('day');
  // Step 3 is done once the chain has paid this miner (over the last week).
  const rewardsSeen = (rewards?.entries.length ?? 0) > 0;
  useEffect(() => {
    void loadCompetitions(false);
    startInference();
    const load = (): void => void rpc().invoke('rewards.get', { range: 'week' }).then(setRewards, () => setRewards(null));
    load();
    const off = rpc().on('rewards.changed', load);
    const timer = setInterval(load, 30_000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, []);
  // Health (core's app.health) includes key safety and earning; asked again when either may have changed.
  const warningsKey = warnings.map((w) => `${w.id}:${w.severity}`).join(',');
  useEffect(() => {
    void refreshHealth();
  }, [warningsKey, rewards?.updatedAt]);
  const healthy = health?.status === 'ok';
  return (
    <div className="page-grid">
      {loadError ? (
        <div className="banner banner-danger" role="alert">
          {loadError}
        </div>
      ) : null}
      <InferenceBanners />
      <Card title="Getting started">
        <ol className="steps" aria-label="Getting started steps">
          <li className={hasWallet ? 'step-done-text' : undefined}>
            {hasWallet ? <span className="visually-hidden">Done: </span> : null}
            Create or import your wallet on the <a href="#/wallet">Wallet &amp; Security</a> page.
          </li>
          <li className={joined.length > 0 ? 'step-done-text' : undefined}>
            {joined.length > 0 ? <span className="visually-hidden">Done: </span> : null}
            Join a competition of the practice network on the <a href="#/competitions">Competitions</a> page.
          </li>
          <li className={rewardsSeen ? 'step-done-text' : undefined}>
            {rewardsSeen ? <span className="visually-hidden">Done: </span> : null}
            Do the work (jobs answer by themselves; submit checkpoints on the <a href="#/checkpoints">Checkpoints</a> page) and watch rewards arrive on the <a href="#/rewards">Rewards</a> page.
          </li>
        </ol>
      </Card>
      <Card title="Balance">
        <p className="big-number">
          {rewards === null || rewards.balance === null ? '—' : amountText(rewards.balance, undefined, SHORT_AMOUNT)} <span className="muted">{rewards?.symbol ?? ''}</span>
        </p>
        <p className="muted">
          {rewards ? `${amountText(sumAmounts(rewards.entries.map((e) => e.amount)), rewards.symbol, SHORT_AMOUNT)} earned in the last 7 days.` : 'Loading…'} <a href="#/rewards">Rewards</a>
        </p>
      </Card>
      <Card
        title="Earnings"
        actions={
          <div className="segmented" role="group" aria-label="Earnings range">
            {(['day', 'week'] as const).map((r) => (
              <button key={r} type="button" className="button button-quiet" aria-pressed={earningsRange === r} onClick={() => setEarningsRange(r)}>
                {r === 'day' ? '24 h' : '7 d'}
              </button>
            ))}
          </div>
        }
      >
        {rewards ? <CompetitionCharts view={rewards} range={earningsRange} compact /> : <p className="muted">Loading…</p>}
      </Card>
      <Card title="Network">
        <p>
          <strong>{network?.name ?? 'Practice network'}</strong>
        </p>
        <p className="muted">{network && network.kind !== 'practice' ? `chain ${network.chainUrl ?? ''}` : (networks?.practice.detail ?? 'Loading…')}</p>
        <p>
          <a href="#/settings">Change network</a>
        </p>
      </Card>
      <Card title="Competitions">
        {joined.length === 0 && pending.length === 0 ? (
          <p className="muted">You have not joined a competition yet.</p>
        ) : (
          <ul className="check-list" aria-label="Your competitions">
            {[...joined, ...pending].map((c) => (
              <li key={c.id}>
                <span className={`dot ${c.membership?.state === 'joined' ? 'dot-ok' : c.membership?.state === 'failed' ? 'dot-bad' : 'dot-wait'}`} aria-hidden="true" />
                <span>{c.title}</span>
                <span className="muted">{c.membership?.state}</span>
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href="#/competitions">Browse competitions</a>
        </p>
      </Card>
      <InferenceFigures linkToJobs hideWhenIdle />
      <RunnerSummaryCard />
      <Card
        title="Health"
        actions={
          <button type="button" className="button button-quiet" onClick={() => void refreshHealth()}>
            Check again
          </button>
        }
      >
        {health ? (
          <>
            <p className={`health-summary health-${healthy ? 'ok' : 'degraded'}`}>{healthy ? 'Everything is working.' : 'Something needs your attention.'}</p>
            <ul className="check-list" aria-label="Health checks">
              {health.checks.map((c) => (
                <li key={c.id}>
                  <span className={`dot ${c.ok ? 'dot-ok' : 'dot-bad'}`} aria-hidden="true" />
                  <span className="check-name">{c.id}</span>
                  <span className="muted">{c.ok ? c.detail : `Problem: ${c.detail}`}</span>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p className="muted">Checking…</p>
        )}
      </Card>
      <Card title="This app">
        {info ? (
          <dl className="facts">
            <dt>Version</dt>
            <dd>{info.version}</dd>
            <dt>Running as</dt>
            <dd>{info.host === 'electron' ? 'Desktop app' : 'Headless (minerva serve)'}</dd>
            <dt>Data folder</dt>
            <dd className="mono">{info.dataDir}</dd>
            <dt>Runtime</dt>
            <dd>
              Node {info.runtime.node}
              {info.runtime.electron ? `, Electron ${info.runtime.electron}` : ''}
            </dd>
          </dl>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </Card>
    </div>
  );
}
