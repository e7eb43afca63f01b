import { useId, useState, type FormEvent } from 'react';
import { BITTENSOR_PRESETS, type BittensorPreset, type NetworkProfile } from '@shared/contract/networks';
import { useStore } from '../../store/store';
import { addBittensorNetwork, addNetwork, removeNetwork, selectNetwork } from '../../store/actions';
import { Card } from '../../components/Card';

/** Network profiles: the practice network (default) and networks added by their endpoints. */
export function NetworksCard() {
  const view = useStore((s) => s.networks);
  const [adding, setAdding] = useState<null | 'custom' | 'bittensor'>(null);
  if (!view) return null;
  return (
    <Card
      title="Networks"
      actions={
        adding ? null : (
          <>
            <button type="button" className="button button-quiet" onClick={() => setAdding('bittensor')}>
              Add a Bittensor network
            </button>
            <button type="button" className="button button-quiet" onClick={() => setAdding('custom')}>
              Add a network
            </button>
          </>
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
                  {p.kind === 'practice' ? view.practice.detail : p.kind === 'bittensor' ? identityLine(p) : `chain ${p.chainUrl ?? '?'} · hub ${p.hubUrl ?? '?'}`}
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
      {adding === 'custom' ? <AddNetworkForm onDone={() => setAdding(null)} /> : null}
      {adding === 'bittensor' ? <AddBittensorForm onDone={() => setAdding(null)} /> : null}
    </Card>
  );
}

const shortHash = (hash: string) => `${hash.slice(0, 6)}…${hash.slice(-4)}`;

/** Endpoint and what it said it was when added (every later connection must match it). */
function identityLine(p: NetworkProfile): string {
  const c = p.chain;
  return c ? `${p.chainUrl ?? '?'} · chain "${c.chain}" · genesis ${shortHash(c.genesisHash)} · runtime ${c.specName} v${c.specVersion}` : (p.chainUrl ?? '?');
}

/** Bittensor: finney, test, or an endpoint; Minerva reads the chain's identity before it adds it. */
function AddBittensorForm({ onDone }: { onDone: () => void }) {
  const ids = { preset: useId(), endpoint: useId(), name: useId() };
  const [preset, setPreset] = useState<BittensorPreset>('finney');
  const [endpoint, setEndpoint] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const known = preset === 'custom' ? null : BITTENSOR_PRESETS[preset];
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const ok = await addBittensorNetwork({ kind: 'bittensor', preset, ...(endpoint.trim() ? { endpoint: endpoint.trim() } : {}), ...(name.trim() ? { name: name.trim() } : {}) });
    setBusy(false);
    if (ok) onDone();
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Add a Bittensor network">
      <div className="field">
        <label htmlFor={ids.preset}>Bittensor network</label>
        <select id={ids.preset} value={preset} onChange={(e) => setPreset(e.target.value as BittensorPreset)}>
          <option value="finney">finney (mainnet)</option>
          <option value="test">test network</option>
          <option value="custom">another subtensor node</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.endpoint}>Endpoint</label>
        <input
          id={ids.endpoint}
          type="text"
          inputMode="url"
          value={endpoint}
          placeholder={known?.endpoint ?? 'wss://…'}
          onChange={(e) => setEndpoint(e.target.value)}
          required={preset === 'custom'}
          aria-describedby={`${ids.endpoint}-help`}
        />
        <p id={`${ids.endpoint}-help`} className="help">
          {known ? `Empty: the public ${preset} endpoint. Another node must be ${preset} too (genesis ${shortHash(known.genesisHash)}).` : 'wss:// address; ws:// only for 127.0.0.1 or localhost.'} Minerva reads the chain, genesis and runtime before adding it.
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.name}>Name (optional)</label>
        <input id={ids.name} type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={64} />
      </div>
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Checking the chain…' : 'Check and add'}
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
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
