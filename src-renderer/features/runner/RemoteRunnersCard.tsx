import { useId, useState, type FormEvent } from 'react';
import type { CompetitionView } from '@shared/contract/competitions';
import type { RemoteRunnerView } from '@shared/contract/runner';
import type { TeeRecord } from '@shared/contract/runtime';
import { errorText, toastError } from '../../store/actions';
import { addRemote } from './runner-actions';
import { useRunnerStore } from './runner-store';
import { TEE_CHECK_WORDS, when } from './runner-words';
import { Panel } from './RunnerPanel';

/**
 * TEE-hosted runners (issue 9 item 8): runners the miner deployed elsewhere, in a TDX confidential
 * VM. Each is registered only after its attestation passes every check (PROTOCOLS §6); the
 * result is shown check by check.
 */
export function RemoteRunnersCard({ competitions }: { competitions: CompetitionView[] }) {
  const remote = useRunnerStore((s) => s.remote);
  const [open, setOpen] = useState(false);
  return (
    <Panel
      title="TEE-hosted runners"
      actions={
        open ? null : (
          <button type="button" className="button button-quiet" onClick={() => setOpen(true)}>
            Add a TEE-hosted runner
          </button>
        )
      }
    >
      <p className="help">
        A runner you deployed elsewhere inside an Intel TDX confidential VM. Minerva checks its attestation — quote and collateral, TCB status, measurement allowlist — and registers it
        only if every check passes.
      </p>
      <p className="help">
        Registering names its address on chain for the competition, with your runner wallet: the coordinator then calls it instead of the runner on this computer.
      </p>
      {remote.length === 0 && !open ? <p className="muted">No TEE-hosted runner yet.</p> : null}
      {remote.length > 0 ? (
        <ul className="tee-records runner-remote-list" aria-label="TEE-hosted runners">
          {remote.map((r) => (
            <RemoteItem key={r.id} r={r} title={competitions.find((c) => c.id === r.competitionId)?.title ?? r.competitionId} />
          ))}
        </ul>
      ) : null}
      {open ? <AddRemoteForm competitions={competitions} onDone={() => setOpen(false)} /> : null}
    </Panel>
  );
}

function RemoteItem({ r, title }: { r: RemoteRunnerView; title: string }) {
  return (
    <li aria-label={`Runner at ${r.address}`}>
      <div className="tee-record-head">
        <strong className="mono">{r.address}</strong>
        {r.registered ? <span className="badge badge-accent">registered</span> : <span className="badge runner-badge-bad">{r.tee.ok ? 'not registered' : 'refused'}</span>}
        <span className="muted">
          {title} · TCB {r.tee.tcbStatus} · checked {when(r.tee.at)}
        </span>
      </div>
      <TeeCheckList record={r.tee} />
    </li>
  );
}

export function TeeCheckList({ record }: { record: TeeRecord }) {
  return (
    <ul className="tee-checks runner-tee-checks" aria-label="Attestation checks">
      {record.checks.map((c) => (
        <li key={c.name} className={c.outcome === 'failed' ? 'help-bad' : c.outcome === 'skipped' ? 'muted' : undefined}>
          <span aria-hidden="true">{c.outcome === 'passed' ? '✓' : c.outcome === 'failed' ? '✗' : '–'} </span>
          <strong>{TEE_CHECK_WORDS[c.name]}</strong> <span className="mono">({c.name})</span>: {c.outcome === 'skipped' ? (c.message.startsWith('not reached') ? 'not reached' : 'not configured') : c.outcome}
          {c.outcome === 'skipped' && !c.message.startsWith('not reached') ? null : <span className="runner-check-message"> — {c.message.replace(/^not reached:\s*/, '')}</span>}
        </li>
      ))}
    </ul>
  );
}

export async function fileBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const HEX48 = /^(0x)?[0-9a-fA-F]{96}$/;

