import { useState } from 'react';
import type { InferenceWorkerState, InferenceWorkerView } from '@shared/contract/inference';
import { Card } from '../../components/Card';
import { useStore } from '../../store/store';
import { setConcurrency } from './inference-actions';
import { formatRate } from './jobs-model';
import { useInferenceStore } from './inference-store';
import { ScrollRegion } from '../../components/ScrollRegion';
import { windowWords } from './InferenceFigures';
import { formatClock } from '@shared/format/time';

const WORKER_WORDS: Record<InferenceWorkerState, string> = {
  running: 'Working',
  'paused-locked': 'Paused: wallet locked',
  backoff: 'Router unreachable: retrying',
  forbidden: 'Refused by the router',
  stopped: 'Stopped',
};

const WORKER_DOT: Record<InferenceWorkerState, string> = {
  running: 'dot-ok',
  'paused-locked': 'dot-wait',
  backoff: 'dot-wait',
  forbidden: 'dot-bad',
  stopped: 'dot-bad',
};

const CONCURRENCY = Array.from({ length: 16 }, (_, i) => i + 1);

/** The session view: one row per joined private-inference competition's worker. */
export function SessionsCard() {
  const status = useInferenceStore((s) => s.status);
  const workers = status?.workers ?? [];
  const window = status ? windowWords(status.stats.windowS) : null;
  return (
    <Card title="Sessions">
      {workers.length === 0 ? (
        <p className="muted">
          No job worker is running. Join a private-inference competition on the <a href="#/competitions">Competitions</a> page and its session appears here.
        </p>
      ) : (
        <ScrollRegion className="table-scroll" label="Job workers, one per session">
          <table className="table sessions-table">
            <caption className="visually-hidden">Job workers, one per session</caption>
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Worker</th>
                <th scope="col" className="num">
                  In flight
                </th>
                <th scope="col">Concurrency</th>
                <th scope="col" className="num">
                  Jobs/min{window ? <span className="visually-hidden"> over the last {window}</span> : null}
                </th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <WorkerRow key={w.competitionId} worker={w} />
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </Card>
  );
}

function WorkerRow({ worker }: { worker: InferenceWorkerView }) {
  const title = useStore((s) => s.competitions.view?.competitions.find((c) => c.id === worker.competitionId)?.title) ?? worker.competitionId;
  // Core's one rate (same window and definition as the Throughput figure), never a second count here.
  const perMinute = useInferenceStore((s) => s.status?.stats.perCompetition.find((c) => c.competitionId === worker.competitionId)?.jobsPerMinute ?? 0);
  const [busy, setBusy] = useState(false);
  const selectId = `concurrency-${worker.competitionId}`;
  const retry = worker.state === 'backoff' && worker.retryAt ? ` Next try at ${formatClock(worker.retryAt)}.` : '';
  return (
    <tr>
      <th scope="row">
        {title}
        <span className="muted sessions-router">
          session {worker.sessionId} via <span className="mono">{worker.routerUrl}</span>
        </span>
      </th>
      <td>
        <span className="worker-state">
          <span className={`dot ${WORKER_DOT[worker.state]}`} aria-hidden="true" />
          <strong>{WORKER_WORDS[worker.state]}</strong>
        </span>
        {worker.detail || retry ? (
          <span className="help worker-detail">
            {worker.detail}
            {retry}
          </span>
        ) : null}
      </td>
      <td className="num">{worker.inFlight}</td>
      <td>
        <label className="visually-hidden" htmlFor={selectId}>
          Concurrency for {title}
        </label>
        <select
          id={selectId}
          value={worker.concurrency}
          disabled={busy}
          onChange={(e) => {
            setBusy(true);
            void setConcurrency(worker.competitionId, Number(e.target.value)).finally(() => setBusy(false));
          }}
        >
          {CONCURRENCY.map((n) => (
            <option key={n} value={n}>
              {n} at once
            </option>
          ))}
        </select>
      </td>
      <td className="num">{formatRate(perMinute)}</td>
    </tr>
  );
}
