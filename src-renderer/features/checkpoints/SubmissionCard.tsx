import type { CheckpointSubmissionView } from '@shared/contract/checkpoints';
import { rpc } from '../../rpc';
import { toastError } from '../../store/actions';

const MARK: Record<string, string> = { pending: '○', active: '◔', done: '●', skipped: '●', failed: '✕' };
const STATE_WORDS: Record<CheckpointSubmissionView['state'], string> = {
  running: 'In progress',
  waiting: 'Waiting to retry',
  accepted: 'Accepted',
  rejected: 'Rejected',
  failed: 'Stopped',
};

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

async function exportReceipt(id: string): Promise<void> {
  try {
    const { fileName, content } = await rpc().invoke('checkpoints.exportReceipt', { id });
    const url = URL.createObjectURL(new Blob([content], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    toastError(error);
  }
}

async function retry(id: string): Promise<void> {
  try {
    await rpc().invoke('checkpoints.retry', { id });
  } catch (error) {
    toastError(error);
  }
}

export function SubmissionCard({ s }: { s: CheckpointSubmissionView }) {
  const titleId = `submission-${s.id}`;
  return (
    <article className="card" aria-labelledby={titleId}>
      <div className="card-head">
        <h2 id={titleId} className="mono-title" tabIndex={-1}>
          {s.fileName}
        </h2>
        <span className={`badge verdict-${s.state}`}>{STATE_WORDS[s.state]}</span>
      </div>
      <p className="muted">
        {s.competitionId} · expert group {s.expertGroup}
        {s.fileSize !== null ? ` · ${size(s.fileSize)}` : ''}
        {s.sha256 ? (
          <>
            {' '}
            · sha256 <span className="mono">{s.sha256.slice(0, 16)}…</span>
          </>
        ) : null}
      </p>
      <ol className="step-list" aria-label={`Steps of ${s.fileName}`}>
        {s.steps.map((step) => (
          <li key={step.id} className={`step step-${step.state}`}>
            <span className="step-mark" aria-hidden="true">
              {MARK[step.state]}
            </span>
            <span className="step-body">
              <span className="step-label">{step.label}</span>
              <span className="visually-hidden"> — {step.state}</span>
              {step.detail ? <span className="step-detail">{step.detail}</span> : null}
              {step.state === 'active' && step.progress !== null ? (
                <progress className="progress" max={1} value={step.progress} aria-label={`${step.label}: ${Math.round(step.progress * 100)}%`} />
              ) : null}
            </span>
          </li>
        ))}
      </ol>
      {s.verdict ? (
        <p className={s.verdict.status === 'accepted' ? 'membership-ok' : 'help help-bad'} role="status">
          {s.verdict.words}
        </p>
      ) : null}
      {s.error && s.state !== 'accepted' && s.state !== 'rejected' ? (
        <p className={s.state === 'failed' ? 'help help-bad' : 'help help-warn'}>{s.error.message}</p>
      ) : null}
      <div className="form-row">
        {s.commit ? (
          <button type="button" className="button" onClick={() => void exportReceipt(s.id)} aria-label={`Export the receipt of ${s.fileName}`}>
            Export receipt
          </button>
        ) : null}
        {s.state === 'failed' ? (
          <button type="button" className="button button-primary" onClick={() => void retry(s.id)} aria-label={`Retry ${s.fileName}`}>
            Retry
          </button>
        ) : null}
      </div>
    </article>
  );
}
