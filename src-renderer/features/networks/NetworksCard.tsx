import { useId, useState, type FormEvent } from 'react';
import { useStore } from '../../store/store';
import { addNetwork, removeNetwork, selectNetwork } from '../../store/actions';
import { Card } from '../../components/Card';

/** Network profiles: the practice network (default) and networks added by their endpoints. */
export function NetworksCard() {
  const view = useStore((s) => s.networks);
  const [adding, setAdding] = useState(false);
  if (!view) return null;
  return (
    <Card
      title="Networks"
      actions={
        adding ? null : (
          <button type="button" className="button button-quiet" onClick={() => setAdding(true)}>
            Add a network
          </button>
        )
      }
    >
      <ul className="profile-list" aria-label="Networks">
        {view.profiles.map((p) => {
          const inUse = p.id === view.selectedId;
          return (
            <li key={p.id} className="profile">
              <div className="profile-main">
                <div className="profile-name">
                  {p.name} {inUse ? <span className="badge badge-accent">in use</span> : null}
                </div>
                <div className="profile-urls muted">
                  {p.kind === 'practice' ? view.practice.detail : `chain ${p.chainUrl ?? '?'} · hub ${p.hubUrl ?? '?'}`}
                </div>
              </div>
              {inUse ? null : (
                <button type="button" className="button" onClick={() => void selectNetwork(p.id, p.name)} aria-label={`Switch to ${p.name}`}>
                  Switch
                </button>
              )}
              {p.builtin || inUse ? null : (
                <button type="button" className="button button-quiet" onClick={() => void removeNetwork(p.id, p.name)} aria-label={`Remove ${p.name}`}>
                  Remove
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {adding ? <AddNetworkForm onDone={() => setAdding(false)} /> : null}
    </Card>
  );
}

function AddNetworkForm({ onDone }: { onDone: () => void }) {
  const ids = { name: useId(), chain: useId(), hub: useId() };
  const [name, setName] = useState('');
  const [chainUrl, setChainUrl] = useState('https://');
  const [hubUrl, setHubUrl] = useState('https://');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const ok = await addNetwork({ name, chainUrl, hubUrl });
    setBusy(false);
    if (ok) onDone();
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Add a network">
      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <input id={ids.name} type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} />
      </div>
      <div className="field">
        <label htmlFor={ids.chain}>Chain endpoint</label>
        <input id={ids.chain} type="text" inputMode="url" value={chainUrl} onChange={(e) => setChainUrl(e.target.value)} required aria-describedby={`${ids.chain}-help`} />
        <p id={`${ids.chain}-help`} className="help">
          https:// address; http:// only for 127.0.0.1 or localhost.
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.hub}>Hub endpoint</label>
        <input id={ids.hub} type="text" inputMode="url" value={hubUrl} onChange={(e) => setHubUrl(e.target.value)} required />
      </div>
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add network'}
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
