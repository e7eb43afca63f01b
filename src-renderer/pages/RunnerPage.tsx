import { useEffect } from 'react';
import { EmptyState } from '../components/Card';
import { loadCompetitions } from '../store/actions';
import { useStore } from '../store/store';
import { RemoteRunnersCard } from '../features/runner/RemoteRunnersCard';
import { Panel, RunnerPanel } from '../features/runner/RunnerPanel';
import { loadRunnerPage, startRunner } from '../features/runner/runner-actions';
import { useRunnerStore } from '../features/runner/runner-store';
import { UnlockInPlace } from '../features/vault/UnlockInPlace';
import { useVaultStore } from '../features/vault/vault-store';
import '../features/runner/runner.css';

/**
 * The model runner (PROTOCOLS §5): per joined model-runner competition, enrolment, where it
 * listens, its certificate, wallet and SMP hotkey, how coordinator calls are authenticated,
 * the calls accepted and refused by reason, predictions and scores; TEE-hosted runners (§6).
 */
export function RunnerPage() {
  const runners = useRunnerStore((s) => s.runners);
  const loaded = useRunnerStore((s) => s.loaded);
  const statusError = useRunnerStore((s) => s.statusError);
  const competitions = useStore((s) => s.competitions.view);
  const networks = useStore((s) => s.networks);
  const practice = networks?.profiles.find((p) => p.id === networks.selectedId)?.kind === 'practice';
  const joined = competitions?.competitions.filter((c) => c.kind === 'model-runner' && c.membership?.state === 'joined') ?? [];
  useEffect(() => {
    startRunner();
    void loadCompetitions(false);
    void loadRunnerPage();
  }, []);
  const titleOf = (id: string) => competitions?.competitions.find((c) => c.id === id)?.title ?? id;
  const waiting = joined.filter((c) => !runners.some((r) => r.competitionId === c.id));

  if (runners.length === 0 && joined.length === 0) {
    return (
      <div className="page-stack runner-page">
        <Panel title="No runner yet">
          <EmptyState title="Join a model-runner competition to start a runner">
            <p>
              Minerva then enrols a runner for it — a TLS key kept with your wallet, a certificate from the network, your runner wallet and SMP hotkey on chain — and serves the
              competition&apos;s model to its coordinator over mutually authenticated gRPC. Its address, certificate, hotkey and the coordinator&apos;s calls appear here.
            </p>
            <p>
              <a className="button button-primary" href="#/competitions">
                Browse competitions
              </a>
            </p>
          </EmptyState>
        </Panel>
      </div>
    );
  }

  return (
    <div className="page-stack runner-page">
      <LockedBanner />
      {statusError ? (
        <p className="banner banner-danger runner-inline-banner" role="alert">
          {statusError}
        </p>
      ) : null}
      {waiting.map((c) => (
        <Panel key={c.id} title={c.title}>
          <p className="muted" role="status">
            {loaded || statusError ? 'The runner for this competition has not started yet.' : 'Asking the runner…'}
          </p>
        </Panel>
      ))}
      {runners.map((r) => (
        <RunnerPanel key={r.competitionId} runner={r} title={titleOf(r.competitionId)} practice={practice} />
      ))}
      {joined.length > 0 ? <RemoteRunnersCard competitions={joined} /> : null}
    </div>
  );
}

/** Standing banner while a runner waits for the wallet (enrolment or signing needs it). */
function LockedBanner() {
  const runners = useRunnerStore((s) => s.runners);
  const vaultState = useVaultStore((s) => s.overview?.status.state);
  const mining = useVaultStore((s) => s.overview?.status.mining === true);
  const paused = runners.filter((r) => r.state === 'paused-locked');
  // mining: the runner's keys are in memory, it serves and enrols without the password
  if (paused.length === 0 && (mining || !(vaultState === 'locked' && runners.length > 0))) return null;
  return (
    <div className="banner runner-banner-warn" role="status">
      <p className="runner-banner-title">
        <strong>{paused.length > 0 ? 'The runner is not serving: your wallet is locked and mining is off.' : 'Your wallet is locked.'}</strong>
      </p>
      <p className="help">
        Enrolling, renewing the certificate and rotating the hotkey need the runner wallet inside it
        {paused.length > 0 ? '; the runner continues when you unlock' : ''}.
      </p>
      <UnlockInPlace />
    </div>
  );
}
