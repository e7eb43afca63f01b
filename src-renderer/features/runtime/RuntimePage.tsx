import { useEffect, useId, useState, type FormEvent } from 'react';
import { DEMO_MODELS, type IsolationReport, type RuntimeContainer, type TeeRecord } from '@shared/contract/runtime';
import { Card, EmptyState } from '../../components/Card';
import { rpc } from '../../rpc';
import { errorText } from '../../store/actions';
import { useStore } from '../../store/store';
import { pullImage, refreshRuntime, reapNow, selectContainer, startDemo, startRuntime, stopModel } from './runtime-actions';
import { useRuntimeStore } from './runtime-store';
import './runtime.css';

const mib = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? '—' : `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`);
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** Model runtime: the Docker engine, images with digests, locked-down containers, TEE checks. */
export function RuntimePage() {
  const loadError = useRuntimeStore((s) => s.loadError);
  useEffect(() => {
    startRuntime();
    void refreshRuntime();
  }, []);
  return (
    <div className="page-stack runtime-page">
      {loadError ? (
        <p className="help help-bad" role="alert">
          {loadError}
        </p>
      ) : null}
      <div className="page-grid">
        <EngineCard />
        <DemoCard />
      </div>
      <ContainersCard />
      <div className="page-grid">
        <IsolationCard />
        <ModelLogCard />
      </div>
      <ImagesCard />
      <TeeCard />
    </div>
  );
}

function EngineCard() {
  const status = useRuntimeStore((s) => s.status);
  const busy = useRuntimeStore((s) => s.busy);
  const engine = status?.engine;
  return (
    <Card
      title="Docker engine"
      actions={
        <button type="button" className="button button-quiet" disabled={busy !== null} onClick={() => void refreshRuntime(true)}>
          Check again
        </button>
      }
    >
      {!engine ? (
        <p className="muted">Asking the engine…</p>
      ) : engine.state === 'running' ? (
        <dl className="runtime-kv" aria-label="Engine details">
          <dt>Status</dt>
          <dd>
            <span className="badge badge-accent" role="status">
              Engine running
            </span>
          </dd>
          <dt>Version</dt>
          <dd>
            Docker {engine.version} (API {engine.apiVersion}) · {engine.os ?? '?'} {engine.arch ?? ''}
          </dd>
          <dt>Where</dt>
          <dd className="mono">
            {engine.endpoint}
            {engine.remote ? ' (remote)' : ''}
          </dd>
          <dt>Resources</dt>
          <dd>
            {engine.cpus ?? '?'} CPUs · {engine.memoryBytes ? gib(engine.memoryBytes) : '?'} memory
          </dd>
          <dt>GPUs</dt>
          <dd>
            {engine.gpu.available
              ? `NVIDIA runtime present${engine.gpu.hostGpus !== null ? `, ${engine.gpu.hostGpus} GPU(s)` : ''}`
              : engine.gpu.nvidiaRuntime
                ? 'NVIDIA runtime present, but no GPU found'
                : 'None (no NVIDIA runtime): models run on the CPU'}
          </dd>
          <dt>Disk</dt>
          <dd>{engine.disk ? `${gib(engine.disk.freeBytes)} free of ${gib(engine.disk.totalBytes)} (${engine.disk.path})` : 'unknown'}</dd>
          <dt>Images</dt>
          <dd>{status.developerMode ? <span className="help-warn">Developer mode: unpinned images are allowed.</span> : 'Only pinned images (name:tag@sha256:…) run.'}</dd>
        </dl>
      ) : (
        <div className="banner banner-danger" role="alert" aria-label="Engine problem">
          <p>
            <strong>{engine.problem}</strong>
          </p>
          <p>How to fix it: {engine.fix}</p>
          <p className="muted mono">{engine.endpoint}</p>
        </div>
      )}
    </Card>
  );
}

function DemoCard() {
  const busy = useRuntimeStore((s) => s.busy);
  const running = useRuntimeStore((s) => s.status?.engine.state === 'running');
  return (
    <Card title="Demo models">
      <p className="help">Small real models from resources/models, built into images on this computer and run with no network and a read-only root.</p>
      <div className="form-row">
        {DEMO_MODELS.map((name) => (
          <button key={name} type="button" className="button" disabled={!running || busy !== null} onClick={() => void startDemo(name)}>
            Start {name}
          </button>
        ))}
      </div>
      {busy ? (
        <p className="muted" role="status">
          {busy}…
        </p>
      ) : null}
    </Card>
  );
}

