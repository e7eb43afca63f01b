import { useEffect, useMemo, useState } from 'react';
import type { InferenceWorkerState, InferenceWorkerView } from '@shared/contract/inference';
import { Card } from '../../components/Card';
import { useStore } from '../../store/store';
import { setConcurrency } from './inference-actions';
import { reportedPerMinute } from './jobs-model';
import { useInferenceStore } from './inference-store';
import { ScrollRegion } from '../../components/ScrollRegion';

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
                  Jobs/min
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
  const version = useInferenceStore((s) => s.version);
  const jobs = useInferenceStore((s) => s.jobs);
  const [now, setNow] = useState(() => Date.now());
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `version` stands for the index mutated in place.
  const perMinute = useMemo(() => reportedPerMinute(jobs, worker.competitionId, now), [jobs, version, worker.competitionId, now]);
  const selectId = `concurrency-${worker.competitionId}`;
  const retry = worker.state === 'backoff' && worker.retryAt ? ` Next try at ${new Date(worker.retryAt).toLocaleTimeString()}.` : '';
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
      <td className="num">{perMinute.toFixed(perMinute < 10 ? 1 : 0)}</td>
    </tr>
  );
}
