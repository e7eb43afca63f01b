import { useEffect, useRef } from 'react';
import { useStore } from '../store/store';
import { ROUTES, showTarget } from './routes';
import { useHash, useHashRoute } from './use-hash-route';
import { useTheme } from './use-theme';
import { Toasts } from '../components/Toasts';
import { Logo } from '../components/Logo';
import { VaultPill } from '../features/vault/VaultPill';
import { ConnectionBanner } from './ConnectionBanner';

/** The window: skip link, sidebar navigation, top bar, the current page, toasts. */
export function App() {
  useTheme();
  const route = useHashRoute();
  const target = showTarget(useHash());
  const info = useStore((s) => s.app.info);
  const connection = useStore((s) => s.app.connection);
  const networks = useStore((s) => s.networks);
  const selected = networks?.profiles.find((p) => p.id === networks.selectedId);
  const practiceState = networks?.practice.state;
  const networkOk = (selected !== undefined && selected.kind !== 'practice') || practiceState === 'running' || practiceState === 'attached';
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);

  // Move focus to the new page's heading so keyboard and screen-reader users land on it — or, for
  // a link to one part of a page (`?show=<name>`, routes.tsx), to that part's heading, scrolled to.
  useEffect(() => {
    document.title = `${route.label} — Minerva`;
    const first = firstRender.current;
    firstRender.current = false;
    // The page's parts have rendered by now (children's effects run first): the target is in the DOM if the page shows it.
    const part = target ? document.querySelector<HTMLElement>(`[data-show="${target}"]`) : null;
    if (part) {
      part.focus({ preventScroll: true });
      part.scrollIntoView({ block: 'start' });
      return;
    }
    // A new page starts at its top, not at the previous page's scroll position.
    window.scrollTo(0, 0);
    if (!first) headingRef.current?.focus({ preventScroll: true });
  }, [route.id, route.label, target]);

  return (
    // Offline: the live status on screen is stale; it is greyed until the connection returns.
    <div className={connection === 'closed' || connection === 'signed-out' ? 'shell shell-offline' : 'shell'}>
      <a className="skip-link" href="#main-content" onClick={(e) => { e.preventDefault(); headingRef.current?.focus(); }}>
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <Logo />
          <span className="brand-name">Minerva</span>
        </div>
        <nav aria-label="Main">
          <ul className="nav-list">
            {ROUTES.map((r) => (
              <li key={r.id}>
                <a
                  className="nav-link"
                  href={`#/${r.id}`}
                  aria-current={r.id === route.id ? 'page' : undefined}
                  onClick={() => {
                    // Same page: the hash does not change, but the user still expects to land on it.
                    if (r.id === route.id) headingRef.current?.focus();
                  }}
                >
                  <span className="nav-glyph" aria-hidden="true">{r.glyph}</span>
                  {r.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-foot">{info ? `v${info.version} · ${info.host === 'electron' ? 'desktop' : 'headless'}` : ' '}</div>
      </aside>
      <div className="main-column">
        <header className="topbar">
          <a className="network-pill" href="#/settings" title={selected?.kind === 'practice' ? networks?.practice.detail : 'The network Minerva works on. Change it in Settings.'}>
            <span className={`dot ${networkOk ? 'dot-ok' : practiceState === 'failed' ? 'dot-bad' : 'dot-wait'}`} aria-hidden="true" />
            <span className="visually-hidden">Network: </span>
            <span className="network-pill-name">
              {selected?.name ?? 'Practice network'}
              {selected?.kind === 'practice' && practiceState === 'starting' ? ' (starting…)' : ''}
              {selected?.kind === 'practice' && practiceState === 'failed' ? ' (not running)' : ''}
            </span>
          </a>
          <span className="topbar-spacer" />
          <VaultPill />
          <span role="status" aria-live="polite" className={`connection connection-${connection}`}>
            {connection === 'open' ? 'Connected' : connection === 'connecting' ? 'Connecting…' : connection === 'signed-out' ? 'Signed out' : 'Disconnected — retrying'}
          </span>
        </header>
        <ConnectionBanner />
        {info?.exposedBeyondLoopback ? (
          <div className="banner banner-danger" role="alert">
            Key safety: this Minerva is reachable from other machines. Anyone with its token can control your miner. Serve it on 127.0.0.1 unless you really need remote access.
          </div>
        ) : null}
        <main id="main-content" className="content" aria-labelledby="page-title">
          <h1 id="page-title" className="page-title" tabIndex={-1} ref={headingRef}>
            {route.label}
          </h1>
          {route.render()}
        </main>
      </div>
      <Toasts />
    </div>
  );
}
