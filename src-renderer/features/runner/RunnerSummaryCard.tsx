import { useEffect } from 'react';
import { Card } from '../../components/Card';
import { useStore } from '../../store/store';
import { refreshRunners, startRunner } from './runner-actions';
import { useRunnerStore } from './runner-store';
import { ms, STATE_WORDS } from './runner-words';
import { Term } from '../../components/Term';

/** The Dashboard's glance at the model runners; nothing when there is none. */
export function RunnerSummaryCard() {
  const runners = useRunnerStore((s) => s.runners);
  const competitions = useStore((s) => s.competitions.view);
  useEffect(() => {
    startRunner();
    void refreshRunners();
  }, []);
  if (runners.length === 0) return null;
  return (
    <Card title="Model runner">
      <ul className="check-list" aria-label="Your runners">
        {runners.map((r) => (
          <li key={r.competitionId}>
            <span className={`dot ${r.state === 'serving' ? 'dot-ok' : r.state === 'failed' ? 'dot-bad' : 'dot-wait'}`} aria-hidden="true" />
            <span>
              {competitions?.competitions.find((c) => c.id === r.competitionId)?.title ?? r.competitionId}: {STATE_WORDS[r.state].toLowerCase()}
              <span className="muted">
                {' '}
                · {r.calls.accepted} accepted, {r.calls.refused} refused · <Term id="p50" /> {ms(r.calls.p50Ms)}
              </span>
            </span>
          </li>
        ))}
      </ul>
      <p>
        <a href="#/runner">Open the runner</a>
      </p>
    </Card>
  );
}
