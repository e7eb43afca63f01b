import { useEffect, useState } from 'react';
import type { UpdateStatus } from '@shared/contract/updates';
import { Card } from '../../components/Card';
import { rpc } from '../../rpc';
import { errorText } from '../../store/actions';

/** What next, where core's message does not already say it (signature, tampered and feed refusals do). */
const NEXT_STEP: Record<string, string> = {
  UPDATE_DOWNGRADE: 'Your version stays. Nothing to do.',
  NETWORK_ERROR: 'Check your internet connection, then press Check now again.',
};

/** The app's status and the updates.changed events (a check moves through checking → downloading → ready). */
function useUpdateStatus(): [UpdateStatus | null, (s: UpdateStatus) => void] {
  const [status, setStatus] = useState<UpdateStatus | null>(null);
  useEffect(() => {
    void rpc()
      .invoke('updates.status', {})
      .then(setStatus)
      .catch(() => undefined);
    return rpc().on('updates.changed', setStatus);
  }, []);
  return [status, setStatus];
}

/** Settings → Updates: this version, the feed, Check now, what is verified, Restart (desktop only). */
export function UpdatesCard() {
  const [status, setStatus] = useUpdateStatus();
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [restarting, setRestarting] = useState(false);
  if (!status) return null;
  const check = async () => {
    setBusy(true);
    setFailure(null);
    try {
      setStatus(await rpc().invoke('updates.check', {}));
    } catch (error) {
      // The refusal is in the status (updates.changed); other failures are shown here.
      const latest = await rpc().invoke('updates.status', {}).catch(() => null);
      if (latest) setStatus(latest);
      if (!latest?.error) setFailure(errorText(error));
    } finally {
      setBusy(false);
    }
  };
  // Keeping the running version for a rollback can take seconds (a ~150 MB AppImage copied when
  // it cannot be hard-linked): the button says so until the app quits, or the refusal arrives.
  const restart = async () => {
    setFailure(null);
    setRestarting(true);
    try {
      await rpc().invoke('updates.restart', {});
    } catch (error) {
      setFailure(errorText(error));
      setRestarting(false);
    }
  };
  const working = busy || status.state === 'checking' || status.state === 'downloading';
  return (
    <Card title="Updates">
      {status.keyWarning ? (
        <p className="banner banner-danger" role="alert">
          {status.keyWarning}
        </p>
      ) : null}
      <p>
        This is Minerva <strong>{status.current}</strong> ({status.host === 'electron' ? 'desktop app' : 'minerva serve'}).
      </p>
      {/* Without a feed, core's status words say so and where new versions are (said once). */}
      {status.state === 'downloading' && status.progress !== null ? <progress className="progress" max={1} value={status.progress} aria-label="Download progress" /> : null}
      <p role="status" className={status.state === 'error' ? 'help help-warn' : 'help'}>
        {status.words}
        {status.error && NEXT_STEP[status.error.code] ? ` ${NEXT_STEP[status.error.code]}` : ''}
      </p>
      {status.available ? (
        <p className="help">
          Available: Minerva {status.available.version}
          {status.available.releaseDate ? `, released ${status.available.releaseDate.slice(0, 10)}` : ''}
          {status.state === 'ready' ? ' — downloaded and verified (signature and SHA-512).' : '.'}
        </p>
      ) : null}
      {status.host === 'headless' && status.configured ? (
        <p className="help">minerva serve does not replace itself: stop it, install the new version (your package, or the Minerva website), and start it again. Your data folder stays as it is.</p>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button" disabled={!status.configured || working} onClick={() => void check()}>
          {working ? 'Checking…' : 'Check now'}
        </button>
        {status.canInstall && status.state === 'ready' ? (
          <button type="button" className="button button-primary" disabled={restarting} onClick={() => void restart()}>
            {restarting ? 'Installing… Minerva restarts in a moment' : 'Restart to update'}
          </button>
        ) : null}
      </div>
      {failure ? <p className="help help-warn">{failure}</p> : null}
      {status.checkedAt ? <p className="help">Last checked {new Date(status.checkedAt).toLocaleString()}.</p> : null}
      {status.last ? (
        <p className="help">
          Last update: {status.last.outcome === 'updated' ? 'updated' : 'rolled back'} on {new Date(status.last.at).toLocaleString()}. {status.last.detail}
        </p>
      ) : null}
    </Card>
  );
}
