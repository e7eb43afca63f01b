import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useVaultStore } from '../vault/vault-store';
import type { ChallengeSubmissionView, CompetitionKind, CompetitionView, MembershipView } from '@shared/contract/competitions';
import { errorText, membershipAction } from '../../store/actions';
import { rpc } from '../../rpc';
import { FormError } from '../../components/FormError';
import { formatBlocks, formatClock } from '@shared/format/time';
import { Glossed } from '../../components/Term';
import { useStore } from '../../store/store';
import { submissionVerdict } from './submission-words';

export const KIND_LABEL: Record<CompetitionKind, string> = {
  'private-inference': 'Private inference',
  'model-runner': 'Model runner',
  checkpoint: 'Checkpoints',
  challenge: 'Platform challenge',
};

const STEP_MARK: Record<string, string> = { pending: '○', active: '◔', done: '●', skipped: '●', failed: '✕' };

function shortDigest(digest: string): string {
  return digest.length > 24 ? `${digest.slice(0, 19)}…${digest.slice(-6)}` : digest;
}

export function CompetitionCard({ competition: c }: { competition: CompetitionView }) {
  const m = c.membership;
  const inFlight = m?.state === 'joining' || m?.state === 'leaving';
  const titleId = `competition-${c.id}`;
  const heading = useRef<HTMLHeadingElement>(null);
  const acted = useRef(false);
  // Join, Retry and Leave replace themselves with the next step: once the pressed button is gone,
  // the focus goes to this card's heading (its progress is read out) instead of falling to <body>.
  useEffect(() => {
    if (acted.current && (document.activeElement === document.body || document.activeElement === null)) {
      acted.current = false;
      heading.current?.focus();
    }
  });
  const act = (action: 'join' | 'leave' | 'retry') => {
    acted.current = true;
    void membershipAction(action, c.id);
  };
  const blockMs = useStore((st) => st.competitions.view?.blockMs ?? null);
  const onBittensor = useStore((st) => st.networks?.profiles.find((p) => p.id === st.networks?.selectedId)?.kind === 'bittensor');
  return (
    <article className="card competition" aria-labelledby={titleId}>
      <div className="card-head">
        <h2 id={titleId} ref={heading} tabIndex={-1}>
          {c.title}
        </h2>
        <span className={`badge kind-${c.kind}`}>{KIND_LABEL[c.kind]}</span>
      </div>
      <p className="competition-desc">{c.description}</p>
      <dl className="facts facts-compact">
        <dt>Rewards</dt>
        <dd>
          <Glossed text={withTime(c.rewards.summary, blockMs)} />
        </dd>
        <dt>Needs</dt>
        <dd>
          {[c.requirements.gpu ? `GPU: ${c.requirements.gpu}` : 'No GPU', c.requirements.memoryMiB ? `${Math.round(c.requirements.memoryMiB / 1024) || 1} GiB memory` : null]
            .filter(Boolean)
            .join(' · ')}
        </dd>
        {c.requirements.imageDigest ? (
          <>
            <dt>Model image</dt>
            <dd className="mono" title={c.requirements.imageDigest}>
              {shortDigest(c.requirements.imageDigest)}
            </dd>
          </>
        ) : null}
        <dt>Miners</dt>
        <dd>{c.participants ?? '—'}</dd>
      </dl>
      {c.rules.length > 0 ? (
        <details className="rules">
          <summary>Rules</summary>
          <ul>
            {c.rules.map((rule) => (
              <li key={rule}>
                <Glossed text={withTime(rule, blockMs)} />
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {m && m.state !== 'left' ? <MembershipProgress membership={m} title={c.title} /> : null}
      {onBittensor && m?.state === 'failed' && m.steps.some((st) => st.id === 'register' && st.state === 'failed') ? (
        // On Bittensor, registering is a paid step of its own (Settings → Bittensor, cost shown and asked): the way there.
        <p className="help">
          <a href="#/settings?show=bittensor">Register on subnet {c.netuid} in Settings → Bittensor</a>
        </p>
      ) : null}
      {c.kind === 'challenge' && m?.state === 'joined' ? <ChallengeSubmit competition={c} /> : null}
      {c.kind === 'challenge' && c.submissions.length > 0 ? <SubmissionList competition={c} /> : null}
      <div className="form-row competition-actions">
        {!m || m.state === 'left' ? (
          <button type="button" className="button button-primary" onClick={() => act('join')} aria-label={`Join ${c.title}`}>
            Join
          </button>
        ) : null}
        {m?.state === 'failed' ? (
          <button type="button" className="button button-primary" onClick={() => act('retry')} aria-label={`Retry ${c.title}`}>
            Retry
          </button>
        ) : null}
        {m?.state === 'joined' || (m?.state === 'failed' && m.steps.some((s) => s.id === 'leave')) ? (
          <button type="button" className="button" onClick={() => act('leave')} aria-label={`Leave ${c.title}`}>
            Leave
          </button>
        ) : null}
        {inFlight ? <span className="muted">{m.state === 'joining' ? 'Joining…' : 'Leaving…'}</span> : null}
      </div>
    </article>
  );
}

/** The public Platform hub's cap on a submission (docs/networks.md). */
const MAX_SUBMISSION_BYTES = 2_000_000;

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** A file sent to a joined Platform challenge, signed by the hotkey in core (the renderer never holds a key). */
function ChallengeSubmit({ competition: c }: { competition: CompetitionView }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<ChallengeSubmissionView | null>(null);
  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setError(null);
    setSent(null);
    if (file.size > MAX_SUBMISSION_BYTES) {
      setError(`${file.name} is ${file.size.toLocaleString('en-US')} bytes; the hub takes at most ${MAX_SUBMISSION_BYTES.toLocaleString('en-US')}.`);
      return;
    }
    setBusy(true);
    try {
      const contentBase64 = toBase64(new Uint8Array(await file.arrayBuffer()));
      setSent(await rpc().invoke('competitions.submit', { id: c.id, fileName: file.name, contentBase64, contentType: file.type || 'application/octet-stream' }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" aria-label={`Submit to ${c.title}`} onSubmit={(e) => void send(e)}>
      <div className="field">
        <label htmlFor={id}>File to submit</label>
        <input id={id} type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} disabled={busy} aria-describedby={`${id}-help`} />
        <p id={`${id}-help`} className="help">
          Signed by your hotkey and sent to the hub; at most 2 MB.
        </p>
      </div>
      <FormError error={error} />
      {sent ? (
        <p role="status" className="submission-ok">
          Accepted by the hub{sent.submissionId ? ` as ${sent.submissionId}` : ''}
          {sent.status ? ` (${sent.status})` : ''}: {sent.fileName}, {sent.bytes.toLocaleString('en-US')} bytes, SHA-256 <span className="mono">{sent.sha256.slice(0, 12)}…</span>
        </p>
      ) : (
        <p role="status" className="visually-hidden" />
      )}
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={busy || !file}>
          {busy ? 'Sending…' : 'Sign and submit'}
        </button>
      </div>
    </form>
  );
}

/** The challenge's submissions from this app, newest first, each with where its evaluation stands (core follows it). */
function SubmissionList({ competition: c }: { competition: CompetitionView }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const checkAgain = async (submissionId: string) => {
    setBusy(submissionId);
    setError(null);
    try {
      await rpc().invoke('competitions.checkSubmission', { id: c.id, submissionId });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="submissions" aria-labelledby={`${c.id}-submissions`}>
      <h3 id={`${c.id}-submissions`}>Your submissions</h3>
      {/* Only the newest verdict is read out as it changes, not each check's time. */}
      <p role="status" className="visually-hidden">
        {c.submissions[0] ? `${c.submissions[0].fileName}: ${submissionVerdict(c.submissions[0]).text}` : ''}
      </p>
      <ul className="submission-list">
        {c.submissions.map((s) => {
          const verdict = submissionVerdict(s);
          const key = s.submissionId ?? `${s.at}-${s.sha256}`;
          return (
            <li key={key} className="submission">
              <p className="submission-head">
                <span className="submission-file">{s.fileName}</span> <span className="muted">sent {formatClock(s.at)}</span>
              </p>
              <p className={`submission-verdict tone-${verdict.tone}`}>
                <span className={`dot dot-${verdict.tone}`} aria-hidden="true" /> {verdict.text}
              </p>
              {s.following === 'following' ? (
                <p className="help">
                  {s.status === null || s.status === 'pending' || s.status === 'running' || s.status === 'held' ? 'Not final yet: ' : ''}Minerva asks the hub again at {formatClock(s.nextCheckAt)}
                  {s.checkedAt ? ` (last answer ${formatClock(s.checkedAt)})` : ''}.
                </p>
              ) : s.following === 'done' ? (
                <p className="help">Final{s.checkedAt ? ` (the hub said so at ${formatClock(s.checkedAt)})` : ''}.</p>
              ) : null}
              {s.error ? <p className={s.following === 'stopped' ? 'help help-bad' : 'help help-warn'}>{s.error.message}</p> : null}
              {s.submissionId ? (
                <p className="help">
                  The challenge’s id for it: <span className="mono submission-id">{s.submissionId}</span>
                </p>
              ) : null}
              {s.following === 'stopped' && s.submissionId ? (
                <div className="form-row">
                  <button type="button" className="button" disabled={busy === s.submissionId} onClick={() => void checkAgain(s.submissionId as string)} aria-label={`Check ${s.fileName} again`}>
                    {busy === s.submissionId ? 'Asking…' : 'Check again'}
                  </button>
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
      <FormError error={error} />
    </section>
  );
}

function MembershipProgress({ membership: m, title }: { membership: MembershipView; title: string }) {
  // which of the wallet's keys it is (#index), and whether it is still the current one (issue 16)
  const identity = useVaultStore((st) => st.overview?.identities.find((i) => i.address === m.hotkey && (i.role === 'hotkey' || i.role === 'checkpoint-signer')));
  if (m.state === 'joined') {
    const index = identity?.index !== undefined ? ` #${identity.index}` : '';
    const label = !identity ? 'hotkey' : identity.role === 'hotkey' ? `hotkey${index}` : `hotkey (checkpoint signer${index})`;
    return (
      <p className="membership-ok" role="status">
        <span className={`dot ${identity && !identity.active ? 'dot-wait' : 'dot-ok'}`} aria-hidden="true" /> Joined with {label} <span className="mono">{m.hotkey.slice(0, 8)}…{m.hotkey.slice(-6)}</span>
        {identity && !identity.active ? <span className="help-warn"> (retired: it is joined again with your current hotkey)</span> : null}
      </p>
    );
  }
  return (
    <div className="membership" aria-live="polite">
      <ol className="step-list" aria-label={`${m.state === 'leaving' || m.steps.some((s) => s.id === 'leave') ? 'Leaving' : 'Joining'} ${title}`}>
        {m.steps.map((s) => (
          <li key={s.id} className={`step step-${s.state}`}>
            <span className="step-mark" aria-hidden="true">
              {STEP_MARK[s.state]}
            </span>
            <span>
              <span className="step-label">{s.label}</span>
              <span className="visually-hidden"> — {s.state}</span>
              {/* A failed step's words are the error below (an alert): said once, not twice. */}
              {s.detail && !(s.state === 'failed' && s.detail === m.error?.message) ? <span className="step-detail">{s.detail}</span> : null}
            </span>
          </li>
        ))}
      </ol>
      {m.error ? (
        <p className={m.state === 'failed' ? 'help help-bad' : 'help help-warn'} role={m.state === 'failed' ? 'alert' : undefined}>
          {m.error.message}
        </p>
      ) : null}
    </div>
  );
}

/** "… per epoch of 30 blocks" → "… per epoch of 30 blocks (about 1 min)": blocks said in time too. */
export function withTime(text: string, blockMs: number | null): string {
  return text.replace(/\b(\d+) blocks\b/gu, (_, n: string) => formatBlocks(Number(n), blockMs));
}
