import { useCallback, useEffect, useId, useMemo, useState } from 'react';
import { JOB_STATES, type JobState, type JobView } from '@shared/contract/inference';
import { Card, EmptyState } from '../../components/Card';
import { VirtualList } from '../../components/VirtualList';
import { useStore } from '../../store/store';
import { loadJobs } from './inference-actions';
import { useInferenceStore } from './inference-store';
import { JobStepList, StepBar, stepsInWords } from './JobSteps';
import { applyFilter, errorWords, formatBytes, formatMs, isEnd, reasonWords, STATE_SHORT, STATE_WORDS } from './jobs-model';
import { formatClock } from '@shared/format/time';

/** Must match `.vlist-row` height in inference.css. */
const ROW_HEIGHT = 44;
/** The live region speaks at most this often, and only when something happened. */
const ANNOUNCE_EVERY_MS = 15_000;

const STATE_CLASS: Record<JobState, string> = {
  queued: 'job-state-wait',
  key: 'job-state-busy',
  decrypt: 'job-state-busy',
  run: 'job-state-busy',
  encrypt: 'job-state-busy',
  upload: 'job-state-busy',
  report: 'job-state-busy',
  reported: 'job-state-ok',
  failed: 'job-state-bad',
  withdrawn: 'job-state-quiet',
};

const short = (id: string) => id.slice(0, 8);
const clock = (iso: string) => formatClock(iso);

function rowLabel(job: JobView): string {
  const steps = stepsInWords(job);
  return [
    `${STATE_WORDS[job.state]}: job ${short(job.jobId)}`,
    `session ${job.sessionId} task ${job.taskId}`,
    steps,
    job.totalMs !== null ? `total ${formatMs(job.totalMs)}` : '',
    reasonWords(job),
  ]
    .filter(Boolean)
    .join(', ');
}