function ContainersCard() {
  const containers = useRuntimeStore((s) => s.containers);
  const selected = useRuntimeStore((s) => s.selected);
  const lastReap = useRuntimeStore((s) => s.status?.lastReap ?? null);
  const busy = useRuntimeStore((s) => s.busy);
  return (
    <Card
      title="Containers"
      actions={
        <button type="button" className="button button-quiet" disabled={busy !== null} onClick={() => void reapNow()}>
          Clean up leftovers
        </button>
      }
    >
      <p className="help">
        Only containers Minerva created (label io.minerva.managed=1) are listed; Minerva never stops or removes any other container.
        {lastReap ? ` Last clean-up ${lastReap.at.slice(11, 19)}: ${lastReap.removed.length} removed.` : ''}
      </p>
      {containers.length === 0 ? (
        <EmptyState title="No model containers">Start a demo model, or join a competition that runs a model.</EmptyState>
      ) : (
        <table className="table runtime-containers" aria-label="Model containers">
          <thead>
            <tr>
              <th scope="col">Container</th>
              <th scope="col">State</th>
              <th scope="col" className="num">
                Use
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {containers.map((c) => (
              <ContainerRow key={c.id} c={c} selected={c.id === selected} />
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/**
 * One container in four columns, two lines a cell where it needs them (as Docker Desktop puts an
 * image under its container's name): what it is and what it is for; the model's state over
 * Docker's; memory over CPU. Eight columns of one line each ran 95 px past a 900 px window, with
 * "job inference:practice-inference" broken a letter a line.
 */
function ContainerRow({ c, selected }: { c: RuntimeContainer; selected: boolean }) {
  const purpose = c.job ? `job ${c.job}` : c.runner ? `runner ${c.runner}` : null;
  const restarts = c.model?.restarts ?? 0;
  return (
    <tr aria-selected={selected}>
      <td>
        <div className="mono">{c.name || short(c.id)}</div>
        <div className="muted runtime-for">{purpose ? `for ${purpose}` : 'for nothing this app runs'}</div>
      </td>
      <td>
        <div>
          {c.model ? <span className="badge">{c.model.state}</span> : <span className="muted">not used by this app</span>}
          {restarts > 0 ? <span className="help-warn"> restarted {restarts}×</span> : null}
        </div>
        <div className="muted">Docker: {c.status}</div>
        {c.model?.lastFailure ? <div className="help help-bad">{c.model.lastFailure}</div> : null}
      </td>
      <td className="num">
        <div className="runtime-memory">
          <span>{mib(c.usage?.memoryBytes)}</span>
          {c.usage?.memoryLimitBytes ? <span className="muted"> / {mib(c.usage.memoryLimitBytes)}</span> : null}
        </div>
        <div className="muted">CPU {c.usage?.cpuPercent === null || c.usage?.cpuPercent === undefined ? '—' : `${c.usage.cpuPercent.toFixed(1)} %`}</div>
      </td>
      <td>
        <div className="runtime-actions">
          <button type="button" className="button button-quiet" onClick={() => void selectContainer(c.id)} aria-label={`Details of ${c.name || short(c.id)}`}>
            Details
          </button>
          {c.model ? (
            <button type="button" className="button button-quiet" onClick={() => void stopModel(c.model!.key)} aria-label={`Stop ${c.model.key}`}>
              Stop
            </button>
          ) : null}
        </div>
      </td>
    </tr>
  );
}

function IsolationCard() {
  const report = useRuntimeStore((s) => s.isolation);
  return (
    <Card title="Isolation report">
      {!report ? <p className="muted">Choose a container to see how it is locked down, as Docker reports it.</p> : <IsolationDetails report={report} />}
    </Card>
  );
}

function IsolationDetails({ report }: { report: IsolationReport }) {
  const yes = (ok: boolean, good: string, bad: string) => (ok ? good : <span className="help-bad">{bad}</span>);
  return (
    <div aria-label={`Isolation of ${report.name}`} role="region">
      <p role="status">{report.verdict.ok ? <span className="badge badge-accent">Locked down</span> : <span className="help help-bad">Weakened: {report.verdict.findings.join('; ')}</span>}</p>
      <dl className="runtime-kv">
        <dt>Network</dt>
        <dd>{yes(report.network.mode === 'none', 'none (no network at all)', `mode ${report.network.mode}`)}</dd>
        <dt>Root filesystem</dt>
        <dd>{yes(report.rootfs.readOnly, 'read-only', 'writable')}</dd>
        <dt>Capabilities</dt>
        <dd>
          {yes(report.capabilities.dropped.includes('ALL') && report.capabilities.added.length === 0, 'all dropped', `dropped ${report.capabilities.dropped.join(', ') || 'none'}; added ${report.capabilities.added.join(', ') || 'none'}`)}
          {report.capabilities.noNewPrivileges ? ', no-new-privileges' : ''}
          {report.capabilities.privileged ? <span className="help-bad">, privileged</span> : ''}
        </dd>
        <dt>User</dt>
        <dd className="mono">{report.user || 'root'}</dd>
        <dt>Limits</dt>
        <dd>
          {mib(report.limits.memoryBytes)} memory · {report.limits.cpus} CPU · {report.limits.pids} processes
        </dd>
        <dt>Mounts</dt>
        <dd>{report.mounts.length === 0 ? 'none' : report.mounts.map((m) => `${m.destination} (${m.readWrite ? 'read-write' : 'read-only'})`).join(', ')}</dd>
        <dt>Scratch</dt>
        <dd>{report.tmpfs.map((t) => `${t.path} tmpfs`).join(', ') || 'none'}</dd>
        <dt>GPU</dt>
        <dd>{report.gpu.requested ? report.gpu.devices.join(', ') : 'not requested'}</dd>
        <dt>Logging</dt>
        <dd>{yes(report.logDriver === 'none', 'off (model output never written to disk)', report.logDriver)}</dd>
      </dl>
    </div>
  );
}

function ModelLogCard() {
  const logs = useRuntimeStore((s) => s.logs);
  return (
    <Card title="Model log">
      <div className="log-list" role="log" aria-label="Model log lines" tabIndex={0}>
        {logs.length === 0 ? <p className="muted pad">No lines from the selected model (its stderr, redacted, appears here).</p> : null}
        {logs.map((l) => (
          <div key={l.seq} className={`log-line ${l.stream === 'runtime' ? 'log-warn' : 'log-info'}`}>
            <time dateTime={l.at} className="log-time">
              {l.at.slice(11, 19)}
            </time>
            <span className="log-scope">{l.stream}</span>
            <span className="log-msg">{l.text}</span>
          </div>
        ))}
      </div>
    </Card>
  );
}

function ImagesCard() {
  const images = useRuntimeStore((s) => s.images);
  const pull = useRuntimeStore((s) => s.pull);
  const [open, setOpen] = useState(false);
  return (
    <Card
      title="Images"
      actions={
        open ? null : (
          <button type="button" className="button button-quiet" onClick={() => setOpen(true)}>
            Pull an image
          </button>
        )
      }
    >
      {open ? <PullForm onDone={() => setOpen(false)} /> : null}
      {pull ? (
        <p className="muted" role="status" aria-label="Pull progress">
          Pulling {pull.reference}: {Object.keys(pull.layers).length} layer(s) · {pull.last}
        </p>
      ) : null}
      {images.length === 0 ? (
        <EmptyState title="No model images yet">Images appear here when a model bundle is built or pulled.</EmptyState>
      ) : (
        <table className="table" aria-label="Model images">
          <thead>
            <tr>
              <th scope="col">Image</th>
              <th scope="col">Pinned reference</th>
              <th scope="col" className="num">
                Size
              </th>
            </tr>
          </thead>
          <tbody>
            {images.map((i) => (
              <tr key={i.id}>
                <td>
                  {i.tags[0] ?? short(i.id)}
                  {i.base ? <span className="muted"> (base: node runtime)</span> : null}
                  {i.bundle ? <div className="muted mono">bundle sha256 {i.bundle.sha256.slice(0, 16)}…</div> : null}
                </td>
                <td className="mono">
                  {i.pinned?.reference ?? i.references[0] ?? i.id}
                  {i.pinned ? <span className="muted"> ({i.pinned.source})</span> : null}
                </td>
                <td className="num">{mib(i.sizeBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function PullForm({ onDone }: { onDone: () => void }) {
  const id = useId();
  const [reference, setReference] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const ok = await pullImage(reference.trim());
    setBusy(false);
    if (ok) onDone();
  };
  return (
    <form className="inline-form" aria-label="Pull an image" onSubmit={(e) => void submit(e)}>
      <div className="field">
        <label htmlFor={id}>Pinned reference</label>
        <input id={id} type="text" className="mono" value={reference} onChange={(e) => setReference(e.target.value)} required maxLength={512} placeholder="registry/name:tag@sha256:…" aria-describedby={`${id}-help`} />
        <p id={`${id}-help`} className="help">
          Outside developer mode both a tag and a sha256 digest are required, so what runs is exactly what was published.
        </p>
      </div>
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          Pull
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function TeeCard() {
  const records = useRuntimeStore((s) => s.tee);
  const [open, setOpen] = useState(false);
  return (
    <Card
      title="TEE checks"
      actions={
        open ? null : (
          <button type="button" className="button button-quiet" onClick={() => setOpen(true)}>
            Check an attestation
          </button>
        )
      }
    >
      <p className="help">Runners in a TEE get work only after every check passes: quote and collateral, TCB status, reportData binding, measurement allowlist.</p>
      {records.length === 0 ? <p className="muted">No runner has been checked yet.</p> : null}
      <ul className="tee-records" aria-label="TEE check results">
        {records.map((r) => (
          <TeeRecordItem key={r.runnerId} r={r} />
        ))}
      </ul>
      {open ? <TeeCheckForm onDone={() => setOpen(false)} /> : null}
    </Card>
  );
}

function TeeRecordItem({ r }: { r: TeeRecord }) {
  return (
    <li aria-label={`Runner ${r.runnerId}`}>
      <div className="tee-record-head">
        <strong>{r.runnerId}</strong> {r.ok ? <span className="badge badge-accent">trusted</span> : <span className="badge">refused</span>}
        <span className="muted">
          TCB {r.tcbStatus} · checked {r.at.replace('T', ' ').slice(0, 19)}
          {r.collateral?.nextUpdate ? ` · collateral until ${r.collateral.nextUpdate.slice(0, 10)}` : ''}
        </span>
      </div>
      <ul className="tee-checks">
        {r.checks
          .filter((c) => c.outcome !== 'skipped' || c.message.startsWith('not reached'))
          .map((c) => (
            <li key={c.name} className={c.outcome === 'failed' ? 'help-bad' : undefined}>
              {c.outcome === 'passed' ? '✓' : c.outcome === 'failed' ? '✗' : '–'} <span className="mono">{c.name}</span>: {c.outcome} — {c.message}
            </li>
          ))}
      </ul>
    </li>
  );
}

async function fileBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function TeeCheckForm({ onDone }: { onDone: () => void }) {
  const ids = { runner: useId(), quote: useId(), collateral: useId(), at: useId(), mrTd: useId() };
  const [runnerId, setRunnerId] = useState('');
  const [quote, setQuote] = useState<File | null>(null);
  const [collateral, setCollateral] = useState<File | null>(null);
  const [at, setAt] = useState('');
  const [mrTd, setMrTd] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!quote) return;
    setBusy(true);
    setError(null);
    try {
      const collateralJson = collateral ? (JSON.parse(await collateral.text()) as Record<string, unknown>) : undefined;
      await rpc().invoke('runtime.checkTee', {
        runnerId,
        quoteB64: await fileBase64(quote),
        ...(collateralJson ? { collateral: collateralJson } : {}),
        ...(at ? { at: new Date(`${at}Z`).toISOString() } : {}),
        ...(mrTd.trim() ? { mrTd: [mrTd.trim()] } : {}),
      });
      await refreshRuntime();
      onDone();
    } catch (err) {
      setError(err instanceof SyntaxError ? 'The collateral file is not JSON.' : errorText(err));
      useStore.getState().pushToast('error', 'The attestation could not be checked.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" aria-label="Check an attestation" onSubmit={(e) => void submit(e)}>
      <div className="field">
        <label htmlFor={ids.runner}>Runner</label>
        <input id={ids.runner} type="text" value={runnerId} onChange={(e) => setRunnerId(e.target.value)} required maxLength={200} />
      </div>
      <div className="field">
        <label htmlFor={ids.quote}>Quote file</label>
        <input id={ids.quote} type="file" onChange={(e) => setQuote(e.target.files?.[0] ?? null)} required />
      </div>
      <div className="field">
        <label htmlFor={ids.collateral}>Collateral file (optional)</label>
        <input id={ids.collateral} type="file" accept=".json,application/json" onChange={(e) => setCollateral(e.target.files?.[0] ?? null)} aria-describedby={`${ids.collateral}-help`} />
        <p id={`${ids.collateral}-help`} className="help">
          Without it, Minerva fetches collateral from the PCCS (cached until its next update).
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.at}>Check as of (UTC, optional)</label>
        <input id={ids.at} type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} aria-describedby={`${ids.at}-help`} />
        <p id={`${ids.at}-help`} className="help">
          A check as of a past time is shown but never lets a runner get work.
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.mrTd}>Allowed mrTd (hex, optional)</label>
        <input id={ids.mrTd} type="text" className="mono" value={mrTd} onChange={(e) => setMrTd(e.target.value)} pattern="(0x)?[0-9a-fA-F]{96}" />
      </div>
      {error ? (
        <p className="help help-bad" role="alert">
          {error}
        </p>
      ) : null}
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={busy || !quote}>
          Check
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
