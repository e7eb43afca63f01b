import { useEffect } from 'react';
import { useStore } from '../store/store';
import { loadCompetitions, selectNetwork } from '../store/actions';
import { Card, EmptyState } from '../components/Card';
import { CompetitionCard } from '../features/competitions/CompetitionCard';
import { formatClock } from '@shared/format/time';

export function CompetitionsPage() {
  const view = useStore((s) => s.competitions.view);
  const loading = useStore((s) => s.competitions.loading);
  const networks = useStore((s) => s.networks);
  const network = networks?.profiles.find((p) => p.id === networks.selectedId);
  const practice = networks?.profiles.find((p) => p.kind === 'practice');
  const practiceName = practice?.name ?? 'the practice network';

  useEffect(() => {
    void loadCompetitions(false);
  }, []);

  return (
    <div className="page-stack">
      <div className="toolbar">
        <span>
          Catalogue of <strong>{network?.name ?? 'the selected network'}</strong>
          {view?.fetchedAt ? <span className="muted"> · updated {formatClock(view.fetchedAt)}</span> : null}
        </span>
        <button type="button" className="button button-quiet" onClick={() => void loadCompetitions(true)} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      {view?.error ? (
        <div className="banner banner-danger" role="alert">
          {view.error}
        </div>
      ) : null}
      {view && view.competitions.length > 0 ? (
        <div className="page-grid" aria-label="Competitions" role="list">
          {view.competitions.map((c) => (
            <div role="listitem" key={c.id}>
              <CompetitionCard competition={c} />
            </div>
          ))}
        </div>
      ) : (
        <Card title="Catalogue">
          {network?.kind === 'bittensor' ? (
            <EmptyState title="No competitions configured on this network">
              <p>
                {network.name} is a Bittensor network. Its competitions are the ones you name in Settings: a Platform hub (its challenges) or a Connito checkpoint competition on a subnet. The runner and private
                inference work on the practice network only. On {network.name} you can also register your hotkey, serve your axon and publish commitments in Settings → Bittensor.
              </p>
              <div className="form-row">
                <button type="button" className="button button-primary" onClick={() => void selectNetwork(practice?.id ?? 'practice', practiceName)}>
                  Switch to {practiceName}
                </button>
                <a className="button button-quiet" href="#/settings">
                  Open Settings → Bittensor
                </a>
              </div>
            </EmptyState>
          ) : (
            <EmptyState title={loading || !view ? 'Loading the catalogue…' : 'No competitions'}>
              <p>{network?.kind === 'practice' ? networks?.practice.detail : 'This network lists no competitions right now.'}</p>
            </EmptyState>
          )}
        </Card>
      )}
    </div>
  );
}
