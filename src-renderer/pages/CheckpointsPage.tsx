import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { CheckpointSubmissionView, RoundView } from '@shared/contract/checkpoints';
import { rpc } from '../rpc';
import { RpcError } from '../rpc/client';
import { loadCompetitions, toastError } from '../store/actions';
import { useStore } from '../store/store';
import { Card, EmptyState } from '../components/Card';
import { SubmissionCard } from '../features/checkpoints/SubmissionCard';
import { DropZone, uploadFile } from '../features/checkpoints/DropZone';
import { usePublishConfirm } from '../features/checkpoints/PublishConfirm';
import { ReceiptCheckCard } from '../features/checkpoints/ReceiptCheck';
import { formatBlocks } from '@shared/format/time';

/** What a screen reader hears about the submission just started: its current step, then its outcome. */
function progressWords(s: CheckpointSubmissionView): string {
  if (s.state === 'accepted' || s.state === 'rejected') return `${s.fileName}: ${s.verdict?.words ?? s.state}`;
  if (s.state === 'failed') return `${s.fileName} stopped: ${s.error?.message ?? 'see the submission'}`;
  const step = s.steps.find((x) => x.state === 'active') ?? s.steps.find((x) => x.state === 'pending');
  return step ? `${s.fileName}: ${step.label}…` : `${s.fileName}: in progress`;
}

