import { useId, useState, type FormEvent } from 'react';
import type { RunnerMode, RunnerView } from '@shared/contract/runner';
import { errorText } from '../../store/actions';
import { fileBase64, TeeCheckList } from './RemoteRunnersCard';
import { setMode } from './runner-actions';
import { MODE_WORDS, when } from './runner-words';
import { Panel, RadioChoices } from './RunnerPanel';

/**
 * How coordinators reach the runner (issue 15): mutual TLS (default) or gateway mode, which is
 * allowed only after this computer's TDX quote passes the TEE check, and then carries a standing
 * warning. A choice is applied with the button (arrow keys move through a radio group).
 */
export function RunnerModeCard({ runner }: { runner: RunnerView }) {
  const name = useId();
  const ids = { quote: useId(), collateral: useId(), at: useId(), reportData: useId() };
  const [choice, setChoice] = useState<RunnerMode | null>(null);
  const [quote, setQuote] = useState<File | null>(null);
  const [collateral, setCollateral] = useState<File | null>(null);
  const [at, setAt] = useState('');
  const [reportData, setReportData] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const selected = choice ?? runner.mode;
  const needsTee = selected === 'gateway' && runner.mode !== 'gateway';

  const apply = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (selected === runner.mode) return;
    if (needsTee && !quote) {
      setError('Choose the TDX quote of this computer: gateway mode is allowed only after it passes the TEE check.');
      return;
    }
    setBusy(true);
    try {
      let tee: Parameters<typeof setMode>[0]['tee'];
      if (needsTee && quote) {
        let collateralJson: Record<string, unknown> | undefined;
        if (collateral) {
          try {
            collateralJson = JSON.parse(await collateral.text()) as Record<string, unknown>;
          } catch {
            setError('The collateral file is not JSON. Use the collateral your PCCS returned for this quote, or leave it empty to fetch it.');
            return;
          }
        }
        const binding = reportData.trim();
        tee = {
          quoteB64: await fileBase64(quote),
          ...(collateralJson ? { collateral: collateralJson } : {}),
          ...(at ? { at: new Date(at).toISOString() } : {}),
          ...(binding ? { expectedReportData: binding } : {}),
          allowSwHardening: false,
        };
      }
      await setMode({ competitionId: runner.competitionId, mode: selected, ...(tee ? { tee } : {}) });
      setChoice(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title="Connection mode">
      {runner.mode === 'gateway' ? (
        <div className="banner banner-danger runner-inline-banner" role="note" aria-label="Gateway mode warning">
          <strong>Gateway mode: no client certificate.</strong> Coordinators connect over TLS without proving who they are in the handshake; each call is accepted only with a token
          signed in the last 30 seconds, for this model, by a coordinator key registered on chain. Anyone who reaches the runner can try. Keep it only while the runner runs inside
          the confidential VM that passed the TEE check below, behind its gateway.
        </div>
      ) : null}
      {runner.mode === 'gateway' && runner.modeTee ? (
        <div className="runner-remote-result runner-remote-ok">
          <p>
            TEE check passed {when(runner.modeTee.at)} · TCB {runner.modeTee.tcbStatus}
          </p>
          <TeeCheckList record={runner.modeTee} />
        </div>
      ) : null}
      <form aria-label="Connection mode" onSubmit={(e) => void apply(e)}>
        <fieldset className="runner-fieldset" disabled={busy}>
          <legend className="help">How coordinators connect to this runner.</legend>
          <RadioChoices name={name} words={MODE_WORDS} selected={selected} inUse={runner.mode} onChoose={setChoice} />
          {needsTee ? (
            <div className="runner-mode-tee">
              <div className="field">
                <label htmlFor={ids.quote}>TDX quote of this computer</label>
                <input id={ids.quote} type="file" onChange={(e) => setQuote(e.target.files?.[0] ?? null)} aria-describedby={`${ids.quote}-help`} />
                <p id={`${ids.quote}-help`} className="help">
                  From the confidential VM this runner runs in (its attestation endpoint). Minerva checks it before it stops asking for client certificates.
                </p>
              </div>
              <div className="field">
                <label htmlFor={ids.collateral}>Collateral JSON (optional)</label>
                <input id={ids.collateral} type="file" accept=".json,application/json" onChange={(e) => setCollateral(e.target.files?.[0] ?? null)} />
              </div>
              <div className="field">
                <label htmlFor={ids.at}>Check as of (optional)</label>
                <input id={ids.at} type="datetime-local" step={1} value={at} onChange={(e) => setAt(e.target.value)} />
              </div>
              <div className="field">
                <label htmlFor={ids.reportData}>Expected reportData (optional)</label>
                <input id={ids.reportData} className="mono" value={reportData} onChange={(e) => setReportData(e.target.value)} spellCheck={false} autoComplete="off" />
              </div>
            </div>
          ) : null}
          {error ? (
            <p className="help help-bad" role="alert">
              {error}
            </p>
          ) : null}
          <div className="form-row">
            <button type="submit" className="button button-primary" disabled={selected === runner.mode}>
              {busy ? (needsTee ? 'Checking…' : 'Switching…') : needsTee ? 'Check and use gateway mode' : 'Use this mode'}
            </button>
            {selected !== runner.mode ? (
              <button type="button" className="button button-quiet" onClick={() => setChoice(null)}>
                Keep {MODE_WORDS[runner.mode].label.toLowerCase()}
              </button>
            ) : null}
          </div>
        </fieldset>
      </form>
    </Panel>
  );
}
