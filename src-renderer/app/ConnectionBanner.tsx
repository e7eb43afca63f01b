import { reconnectNow } from '../rpc';
import { useStore } from '../store/store';

/**
 * What the miner sees when the browser loses `minerva serve` (a restart, a stop, a lost session):
 * a standing banner while the page keeps trying, and the way back when this browser is signed out.
 * The live status under it is greyed (App's `shell-offline`), since it is from before the drop.
 */
export function ConnectionBanner() {
  const connection = useStore((s) => s.app.connection);
  if (connection === 'closed') {
    return (
      <div className="banner banner-offline" role="alert">
        <p className="banner-text">
          <strong>Minerva is not reachable — reconnecting…</strong> The status on this page is from before the connection dropped and is shown in grey. This page comes back by itself when
          Minerva answers again; if it was stopped, start it with <code className="mono">minerva serve</code>.
        </p>
        <button type="button" className="button banner-action" onClick={() => reconnectNow()}>
          Try now
        </button>
      </div>
    );
  }
  if (connection === 'signed-out') {
    return (
      <div className="banner banner-offline" role="alert">
        <p className="banner-text">
          <strong>This browser is no longer signed in to Minerva.</strong> Minerva is running, but it does not know this browser any more (its sign-in was reset or expired). Run{' '}
          <code className="mono">minerva open</code> in a terminal on this computer (or <code className="mono">minerva serve --print-url</code> and open the address it prints); this page
          reconnects by itself once you have signed in.
        </p>
        <button type="button" className="button banner-action" onClick={() => reconnectNow()}>
          Try now
        </button>
      </div>
    );
  }
  return null;
}
