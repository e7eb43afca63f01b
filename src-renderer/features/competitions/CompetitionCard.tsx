import { useEffect, useRef } from 'react';
import { useVaultStore } from '../vault/vault-store';
import type { CompetitionKind, CompetitionView, MembershipView } from '@shared/contract/competitions';
import { membershipAction } from '../../store/actions';
import { formatBlocks } from '@shared/format/time';
import { Glossed } from '../../components/Term';
import { useStore } from '../../store/store';

export const KIND_LABEL: Record<CompetitionKind, string> = {
  'private-inference': 'Private inference',
  'model-runner': 'Model runner',
  checkpoint: 'Checkpoints',
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
              {s.detail ? <span className="step-detail">{s.detail}</span> : null}
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