/** The Jobs list: filters with counts per state, the windowed list, the selected job's details. */
export function JobsList() {
  const jobs = useInferenceStore((s) => s.jobs);
  const version = useInferenceStore((s) => s.version);
  const loaded = useInferenceStore((s) => s.loaded);
  const totalInCore = useInferenceStore((s) => s.totalInCore);
  const workers = useInferenceStore((s) => s.status?.workers);
  const catalogue = useStore((s) => s.competitions.view?.competitions);
  const [competitionId, setCompetitionId] = useState('');
  const [states, setStates] = useState<ReadonlySet<JobState>>(new Set());
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const [openKey, setOpenKey] = useState<string | null>(null);
  const ids = { competition: useId(), states: useId(), shown: useId() };

  useEffect(() => {
    void loadJobs();
  }, []);

  // One pass over the jobs per change (10,000 jobs: well under a millisecond or two).
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `version` stands for the index mutated in place.
  const shown = useMemo(() => applyFilter(jobs, { competitionId, states }), [jobs, version, competitionId, states]);
  const position = useMemo(() => new Map(shown.ids.map((id, i) => [id, i])), [shown]);

  // The competitions one can filter by: the workers' and any that jobs name (jobs outlive a membership).
  const competitions = useMemo(() => {
    const seen = new Map<string, number>();
    for (const w of workers ?? []) seen.set(w.competitionId, w.sessionId);
    for (const job of jobs.byId.values()) if (!seen.has(job.competitionId)) seen.set(job.competitionId, job.sessionId);
    return [...seen].map(([id, sessionId]) => ({ id, sessionId, title: catalogue?.find((c) => c.id === id)?.title ?? id }));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `version` stands for the index mutated in place.
  }, [workers, catalogue, jobs, version]);

  const keyOf = useCallback((i: number) => shown.ids[i] as string, [shown]);
  const indexOfKey = useCallback((key: string) => position.get(key) ?? -1, [position]);
  const renderRow = useCallback((i: number) => <JobRow job={jobs.byId.get(shown.ids[i] as string) as JobView} />, [jobs, shown]);
  const labelOf = useCallback((i: number) => rowLabel(jobs.byId.get(shown.ids[i] as string) as JobView), [jobs, shown]);

  const toggle = (state: JobState) =>
    setStates((current) => {
      const next = new Set(current);
      if (next.has(state)) next.delete(state);
      else next.add(state);
      return next;
    });

  const open = openKey ? jobs.byId.get(openKey) : undefined;
  const all = competitionId === '' && states.size === 0;

  return (
    <div className="jobs-layout">
      <Card title="Jobs">
        <div className="toolbar jobs-toolbar" role="group" aria-label="Job filters">
          <div className="field field-inline">
            <label htmlFor={ids.competition}>Session</label>
            <select id={ids.competition} value={competitionId} onChange={(e) => setCompetitionId(e.target.value)}>
              <option value="">All sessions</option>
              {competitions.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.title} — session {c.sessionId}
                </option>
              ))}
            </select>
          </div>
          <div className="state-chips" role="group" aria-labelledby={ids.states}>
            <span id={ids.states} className="state-chips-label">
              State
            </span>
            <button type="button" className="chip" aria-pressed={states.size === 0} onClick={() => setStates(new Set())}>
              All <span className="chip-count">{shown.total.toLocaleString()}</span>
            </button>
            {JOB_STATES.map((s) =>
              shown.counts[s] > 0 || states.has(s) || s === 'reported' || s === 'failed' ? (
                <button key={s} type="button" className={`chip chip-${STATE_CLASS[s]}`} aria-pressed={states.has(s)} onClick={() => toggle(s)}>
                  {STATE_SHORT[s]} <span className="chip-count">{shown.counts[s].toLocaleString()}</span>
                </button>
              ) : null,
            )}
          </div>
        </div>
        <p id={ids.shown} className="help jobs-shown">
          {all ? `${shown.ids.length.toLocaleString()} jobs` : `${shown.ids.length.toLocaleString()} of ${jobs.order.length.toLocaleString()} jobs match`}
          {totalInCore > jobs.order.length ? ` (the newest ${jobs.order.length.toLocaleString()} of ${totalInCore.toLocaleString()} are loaded)` : ''}. Use ↑ ↓ to move through the list and Enter to see a job&apos;s
          details.
        </p>
        {!loaded && jobs.order.length === 0 ? (
          <p className="muted">Loading jobs…</p>
        ) : shown.ids.length === 0 ? (
          <EmptyState title={jobs.order.length === 0 ? 'No jobs yet' : 'No job matches these filters'}>
            <p>
              {jobs.order.length === 0
                ? 'Jobs arrive once you have joined a private-inference competition and the router sends work to your session. Each job shows its steps live: key, decrypt, run, encrypt, upload, reported.'
                : 'Choose another session or state above.'}
            </p>
          </EmptyState>
        ) : (
          <>
            <div className="vlist-head" aria-hidden="true">
              <span>State</span>
              <span>Job</span>
              <span className="job-where">Session·task</span>
              <span>Steps</span>
              <span className="num">Total</span>
              <span className="job-time">Received</span>
              <span>Reason</span>
            </div>
            <VirtualList
              count={shown.ids.length}
              rowHeight={ROW_HEIGHT}
              label="Jobs, newest first"
              idPrefix="job-row"
              keyOf={keyOf}
              indexOfKey={indexOfKey}
              renderRow={renderRow}
              rowLabel={labelOf}
              activeKey={activeKey}
              onActiveKeyChange={setActiveKey}
              onActivate={setOpenKey}
              version={version}
              resetKey={`${competitionId}|${[...states].sort().join(',')}`}
              className="jobs-vlist"
            />
          </>
        )}
        <JobsAnnouncer />
      </Card>
      {open ? <JobDetails job={open} onClose={() => setOpenKey(null)} /> : null}
    </div>
  );
}

