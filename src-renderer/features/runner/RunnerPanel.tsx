import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { RunnerAuthPolicy, RunnerCallView, RunnerView } from '@shared/contract/runner';
import { renewCertificate, rotateHotkey, setListen, setPolicy } from './runner-actions';
import { useRunnerStore } from './runner-store';
import { isLoopback, ms, POLICY_WORDS, REFUSAL_ORDER, REFUSAL_WORDS, STATE_WORDS, when } from './runner-words';
import { RunnerModeCard } from './RunnerModeCard';
import { ScoresChart } from './ScoresChart';
import { ScrollRegion } from '../../components/ScrollRegion';
import { Glossed, Term } from '../../components/Term';

/** A card whose heading id is unique on the page (two runners both have a "Certificate" card). */
export function Panel({ title, actions, children, className }: { title: string; actions?: ReactNode; children: ReactNode; className?: string }) {
  const id = useId();
  return (
    <section className={`card${className ? ` ${className}` : ''}`} aria-labelledby={id}>
      <div className="card-head">
        <h3 id={id} className="runner-card-title">
          {title}
        </h3>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Everything about one runner: enrolment, address, certificate, identity, policy, calls, predictions. */
export function RunnerPanel({ runner, title, practice }: { runner: RunnerView; title: string; practice: boolean }) {
  const headingId = useId();
  return (
    <section className="runner-panel" aria-labelledby={headingId}>
      <h2 id={headingId} className="runner-title">
        {title} <span className="muted runner-model">model {runner.modelId}</span>
        <span className={`badge runner-state runner-state-${runner.state}`}>{STATE_WORDS[runner.state]}</span>
      </h2>
      <div className="page-grid">
        <EnrolmentCard runner={runner} />
        <ListenCard runner={runner} practice={practice} />
        <CertificateCard runner={runner} />
        <IdentityCard runner={runner} />
        <PolicyCard runner={runner} />
        <RunnerModeCard runner={runner} />
      </div>
      <div className="runner-wide">
        <CallsCard runner={runner} />
        <PredictionsCard runner={runner} />
      </div>
    </section>
  );
}

function EnrolmentCard({ runner }: { runner: RunnerView }) {
  return (
    <Panel title="Enrolment">
      <p className="runner-detail" role="status">
        {runner.detail}
      </p>
      {runner.error ? (
        <p className="help help-bad" role="alert">
          {runner.error.message}
        </p>
      ) : null}
      <ol className="step-list" aria-label="Enrolment steps">
        {runner.steps.map((s) => (
          <li key={s.id} className={`step step-${s.state === 'running' ? 'active' : s.state}`}>
            <span className="step-mark" aria-hidden="true">
              {s.state === 'done' ? '✓' : s.state === 'failed' ? '✗' : s.state === 'running' ? '…' : '○'}
            </span>
            <span>
              <span className="step-label">
                {s.label}
                <span className="visually-hidden">: {s.state}</span>
              </span>
              {s.detail ? <span className="step-detail">{s.detail}</span> : null}
            </span>
          </li>
        ))}
      </ol>
    </Panel>
  );
}

function ListenCard({ runner, practice }: { runner: RunnerView; practice: boolean }) {
  const [editing, setEditing] = useState(false);
  const address = runner.listen.port === null ? `${runner.listen.host} (port not chosen yet)` : `${runner.listen.host.includes(':') ? `[${runner.listen.host}]` : runner.listen.host}:${runner.listen.port}`;
  return (
    <Panel
      title="Listening address"
      actions={
        editing ? null : (
          <button type="button" className="button button-quiet" onClick={() => setEditing(true)}>
            Change…
          </button>
        )
      }
    >
      <p>
        <span className="mono runner-address" aria-label="Listening at">
          {address}
        </span>
      </p>
      {runner.listen.beyondLoopback ? (
        <div className="banner banner-danger runner-inline-banner" role="alert">
          <strong>Reachable from other machines.</strong> The runner accepts connections beyond this computer. Every call still needs a certificate from the network and passes
          the coordinator authentication below, but anyone who can reach this address can try. Go back to 127.0.0.1 unless a coordinator elsewhere must reach it.
        </div>
      ) : (
        <p className="help">Only programs on this computer can reach it (loopback).</p>
      )}
      {editing ? <ListenForm runner={runner} practice={practice} onDone={() => setEditing(false)} /> : null}
    </Panel>
  );
}

function ListenForm({ runner, practice, onDone }: { runner: RunnerView; practice: boolean; onDone: () => void }) {
  const ids = { host: useId(), port: useId(), ack: useId(), help: useId() };
  const [host, setHost] = useState(runner.listen.host);
  const [port, setPort] = useState(runner.listen.port === null ? '' : String(runner.listen.port));
  const [ack, setAck] = useState(false);
  const [busy, setBusy] = useState(false);
  const beyond = host.trim() !== '' && !isLoopback(host);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const ok = await setListen({ competitionId: runner.competitionId, host: host.trim(), ...(port.trim() ? { port: Number(port) } : {}), acknowledgeRisk: beyond && ack });
    setBusy(false);
    if (ok) onDone();
  };
  return (
    <form className="inline-form" aria-label="Change the listening address" onSubmit={(e) => void submit(e)}>
      <fieldset className="runner-fieldset" disabled={practice || busy} aria-describedby={ids.help}>
        {practice ? (
          <p id={ids.help} className="note">
            On the practice network the runner stays on 127.0.0.1: the practice coordinator runs on this computer, so nothing else needs to reach it.
          </p>
        ) : (
          <p id={ids.help} className="help">
            127.0.0.1 keeps the runner on this computer. An address of this computer that others reach (not a wildcard like 0.0.0.0: coordinators are told this
            address) lets coordinators elsewhere connect — and anyone else try.
          </p>
        )}
        <div className="form-row">
          <div className="field">
            <label htmlFor={ids.host}>Host</label>
            <input id={ids.host} type="text" className="mono" value={host} onChange={(e) => setHost(e.target.value)} required maxLength={255} autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor={ids.port}>Port</label>
            <input id={ids.port} type="number" min={0} max={65535} value={port} onChange={(e) => setPort(e.target.value)} placeholder="any free" />
          </div>
        </div>
        {beyond ? (
          <div className="field field-check">
            <input id={ids.ack} type="checkbox" checked={ack} onChange={(e) => setAck(e.target.checked)} />
            <label htmlFor={ids.ack}>I understand that other machines can reach the runner at this address</label>
          </div>
        ) : null}
      </fieldset>
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={practice || busy || (beyond && !ack)}>
          Listen here
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          {practice ? 'Close' : 'Cancel'}
        </button>
      </div>
    </form>
  );
}

function CertificateCard({ runner }: { runner: RunnerView }) {
  const [busy, setBusy] = useState(false);
  const cert = runner.certificate;
  return (
    <Panel
      title="Certificate"
      actions={
        <button
          type="button"
          className="button button-quiet"
          disabled={busy || cert === null}
          onClick={() => {
            setBusy(true);
            void renewCertificate(runner.competitionId).finally(() => setBusy(false));
          }}
        >
          {busy ? 'Renewing…' : 'Renew now'}
        </button>
      }
    >
      {cert ? (
        <dl className="facts runner-facts" aria-label="Certificate details">
          <dt>
            Name (<Term id="san" />)
          </dt>
          <dd className="mono">{cert.san}</dd>
          <dt>Valid</dt>
          <dd>
            {when(cert.notBefore)} → {when(cert.notAfter)}
          </dd>
          <dt>Renews on</dt>
          <dd>{when(cert.renewAt)}</dd>
          <dt>Fingerprint</dt>
          <dd className="mono runner-hash" title="SHA-256 of the certificate (DER): changes with every renewal">
            {cert.sha256}
          </dd>
        </dl>
      ) : (
        <p className="muted">No certificate yet: the enrolment asks the network&apos;s certificate service for one.</p>
      )}
      <p className="help">Issued by {runner.networkDomain}&apos;s certificate authority. Minerva renews it before it expires.</p>
    </Panel>
  );
}

function IdentityCard({ runner }: { runner: RunnerView }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const hotkey = runner.smpHotkey;
  const confirm = async () => {
    dialog.current?.close();
    setBusy(true);
    await rotateHotkey(runner.competitionId);
    setBusy(false);
  };
  return (
    <Panel
      title="Runner identity"
      actions={
        <button type="button" className="button button-quiet" disabled={busy || hotkey === null} onClick={() => dialog.current?.showModal()}>
          {busy ? 'Rotating…' : 'Rotate SMP hotkey'}
        </button>
      }
    >
      <dl className="facts runner-facts" aria-label="Runner identity">
        <dt>Runner wallet</dt>
        <dd className="mono">{runner.wallet ?? '—'}</dd>
        <dt>SMP hotkey</dt>
        <dd>
          {hotkey ? (
            <>
              <span className="mono">{hotkey.address}</span> <span className="badge">index {hotkey.index}</span>
            </>
          ) : (
            '—'
          )}
        </dd>
        <dt>Model id</dt>
        <dd className="mono">{runner.modelId}</dd>
      </dl>
      <p className="help">Coordinators check every answer against these keys on chain.</p>
      <dialog ref={dialog} className="runner-dialog" aria-labelledby={titleId}>
        <h3 id={titleId}>Rotate the SMP hotkey?</h3>
        <p>
          The runner moves from hotkey index {hotkey?.index ?? '—'} to the next one, signs a new runner message with its wallet and records the new hotkey on chain. Calls already in
          flight finish.
        </p>
        <p className="note">
          A coordinator that still holds the old binding will refuse this runner&apos;s answers until it reads the new hotkey from the chain (coordinators re-read it at least
          every 5 minutes). Rotate when the old hotkey may have leaked.
        </p>
        <div className="form-row">
          <button type="button" className="button button-primary" onClick={() => void confirm()}>
            Rotate now
          </button>
          <button type="button" className="button button-quiet" onClick={() => dialog.current?.close()} autoFocus>
            Keep the current hotkey
          </button>
        </div>
      </dialog>
    </Panel>
  );
}

function PolicyCard({ runner }: { runner: RunnerView }) {
  const name = useId();
  // A choice is applied with the button, not on selection: arrow keys move through a radio group,
  // and a security setting must not change on the way to another option.
  const [choice, setChoice] = useState<RunnerAuthPolicy | null>(null);
  const [busy, setBusy] = useState(false);
  const selected = choice ?? runner.policy;
  const apply = async (event: FormEvent) => {
    event.preventDefault();
    if (selected === runner.policy) return;
    setBusy(true);
    if (await setPolicy(runner.competitionId, selected)) setChoice(null);
    setBusy(false);
  };
  return (
    <Panel title="Coordinator authentication">
      <form aria-label="Coordinator authentication policy" onSubmit={(e) => void apply(e)}>
        <fieldset className="runner-fieldset" disabled={busy}>
          <legend className="help">How each coordinator call is checked before it reaches the model.</legend>
          {runner.mode === 'gateway' ? (
            <p className="note">In gateway mode this policy waits: every call is checked by its signed gateway token instead (see Connection mode). It applies again in mutual TLS.</p>
          ) : null}
          <RadioChoices name={name} words={POLICY_WORDS} selected={selected} inUse={runner.policy} onChoose={setChoice} />
          <div className="form-row">
            <button type="submit" className="button button-primary" disabled={selected === runner.policy}>
              {busy ? 'Applying…' : 'Use this policy'}
            </button>
            {selected !== runner.policy ? (
              <button type="button" className="button button-quiet" onClick={() => setChoice(null)}>
                Keep {POLICY_WORDS[runner.policy].label.toLowerCase()}
              </button>
            ) : null}
          </div>
        </fieldset>
      </form>
    </Panel>
  );
}

function CallsCard({ runner }: { runner: RunnerView }) {
  const calls = useRunnerStore((s) => s.calls[runner.competitionId]);
  const c = runner.calls;
  const reasons = REFUSAL_ORDER.filter((r) => (c.refusedByReason[r] ?? 0) > 0);
  return (
    <Panel title="Coordinator calls">
      <div className="runner-figures" aria-label="Call figures">
        <Figure label="Accepted" value={String(c.accepted)} tone="ok" />
        <Figure label="Refused" value={String(c.refused)} tone={c.refused > 0 ? 'bad' : undefined} />
        <Figure label="Latency p50" value={ms(c.p50Ms)} />
        <Figure label="Latency p99" value={ms(c.p99Ms)} />
        <Figure label="Last call" value={c.lastCallAt ? when(c.lastCallAt) : '—'} />
      </div>
      {reasons.length > 0 ? (
        <ul className="check-list runner-reasons" aria-label="Refused calls by reason">
          {reasons.map((r) => (
            <li key={r}>
              <span className="dot dot-bad" aria-hidden="true" />
              <span>
                <strong>{c.refusedByReason[r]}×</strong> {REFUSAL_WORDS[r]} <span className="mono muted">({r})</span>
              </span>
            </li>
          ))}
        </ul>
      ) : c.accepted + c.refused > 0 ? (
        <p className="help">No call has been refused.</p>
      ) : (
        <p className="muted">No coordinator has called yet. Once the runner serves, the coordinator connects and starts its rounds.</p>
      )}
      {calls && calls.length > 0 ? <CallsTable calls={calls.slice(0, 20)} /> : null}
    </Panel>
  );
}

function Figure({ label, value, tone }: { label: string; value: string; tone?: 'ok' | 'bad' | undefined }) {
  return (
    <div className="runner-figure">
      <span className="runner-figure-label">
        <Glossed text={label} />
      </span>
      <span className={`runner-figure-value${tone ? ` runner-figure-${tone}` : ''}`}>{value}</span>
    </div>
  );
}

function CallsTable({ calls }: { calls: RunnerCallView[] }) {
  return (
    <ScrollRegion className="runner-table-wrap" label="Recent calls, newest first">
      <table className="table runner-calls">
        <caption className="visually-hidden">Recent coordinator calls, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Call</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num">
              Took
            </th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => (
            <tr key={call.id} className={call.outcome === 'refused' ? 'runner-refused' : undefined}>
              <td className="runner-nowrap">{when(call.at)}</td>
              <td className="mono runner-nowrap">{call.method}</td>
              <td>
                {call.outcome === 'accepted' ? (
                  <>Accepted{call.status && call.status !== 'SUCCESS' ? ` — ${call.status}` : ''}</>
                ) : (
                  <span title={call.reason ? REFUSAL_WORDS[call.reason] : undefined}>Refused{call.reason ? `: ${REFUSAL_WORDS[call.reason]}` : ''}</span>
                )}
              </td>
              <td className="num runner-nowrap">{ms(call.ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function PredictionsCard({ runner }: { runner: RunnerView }) {
  const predictions = runner.predictions;
  // Oldest first (core lists newest first), so the chart reads left to right.
  const scored = predictions.filter((p) => p.score !== null).sort((a, b) => a.at.localeCompare(b.at) || (a.tick ?? 0) - (b.tick ?? 0));
  const mean = scored.length > 0 ? scored.reduce((a, p) => a + (p.score ?? 0), 0) / scored.length : null;
  const latest = [...predictions].sort((a, b) => b.at.localeCompare(a.at)).slice(0, 10);
  // A round the coordinator runs before this runner listens reaches nothing and scores 0 for the model: say so.
  const notListening = runner.state !== 'serving';
  return (
    <Panel title="Predictions and scores">
      {notListening || runner.calls.accepted === 0 ? (
        <p className="help help-warn" role="note" aria-label="Rounds before the runner listens">
          {notListening
            ? `Not listening yet (${STATE_WORDS[runner.state].toLowerCase()}): a round the coordinator runs now reaches nothing and scores 0 for model ${runner.modelId}. Scores start with the first round after the runner listens.`
            : `Listening, no coordinator call yet. A round that ran before the runner listened scored 0 for model ${runner.modelId}; the next round is scored normally.`}
        </p>
      ) : null}
      {predictions.length === 0 ? (
        <p className="muted">No prediction yet. Each round the coordinator calls tick, then predict; it scores a prediction once it reveals the truth.</p>
      ) : (
        <>
          <p>
            <strong>{predictions.length}</strong> prediction{predictions.length === 1 ? '' : 's'}, <strong>{scored.length}</strong> scored
            {mean !== null ? (
              <>
                {' '}
                — mean score <strong>{mean.toFixed(3)}</strong>
              </>
            ) : null}
            .
          </p>
          {scored.length > 0 ? <ScoresChart predictions={scored.slice(-40)} summary={`Scores of the last ${Math.min(40, scored.length)} scored predictions; mean ${mean?.toFixed(3) ?? '—'}.`} /> : null}
          <ScrollRegion className="runner-table-wrap" label="Latest predictions, newest first">
            <table className="table" aria-label="Latest predictions">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col" className="num">
                    Tick
                  </th>
                  <th scope="col" className="num">
                    Prediction
                  </th>
                  <th scope="col" className="num">
                    Score
                  </th>
                </tr>
              </thead>
              <tbody>
                {latest.map((p, i) => (
                  <tr key={`${p.at}-${i}`}>
                    <td>{when(p.at)}</td>
                    <td className="num">{p.tick ?? '—'}</td>
                    <td className="num">{p.value === null ? '—' : p.value.toPrecision(6)}</td>
                    <td className="num">{p.score === null ? <span className="muted">waiting for the truth</span> : p.score.toFixed(4)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </>
      )}
      <p className="help">
        Rewards for this competition arrive on the <a href="#/rewards">Rewards</a> page.
      </p>
    </Panel>
  );
}

/** The runner's radio lists (policy, connection mode): each choice with its help text and an "in use" badge. */
export function RadioChoices<K extends string>(props: {
  name: string;
  words: Record<K, { label: string; help: string }>;
  selected: K;
  inUse: K;
  onChoose: (choice: K) => void;
}): ReactNode {
  const { name, words, selected, inUse, onChoose } = props;
  return (Object.keys(words) as K[]).map((k) => (
    <div key={k} className="field field-check runner-policy">
      <input id={`${name}-${k}`} type="radio" name={name} value={k} checked={selected === k} onChange={() => onChoose(k)} aria-describedby={`${name}-${k}-help`} />
      <label htmlFor={`${name}-${k}`}>
        {words[k].label}
        {k === inUse ? <span className="badge runner-current">in use</span> : null}
      </label>
      <p id={`${name}-${k}-help`} className="help">
        {words[k].help}
      </p>
    </div>
  ));
}
