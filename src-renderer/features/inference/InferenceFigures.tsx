import { Card } from '../../components/Card';
import { formatMs, formatRate } from './jobs-model';
import { useInferenceStore } from './inference-store';
import './inference.css';
import { Term } from '../../components/Term';

/** Throughput, latency and totals from `inference.status` (the Dashboard and the Jobs page). */
export function InferenceFigures({ title = 'Private inference', linkToJobs = false, hideWhenIdle = false }: { title?: string; linkToJobs?: boolean; hideWhenIdle?: boolean }) {
  const status = useInferenceStore((s) => s.status);
  const statusError = useInferenceStore((s) => s.statusError);
  const idle = !status || (status.workers.length === 0 && status.stats.totalReported + status.stats.totalFailed === 0);
  if (hideWhenIdle && idle) return null;
  if (!status) {
    return (
      <Card title={title}>
        <p className="muted">{statusError ?? 'Loading…'}</p>
      </Card>
    );
  }
  const { stats, workers } = status;
  const window = windowWords(stats.windowS);
  return (
    <Card title={title}>
      {workers.length === 0 && stats.totalReported + stats.totalFailed === 0 ? (
        <p className="muted">
          Join a private-inference competition on the <a href="#/competitions">Competitions</a> page: its jobs and figures appear here.
        </p>
      ) : null}
      <dl className="figures" aria-label="Inference figures">
        <div className="figure">
          <dt>Throughput</dt>
          <dd>
            <span className="figure-value">{formatRate(stats.jobsPerMinute)}</span> jobs/min
          </dd>
        </div>
        <div className="figure">
          <dt>
            Latency <Term id="p50" />
          </dt>
          <dd>
            <span className="figure-value">{formatMs(stats.p50Ms)}</span>
          </dd>
        </div>
        <div className="figure">
          <dt>
            Latency <Term id="p99" />
          </dt>
          <dd>
            <span className="figure-value">{formatMs(stats.p99Ms)}</span>
          </dd>
        </div>
        <div className="figure">
          <dt>Reported</dt>
          <dd>
            <span className="figure-value">{stats.totalReported.toLocaleString()}</span> in all
          </dd>
        </div>
        <div className="figure">
          <dt>Failed</dt>
          <dd>
            <span className={`figure-value${stats.totalFailed > 0 ? ' figure-bad' : ''}`}>{stats.totalFailed.toLocaleString()}</span> in all
          </dd>
        </div>
      </dl>
      <p className="help">
        Throughput and latency (receipt to reported) over the last {window}: {stats.reported} reported, {stats.failed} failed.
        {linkToJobs ? (
          <>
            {' '}
            <a href="#/jobs">See the jobs</a>
          </>
        ) : null}
      </p>
    </Card>
  );
}

/** "5 minutes": the stats window of `inference.status`, in words. */
export function windowWords(windowS: number): string {
  const minutes = Math.round(windowS / 60);
  return windowS % 60 === 0 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${windowS} s`;
}