export function CheckpointsPage() {
  const [submissions, setSubmissions] = useState<CheckpointSubmissionView[]>([]);
  const [rounds, setRounds] = useState<RoundView[]>([]);
  // The submission just started: its card is scrolled into view and focused (it would otherwise
  // appear below the fold, under the form), and its steps are announced politely.
  const [followed, setFollowed] = useState<string | null>(null);
  const scrolledTo = useRef<string | null>(null);
  const competitions = useStore((s) => s.competitions.view);
  const joined = competitions?.competitions.filter((c) => c.kind === 'checkpoint' && c.membership?.state === 'joined') ?? [];
  const blockMs = competitions?.blockMs ?? null;

  const load = useCallback(async () => {
    try {
      const view = await rpc().invoke('checkpoints.list', {});
      setSubmissions(view.submissions);
      setRounds(view.rounds);
    } catch (error) {
      toastError(error);
    }
  }, []);

  useEffect(() => {
    void load();
    void loadCompetitions(false);
    const off = rpc().on('checkpoints.changed', (changed) =>
      setSubmissions((list) => (list.some((s) => s.id === changed.id) ? list.map((s) => (s.id === changed.id ? changed : s)) : [changed, ...list])),
    );
    // The round clock moves with the chain's blocks.
    const timer = setInterval(() => void rpc().invoke('checkpoints.list', {}).then((v) => setRounds(v.rounds)).catch(() => undefined), 3000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [load]);

  const onStarted = useCallback((view: CheckpointSubmissionView) => {
    setSubmissions((list) => (list.some((s) => s.id === view.id) ? list : [view, ...list]));
    setFollowed(view.id);
  }, []);

  useEffect(() => {
    if (!followed || scrolledTo.current === followed) return;
    const heading = document.getElementById(`submission-${followed}`);
    if (!heading) return;
    scrolledTo.current = followed;
    heading.closest('article')?.scrollIntoView({ block: 'start', behavior: 'smooth' });
    heading.focus({ preventScroll: true });
  }, [followed, submissions]);

  const current = followed ? submissions.find((s) => s.id === followed) : undefined;

  return (
    <div className="page-stack">
      <p className="visually-hidden" role="status" aria-live="polite" aria-label="Submission progress">
        {current ? progressWords(current) : ''}
      </p>
      <div className="page-grid">
        <Card title="Rounds">
          {rounds.length === 0 ? (
            <p className="muted">Join a checkpoint competition to see its rounds.</p>
          ) : (
            <ul className="check-list" aria-label="Rounds">
              {rounds.map((r) => (
                <li key={r.competitionId}>
                  <span className={`dot ${r.phase === 'commit' ? 'dot-ok' : 'dot-wait'}`} aria-hidden="true" />
                  <span>
                    <strong>{r.competitionId}</strong> · round {r.round}:{' '}
                    {r.phase === 'commit' ? 'commit' : 'submission'} phase ends in {formatBlocks(r.blocksLeft, blockMs)}
                  </span>
                </li>
              ))}
            </ul>
          )}
          <p className="help">Commit your checkpoint’s hash during a commit phase; Minerva submits it in the submission phase that follows, so nobody can copy it first.</p>
        </Card>
        <SubmitForm competitions={joined.map((c) => ({ id: c.id, title: c.title }))} onStarted={onStarted} />
      </div>
      {submissions.length === 0 ? (
        <Card title="Submissions">
          <EmptyState title="No submissions yet">
            <p>Each submission shows its steps here: hash, commit, publish, submit, verdict — and a receipt you can export.</p>
          </EmptyState>
        </Card>
      ) : (
        <div className="page-grid" role="list" aria-label="Submissions">
          {submissions.map((s) => (
            <div role="listitem" key={s.id}>
              <SubmissionCard s={s} />
            </div>
          ))}
        </div>
      )}
      <ReceiptCheckCard />
    </div>
  );
}

function SubmitForm({ competitions, onStarted }: { competitions: { id: string; title: string }[]; onStarted: (view: CheckpointSubmissionView) => void }) {
  const ids = { competition: useId(), path: useId(), group: useId(), url: useId() };
  const [ownUrl, setOwnUrl] = useState('');
  const [competition, setCompetition] = useState('');
  const [path, setPath] = useState('');
  const [group, setGroup] = useState('0');
  const [busy, setBusy] = useState(false);
  const [upload, setUpload] = useState<{ name: string; progress: number } | null>(null);
  const [training, setTraining] = useState<string | null>(null);
  useEffect(() => rpc().on('checkpoints.trainingProgressed', (p) => setTraining(p.detail)), []);
  const chosen = competition || competitions[0]?.id || '';
  // In a browser served by `minerva serve` a dropped file is uploaded first; the desktop window
  // reads it where it lies (its path comes from the preload).
  const pathForFile = window.minerva?.pathForFile;
  const canDrop = !window.minerva || Boolean(pathForFile);

  const confirm = usePublishConfirm();

  /** Starts the submission; the first publish to a network asks first (false: the miner cancelled). */
  const start = async (filePath: string): Promise<boolean> => {
    const url = ownUrl.trim();
    const input = { competitionId: chosen, path: filePath, expertGroup: group.trim() || '0', ...(url ? { publishUrl: url } : {}) };
    try {
      onStarted(await rpc().invoke('checkpoints.submitFile', input));
      return true;
    } catch (error) {
      if (!(error instanceof RpcError) || error.code !== 'PUBLISH_NOT_CONFIRMED') throw error;
    }
    const preview = await rpc().invoke('checkpoints.previewPublish', { competitionId: chosen, path: filePath });
    if (!preview.confirmed && !(await confirm.ask(preview))) {
      useStore.getState().pushToast('info', 'Nothing was published.');
      return false;
    }
    onStarted(await rpc().invoke('checkpoints.submitFile', { ...input, confirmPublish: true }));
    return true;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      if (await start(path.trim())) setPath('');
    } catch (error) {
      toastError(error);
    } finally {
      setBusy(false);
    }
  };

  const trainDemo = async () => {
    setBusy(true);
    setTraining('Starting the demo trainer…');
    try {
      onStarted(await rpc().invoke('checkpoints.trainDemo', { competitionId: chosen, steps: 300, expertGroup: group.trim() || '0' }));
    } catch (error) {
      toastError(error);
    } finally {
      setTraining(null);
      setBusy(false);
    }
  };

  const dropped = async (file: File) => {
    const localPath = pathForFile?.(file);
    if (pathForFile) {
      if (!localPath) {
        useStore.getState().pushToast('error', `${file.name} has no path on this computer. Save it to a folder first, then drop it again.`);
        return;
      }
      setBusy(true);
      try {
        await start(localPath);
      } catch (error) {
        toastError(error);
      } finally {
        setBusy(false);
      }
      return;
    }
    setBusy(true);
    setUpload({ name: file.name, progress: 0 });
    try {
      const stored = await uploadFile(file, (progress) => setUpload({ name: file.name, progress }));
      await start(stored);
    } catch (error) {
      useStore.getState().pushToast('error', error instanceof Error ? error.message : String(error));
    } finally {
      setUpload(null);
      setBusy(false);
    }
  };

  return (
    <Card title="Submit a checkpoint">
      {confirm.dialog}
      {competitions.length === 0 ? (
        <p className="muted">
          Join a checkpoint competition first on the <a href="#/competitions">Competitions</a> page.
        </p>
      ) : (
        <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Submit a checkpoint">
          <div className="field">
            <label htmlFor={ids.competition}>Competition</label>
            <select id={ids.competition} value={chosen} onChange={(e) => setCompetition(e.target.value)}>
              {competitions.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.title}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.path}>Checkpoint file</label>
            <input id={ids.path} type="text" className="mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/you/checkpoints/model.ckpt" required aria-describedby={`${ids.path}-help`} />
            <p id={`${ids.path}-help`} className="help">
              The full path of the file on the machine that runs Minerva. Any size: it is read as a stream.
            </p>
          </div>
          <div className="field">
            <label htmlFor={ids.group}>Expert group</label>
            <input id={ids.group} type="text" value={group} onChange={(e) => setGroup(e.target.value)} maxLength={64} />
          </div>
          <div className="field">
            <label htmlFor={ids.url}>Your own download address (optional)</label>
            <input id={ids.url} type="text" inputMode="url" className="mono" value={ownUrl} onChange={(e) => setOwnUrl(e.target.value)} placeholder="https://storage.example/model.ckpt" aria-describedby={`${ids.url}-help`} />
            <p id={`${ids.url}-help`} className="help">
              Leave empty to publish through the network. If you give one, Minerva downloads it first and refuses to submit unless it is exactly the file you committed.
            </p>
          </div>
          <button type="submit" className="button button-primary" disabled={busy || path.trim() === ''}>
            {busy ? 'Starting…' : 'Hash, commit and submit'}
          </button>
          <p className="help">Or train a checkpoint here with the demo trainer (a small model in a locked-down container):</p>
          <button type="button" className="button" disabled={busy} onClick={() => void trainDemo()}>
            Train with the demo trainer
          </button>
          {training ? <div role="status">{training}</div> : null}
          {canDrop ? (
            <>
              <p className="help">{pathForFile ? 'Or drop the file here:' : 'Or give Minerva the file from this browser:'}</p>
              <DropZone onFile={(file) => void dropped(file)} disabled={busy} />
              {upload ? (
                <div role="status">
                  Uploading {upload.name}… {Math.round(upload.progress * 100)}%
                  <progress className="progress" max={1} value={upload.progress} aria-label={`Uploading ${upload.name}`} />
                </div>
              ) : null}
            </>
          ) : null}
        </form>
      )}
    </Card>
  );
}