function AddRemoteForm({ competitions, onDone }: { competitions: CompetitionView[]; onDone: () => void }) {
  const ids = { competition: useId(), address: useId(), quote: useId(), paste: useId(), collateral: useId(), at: useId(), mrTd: useId(), reportData: useId(), sw: useId(), result: useId() };
  const [competitionId, setCompetitionId] = useState(competitions[0]?.id ?? '');
  const [address, setAddress] = useState('');
  const [quoteFile, setQuoteFile] = useState<File | null>(null);
  const [quoteText, setQuoteText] = useState('');
  const [collateral, setCollateral] = useState<File | null>(null);
  const [at, setAt] = useState('');
  const [mrTd, setMrTd] = useState('');
  const [reportData, setReportData] = useState('');
  const [allowSw, setAllowSw] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<RemoteRunnerView | null>(null);
  const pins = mrTd.split(/[\s,]+/).filter(Boolean);
  const badPin = pins.find((p) => !HEX48.test(p));
  const binding = reportData.trim();
  const badBinding = binding !== '' && !/^(0x)?[0-9a-fA-F]{128}$/.test(binding);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    if (!quoteFile && !quoteText.trim()) {
      setError('Choose the quote file, or paste its base64 text.');
      return;
    }
    if (badBinding) {
      setError('The expected reportData is 64 bytes, written as 128 hex digits.');
      return;
    }
    if (badPin) {
      setError(`"${badPin.slice(0, 20)}…" is not an mrTd: each is 48 bytes, written as 96 hex digits.`);
      return;
    }
    setBusy(true);
    try {
      let collateralJson: Record<string, unknown> | undefined;
      if (collateral) {
        try {
          collateralJson = JSON.parse(await collateral.text()) as Record<string, unknown>;
        } catch {
          setError('The collateral file is not JSON. Use the collateral your PCCS returned for this quote, or leave it empty to fetch it.');
          return;
        }
      }
      const view = await addRemote({
        competitionId,
        address: address.trim(),
        quoteB64: quoteFile ? await fileBase64(quoteFile) : quoteText.replace(/\s+/g, ''),
        ...(collateralJson ? { collateral: collateralJson } : {}),
        ...(at ? { at: new Date(at).toISOString() } : {}),
        ...(pins.length > 0 ? { mrTd: pins } : {}),
        ...(binding ? { expectedReportData: binding } : {}),
        allowSwHardening: allowSw,
      });
      setResult(view);
    } catch (err) {
      setError(errorText(err));
      toastError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form runner-remote-form" aria-label="Add a TEE-hosted runner" onSubmit={(e) => void submit(e)}>
      <div className="field">
        <label htmlFor={ids.competition}>Competition</label>
        <select id={ids.competition} value={competitionId} onChange={(e) => setCompetitionId(e.target.value)} required>
          {competitions.map((c) => (
            <option key={c.id} value={c.id}>
              {c.title}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.address}>Runner address</label>
        <input
          id={ids.address}
          type="text"
          className="mono"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          required
          maxLength={300}
          placeholder="runner.example.org:50051"
          autoComplete="off"
          aria-describedby={`${ids.address}-help`}
        />
        <p id={`${ids.address}-help`} className="help">
          Where the runner serves gRPC, as host:port.
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.quote}>Quote file</label>
        <input id={ids.quote} type="file" onChange={(e) => setQuoteFile(e.target.files?.[0] ?? null)} />
      </div>
      <div className="field">
        <label htmlFor={ids.paste}>…or the quote as base64</label>
        <textarea id={ids.paste} className="mono runner-textarea" rows={3} value={quoteText} onChange={(e) => setQuoteText(e.target.value)} disabled={quoteFile !== null} spellCheck={false} />
      </div>
      <details className="rules">
        <summary>Collateral, check time and measurement allowlist (optional)</summary>
        <div className="field">
          <label htmlFor={ids.collateral}>Collateral JSON</label>
          <input id={ids.collateral} type="file" accept=".json,application/json" onChange={(e) => setCollateral(e.target.files?.[0] ?? null)} aria-describedby={`${ids.collateral}-help`} />
          <p id={`${ids.collateral}-help`} className="help">
            Leave empty to fetch it from Intel&apos;s collateral service (PCCS). Give it to check offline.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.at}>Check as of</label>
          <input id={ids.at} type="datetime-local" step={1} value={at} onChange={(e) => setAt(e.target.value)} aria-describedby={`${ids.at}-help`} />
          <p id={`${ids.at}-help`} className="help">
            Leave empty for now. A time inside an offline collateral&apos;s validity checks against that collateral; the record is dated then.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.mrTd}>Allowed mrTd values</label>
          <textarea id={ids.mrTd} className="mono runner-textarea" rows={2} value={mrTd} onChange={(e) => setMrTd(e.target.value)} spellCheck={false} aria-describedby={`${ids.mrTd}-help`} />
          <p id={`${ids.mrTd}-help`} className={badPin ? 'help help-bad' : 'help'}>
            One per line, 96 hex digits each: the measurement of the VM image you deployed. Empty: any image.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.reportData}>Expected reportData</label>
          <input
            id={ids.reportData}
            className="mono"
            value={reportData}
            onChange={(e) => setReportData(e.target.value)}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={`${ids.reportData}-help`}
          />
          <p id={`${ids.reportData}-help`} className={badBinding ? 'help help-bad' : 'help'}>
            128 hex digits: sha512 of the runner key your deployment binds (dstack: &quot;ratls-cert:&quot; + its TLS key). Empty: not checked.
          </p>
        </div>
        <div className="field field-check">
          <input id={ids.sw} type="checkbox" checked={allowSw} onChange={(e) => setAllowSw(e.target.checked)} />
          <label htmlFor={ids.sw}>Also accept TCB status SWHardeningNeeded</label>
        </div>
      </details>
      {error ? (
        <p className="help help-bad" role="alert">
          {error}
        </p>
      ) : null}
      <div role="status" aria-live="polite" id={ids.result}>
        {result ? (
          <div className={`runner-remote-result ${result.registered ? 'runner-remote-ok' : 'runner-remote-bad'}`}>
            <p>
              <strong>
                {result.registered
                  ? `Every check passed: the runner at ${result.address} is registered.`
                  : `Not registered: ${result.tee.checks
                      .filter((c) => c.outcome === 'failed')
                      .map((c) => TEE_CHECK_WORDS[c.name])
                      .join(', ')} failed.`}
              </strong>
            </p>
            <TeeCheckList record={result.tee} />
          </div>
        ) : null}
      </div>
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={busy || competitions.length === 0}>
          {busy ? 'Checking…' : 'Check and register'}
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          {result ? 'Close' : 'Cancel'}
        </button>
      </div>
    </form>
  );
}
