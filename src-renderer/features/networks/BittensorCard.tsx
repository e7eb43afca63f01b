import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { BittensorOverview, NeuronView, RegisterQuote } from '@shared/contract/bittensor';
import { rpc } from '../../rpc';
import { errorText, toastError } from '../../store/actions';
import { useStore } from '../../store/store';
import { Card } from '../../components/Card';

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)}%`);

/** The selected Bittensor network: balance, our hotkey in the metagraph, register by burn (priced, then confirmed), commit a hash. */
export function BittensorCard() {
  const networks = useStore((s) => s.networks);
  const selected = networks?.profiles.find((p) => p.id === networks.selectedId);
  const [overview, setOverview] = useState<BittensorOverview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const load = useCallback(async () => {
    setLoading(true);
    try {
      setOverview(await rpc().invoke('bittensor.overview', {}));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }, []);
  const selectedId = selected?.kind === 'bittensor' ? selected.id : null;
  useEffect(() => {
    setOverview(null);
    if (selectedId) void load();
  }, [selectedId, load]);
  if (!selected || selected.kind !== 'bittensor') return null;

  return (
    <Card
      title={`Bittensor — ${selected.name}`}
      actions={
        <button type="button" className="button button-quiet" onClick={() => void load()} disabled={loading}>
          {loading ? 'Reading…' : 'Refresh'}
        </button>
      }
    >
      {error ? (
        <p role="alert" className="help help-bad">
          {error}
        </p>
      ) : null}
      {!overview ? (
        <p className="muted">{loading ? 'Reading the chain…' : ''}</p>
      ) : (
        <>
          <dl className="facts" aria-label="Bittensor account">
            <dt>Block</dt>
            <dd>{overview.block}</dd>
            <dt>Coldkey</dt>
            <dd>
              <code data-testid="bt-coldkey">{overview.coldkey ?? 'no wallet yet'}</code>
            </dd>
            <dt>Hotkey</dt>
            <dd>
              <code>{overview.hotkey ?? 'unlock your wallet to see it'}</code>
            </dd>
            <dt>Balance</dt>
            <dd>{overview.balanceText ?? '—'}</dd>
          </dl>
          <Neurons neurons={overview.neurons} onChanged={load} />
          <RegisterByBurn overview={overview} onDone={load} />
        </>
      )}
    </Card>
  );
}

function Neurons({ neurons, onChanged }: { neurons: NeuronView[]; onChanged: () => Promise<void> }) {
  if (neurons.length === 0) return <p className="muted">Your hotkey is not registered on any subnet of this network.</p>;
  return (
    <>
      <table className="table" aria-label="Your hotkey in the metagraph">
        <thead>
          <tr>
            <th scope="col">Subnet</th>
            <th scope="col">UID</th>
            <th scope="col">Stake</th>
            <th scope="col">Trust</th>
            <th scope="col">Incentive</th>
            <th scope="col">Emission</th>
            <th scope="col">Last update</th>
            <th scope="col">Axon</th>
            <th scope="col">Commitment</th>
          </tr>
        </thead>
        <tbody>
          {neurons.map((n) => (
            <tr key={n.netuid}>
              <td>{n.netuid}</td>
              <td>{n.uid ?? (n.registeredBefore ? 'deregistered' : '—')}</td>
              <td>{n.stakeText ?? '—'}</td>
              <td>{pct(n.trust)}</td>
              <td>{pct(n.incentive)}</td>
              <td>{n.emissionText ?? '—'}</td>
              <td>{n.lastUpdate === null ? '—' : `block ${n.lastUpdate}`}</td>
              <td>{n.axon ?? 'not served'}</td>
              <td>{n.commitment ? n.commitment.fields.map((f) => `${f.variant} ${f.hex.slice(0, 10)}…${f.hex.slice(-6)} (block ${n.commitment?.block})`).join(', ') : 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {neurons.some((n) => n.uid !== null) ? <CommitForm netuids={neurons.filter((n) => n.uid !== null).map((n) => n.netuid)} onDone={onChanged} /> : null}
    </>
  );
}

function RegisterByBurn({ overview, onDone }: { overview: BittensorOverview; onDone: () => Promise<void> }) {
  const id = useId();
  const open = overview.subnets.filter((s) => s.registrationOpen && !overview.neurons.some((n) => n.netuid === s.netuid && n.uid !== null));
  const [netuid, setNetuid] = useState<number | null>(open[0]?.netuid ?? null);
  const [quote, setQuote] = useState<RegisterQuote | null>(null);
  const [busy, setBusy] = useState(false);
  const push = useStore((s) => s.pushToast);
  if (open.length === 0) return <p className="muted">No subnet here accepts a burn registration of your hotkey right now.</p>;
  const price = async (event: FormEvent) => {
    event.preventDefault();
    if (netuid === null) return;
    setBusy(true);
    try {
      setQuote(await rpc().invoke('bittensor.quoteRegister', { netuid }));
    } catch (e) {
      toastError(e);
    } finally {
      setBusy(false);
    }
  };
  const confirm = async () => {
    if (!quote) return;
    setBusy(true);
    try {
      const done = await rpc().invoke('bittensor.register', { netuid: quote.netuid, maxBurn: quote.burn });
      push('info', `Registered on subnet ${done.netuid} as UID ${done.uid} in block ${done.blockNumber}.`);
      setQuote(null);
      await onDone();
    } catch (e) {
      toastError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" aria-label="Register by burn" onSubmit={(e) => void price(e)}>
      <h3>Register your hotkey by burn</h3>
      <div className="field">
        <label htmlFor={id}>Subnet</label>
        <select
          id={id}
          value={netuid ?? ''}
          onChange={(e) => {
            setNetuid(Number(e.target.value));
            setQuote(null);
          }}
          disabled={busy || quote !== null}
        >
          {open.map((s) => (
            <option key={s.netuid} value={s.netuid}>
              {`Subnet ${s.netuid} — ${s.burnText} (${s.neurons}/${s.maxNeurons} neurons)`}
            </option>
          ))}
        </select>
      </div>
      {quote ? (
        <div role="group" aria-label="Confirm the registration">
          <p>
            Registering hotkey <code>{quote.hotkey}</code> on subnet {quote.netuid} burns <strong>{quote.burnText}</strong> from your coldkey, plus a fee of <strong>{quote.feeText}</strong>: <strong>{quote.totalText}</strong> in all (you
            hold {quote.balanceText}). The burned TAO is gone, not staked. If the cost rises before it is sent, nothing is sent.
          </p>
          <div className="form-row">
            <button type="button" className="button button-primary" onClick={() => void confirm()} disabled={busy}>
              {busy ? 'Waiting for a block…' : `Burn ${quote.burnText} and register`}
            </button>
            <button type="button" className="button button-quiet" onClick={() => setQuote(null)} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div className="form-row">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Pricing…' : 'Show the cost'}
          </button>
        </div>
      )}
    </form>
  );
}

function CommitForm({ netuids, onDone }: { netuids: number[]; onDone: () => Promise<void> }) {
  const ids = { netuid: useId(), hash: useId() };
  const [netuid, setNetuid] = useState(netuids[0] ?? 0);
  const [hash, setHash] = useState('');
  const [busy, setBusy] = useState(false);
  const push = useStore((s) => s.pushToast);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const done = await rpc().invoke('bittensor.commit', { netuid, sha256: hash.trim() });
      push('info', `Committed on subnet ${done.netuid} in block ${done.blockNumber}.`);
      setHash('');
      await onDone();
    } catch (e) {
      toastError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" aria-label="Publish a commitment" onSubmit={(e) => void submit(e)}>
      <h3>Publish a commitment</h3>
      <div className="field">
        <label htmlFor={ids.netuid}>Subnet</label>
        <select id={ids.netuid} value={netuid} onChange={(e) => setNetuid(Number(e.target.value))}>
          {netuids.map((n) => (
            <option key={n} value={n}>{`Subnet ${n}`}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.hash}>SHA-256 hash</label>
        <input id={ids.hash} type="text" value={hash} onChange={(e) => setHash(e.target.value)} required pattern="(0x)?[0-9a-fA-F]{64}" aria-describedby={`${ids.hash}-help`} />
        <p id={`${ids.hash}-help`} className="help">
          64 hex digits, e.g. of a checkpoint file. Signed by your hotkey; the chain keeps one per hotkey and subnet.
        </p>
      </div>
      <div className="form-row">
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Waiting for a block…' : 'Commit'}
        </button>
      </div>
    </form>
  );
}