function JobRow({ job }: { job: JobView }) {
  return (
    <>
      <span className={`job-state ${STATE_CLASS[job.state]}`}>
        <span className="job-state-dot" aria-hidden="true" />
        {STATE_WORDS[job.state]}
      </span>
      <span className="mono job-id">{short(job.jobId)}</span>
      <span className="job-where">
        {job.sessionId} · {job.taskId}
      </span>
      <span className="job-steps">
        <StepBar job={job} />
      </span>
      <span className="num job-total">{job.totalMs !== null ? formatMs(job.totalMs) : isEnd(job.state) ? '—' : '…'}</span>
      <span className="muted job-time">{clock(job.receivedAt)}</span>
      <span className={`job-reason${job.error ? ' help-bad' : ' muted'}`}>{reasonWords(job)}</span>
    </>
  );
}

/** The selected job: every step's time, where it is stored, why it failed. */
export function JobDetails({ job, onClose }: { job: JobView; onClose?: () => void }) {
  return (
    <section className="card job-details" aria-labelledby="job-details-title">
      <div className="card-head">
        <h2 id="job-details-title">Job {short(job.jobId)}</h2>
        {onClose ? (
          <button type="button" className="button button-quiet" onClick={onClose} aria-label="Close the job's details">
            Close
          </button>
        ) : null}
      </div>
      <p>
        <span className={`job-state ${STATE_CLASS[job.state]}`}>
          <span className="job-state-dot" aria-hidden="true" />
          {STATE_WORDS[job.state]}
        </span>
        {job.totalMs !== null ? <span className="muted"> in {formatMs(job.totalMs)}</span> : null}
      </p>
      {job.error ? (
        <p className="help help-bad" role="note">
          {errorWords(job.error)} <span className="muted">({job.error.code})</span>
        </p>
      ) : job.state === 'withdrawn' ? (
        <p className="help">{reasonWords(job)}</p>
      ) : null}
      <JobStepList job={job} label={`Steps of job ${short(job.jobId)}`} />
      <dl className="facts facts-compact job-facts">
        <dt>Router job id</dt>
        <dd className="mono">{job.jobId}</dd>
        <dt>Competition</dt>
        <dd>{job.competitionId}</dd>
        <dt>Session · task</dt>
        <dd>
          {job.sessionId} · {job.taskId}
        </dd>
        <dt>Key</dt>
        <dd>{job.keyVersion ? `${job.keyVersion}, ${job.scopeType ?? '?'} scope` : 'not read yet'}</dd>
        <dt>Input</dt>
        <dd>
          <span className="mono">{job.inputUrn}</span> <span className="muted">{formatBytes(job.inputBytes)}</span>
        </dd>
        <dt>Result</dt>
        <dd>{job.resultUrn ? <><span className="mono">{job.resultUrn}</span> <span className="muted">{formatBytes(job.outputBytes)}</span></> : <span className="muted">not uploaded</span>}</dd>
        <dt>Received</dt>
        <dd>{formatClock(job.receivedAt)}</dd>
        <dt>Deadline</dt>
        <dd>{formatClock(job.deadline)}</dd>
      </dl>
    </section>
  );
}

/**
 * A polite live region that sums up what happened, at most every 15 s and only when something did:
 * a busy miner's ten updates a second would otherwise drown a screen reader.
 */
function JobsAnnouncer() {
  const [message, setMessage] = useState('');
  useEffect(() => {
    useInferenceStore.getState().takeNews();
    const timer = setInterval(() => {
      const news = useInferenceStore.getState().takeNews();
      if (news.received + news.reported + news.failed === 0) return;
      const parts = [news.received > 0 ? `${news.received} new` : '', news.reported > 0 ? `${news.reported} reported` : '', news.failed > 0 ? `${news.failed} failed` : ''].filter(Boolean);
      setMessage(`Jobs: ${parts.join(', ')}.`);
    }, ANNOUNCE_EVERY_MS);
    return () => clearInterval(timer);
  }, []);
  return (
    <p className="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
      {message}
    </p>
  );
}
