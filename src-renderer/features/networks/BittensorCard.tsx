import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { BittensorOverview, NeuronView, PowProgress, RegisterQuote, ServeQuote, SwapQuote } from '@shared/contract/bittensor';
import { rpc, RpcError } from '../../rpc';
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
      showId="bittensor"
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
          <Swaps overview={overview} onDone={load} />
          <Neurons neurons={overview.neurons} onChanged={load} />
          <RegisterByBurn overview={overview} onDone={load} />
          <RegisterByPow overview={overview} onDone={load} />
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
      {neurons.some((n) => n.uid !== null) ? <ServeAxonForm netuids={neurons.filter((n) => n.uid !== null).map((n) => n.netuid)} onDone={onChanged} /> : null}
    </>
  );
}

/** A button's work: busy while it runs, a failure shown as a toast (the forms below share it). */
function useBusy(): { busy: boolean; run: (work: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
    } catch (e) {
      toastError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, run };
}

function RegisterByBurn({ overview, onDone }: { overview: BittensorOverview; onDone: () => Promise<void> }) {
  const id = useId();
  const open = overview.subnets.filter((s) => s.registrationOpen && !overview.neurons.some((n) => n.netuid === s.netuid && n.uid !== null));
  const [netuid, setNetuid] = useState<number | null>(open[0]?.netuid ?? null);
  const [quote, setQuote] = useState<RegisterQuote | null>(null);
  const { busy, run } = useBusy();
  const push = useStore((s) => s.pushToast);
  if (open.length === 0) return <p className="muted">No subnet here accepts a burn registration of your hotkey right now.</p>;
  const price = async (event: FormEvent) => {
    event.preventDefault();
    if (netuid === null) return;
    await run(async () => setQuote(await rpc().invoke('bittensor.quoteRegister', { netuid })));
  };
  const confirm = async () => {
    if (!quote) return;
    await run(async () => {
      const done = await rpc().invoke('bittensor.register', { netuid: quote.netuid, maxBurn: quote.burn });
      push('info', `Registered on subnet ${done.netuid} as UID ${done.uid} in block ${done.blockNumber}.`);
      setQuote(null);
      await onDone();
    });
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
  const { busy, run } = useBusy();
  const push = useStore((s) => s.pushToast);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const done = await rpc().invoke('bittensor.commit', { netuid, sha256: hash.trim() });
      push('info', `Committed on subnet ${done.netuid} in block ${done.blockNumber}.`);
      setHash('');
      await onDone();
    });
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

/** serve_axon: the address is checked (public only) and priced first, then confirmed. */
function ServeAxonForm({ netuids, onDone }: { netuids: number[]; onDone: () => Promise<void> }) {
  const ids = { netuid: useId(), ip: useId(), port: useId() };
  const [netuid, setNetuid] = useState(netuids[0] ?? 0);
  const [ip, setIp] = useState('');
  const [port, setPort] = useState('8091');
  const [quote, setQuote] = useState<ServeQuote | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const push = useStore((s) => s.pushToast);
  const price = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      setQuote(await rpc().invoke('bittensor.quoteServeAxon', { netuid, ip: ip.trim(), port: Number(port) }));
      setProblem(null);
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const confirm = async () => {
    if (!quote) return;
    setBusy(true);
    try {
      const done = await rpc().invoke('bittensor.serveAxon', { netuid: quote.netuid, ip: ip.trim(), port: Number(port) });
      push('info', `Axon ${done.axon} published on subnet ${done.netuid} in block ${done.blockNumber}.`);
      setQuote(null);
      await onDone();
    } catch (e) {
      setProblem(errorText(e));
      setQuote(null);
    } finally {
      setBusy(false);
    }
  };
  const edit = () => {
    setQuote(null);
    setProblem(null);
  };
  return (
    <form className="inline-form" aria-label="Serve your axon" onSubmit={(e) => void price(e)}>
      <h3>Serve your axon</h3>
      <p className="help">Validators reach your miner at this address. It must be your public IP address: loopback and private addresses are refused.</p>
      <div className="form-row">
        <div className="field">
          <label htmlFor={ids.netuid}>Subnet</label>
          <select id={ids.netuid} value={netuid} onChange={(e) => { setNetuid(Number(e.target.value)); edit(); }} disabled={busy || quote !== null}>
            {netuids.map((n) => (
              <option key={n} value={n}>{`Subnet ${n}`}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.ip}>Public IP address</label>
          <input id={ids.ip} type="text" value={ip} onChange={(e) => { setIp(e.target.value); edit(); }} required disabled={busy || quote !== null} aria-invalid={problem !== null} aria-describedby={problem ? `${ids.ip}-problem` : undefined} />
        </div>
        <div className="field">
          <label htmlFor={ids.port}>Port</label>
          <input id={ids.port} type="number" min={1} max={65535} value={port} onChange={(e) => { setPort(e.target.value); edit(); }} required disabled={busy || quote !== null} />
        </div>
      </div>
      {problem ? (
        <p id={`${ids.ip}-problem`} role="alert" className="help help-bad">
          {problem}
        </p>
      ) : null}
      {quote ? (
        <div role="group" aria-label="Confirm the axon">
          <p>
            Publishing <code>{quote.address}</code> for hotkey <code>{quote.hotkey}</code> on subnet {quote.netuid} costs a fee of <strong>{quote.feeText}</strong>, paid by the hotkey (it holds {quote.balanceText}). The chain accepts one update every few blocks.
          </p>
          <div className="form-row">
            <button type="button" className="button button-primary" onClick={() => void confirm()} disabled={busy}>
              {busy ? 'Waiting for a block…' : 'Publish the axon'}
            </button>
            <button type="button" className="button button-quiet" onClick={edit} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div className="form-row">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Checking…' : 'Check the address'}
          </button>
        </div>
      )}
    </form>
  );
}

/** The chain side of a hotkey rotation: the retired hotkey's UIDs move to the new one (swap_hotkey, paid by the coldkey). */
function Swaps({ overview, onDone }: { overview: BittensorOverview; onDone: () => Promise<void> }) {
  const [quote, setQuote] = useState<SwapQuote | null>(null);
  const { busy, run } = useBusy();
  const push = useStore((s) => s.pushToast);
  if (overview.swaps.length === 0) return null;
  const price = async (oldHotkey: string) => {
    await run(async () => setQuote(await rpc().invoke('bittensor.quoteSwapHotkey', { oldHotkey })));
  };
  const confirm = async () => {
    if (!quote) return;
    await run(async () => {
      const done = await rpc().invoke('bittensor.swapHotkey', { oldHotkey: quote.oldHotkey, maxCost: quote.cost });
      push('info', `Hotkey swapped on chain in block ${done.blockNumber}: ${done.uids.map((u) => `UID ${u.uid} on subnet ${u.netuid}`).join(', ')} now belong${done.uids.length === 1 ? 's' : ''} to your new hotkey.`);
      setQuote(null);
      await onDone();
    });
  };
  return (
    <section aria-label="Hotkey swap on chain" className="note">
      <h3>Your hotkey changed: move its UIDs on chain</h3>
      {overview.swaps.map((s) => (
        <div key={s.oldHotkey}>
          <p>
            Your wallet rotated to a new hotkey, but on this chain {s.uids.map((u) => `UID ${u.uid} on subnet ${u.netuid}`).join(', ')} still belong{s.uids.length === 1 ? 's' : ''} to the old hotkey <code>{s.oldHotkey}</code>. Until you swap it, that UID earns for the old hotkey and your new one is not registered.
          </p>
          {quote?.oldHotkey === s.oldHotkey ? (
            <div role="group" aria-label="Confirm the hotkey swap">
              <p>
                Swapping moves {quote.uids.map((u) => `UID ${u.uid} (subnet ${u.netuid})`).join(', ')} to <code>{quote.newHotkey}</code>. The chain takes <strong>{quote.costText}</strong> from your coldkey, plus a fee of <strong>{quote.feeText}</strong>: <strong>{quote.totalText}</strong> in all (you hold {quote.balanceText}).
              </p>
              <div className="form-row">
                <button type="button" className="button button-primary" onClick={() => void confirm()} disabled={busy}>
                  {busy ? 'Waiting for a block…' : `Pay ${quote.totalText} and swap`}
                </button>
                <button type="button" className="button button-quiet" onClick={() => setQuote(null)} disabled={busy}>
                  Cancel
                </button>
              </div>
            </div>
          ) : (
            <button type="button" className="button" onClick={() => void price(s.oldHotkey)} disabled={busy}>
              {busy ? 'Pricing…' : 'Show the swap cost'}
            </button>
          )}
        </div>
      ))}
    </section>
  );
}

/** Registration by proof of work: solved off the UI (a worker thread in the app), with progress, cancellable. */
function RegisterByPow({ overview, onDone }: { overview: BittensorOverview; onDone: () => Promise<void> }) {
  const id = useId();
  const open = overview.subnets.filter((s) => s.powOpen && !overview.neurons.some((n) => n.netuid === s.netuid && n.uid !== null));
  const [netuid, setNetuid] = useState<number | null>(open[0]?.netuid ?? null);
  const [progress, setProgress] = useState<PowProgress | null>(overview.pow);
  const push = useStore((s) => s.pushToast);
  useEffect(() => rpc().on('bittensor.powProgressed', (p) => setProgress(p)), []);
  const running = progress?.state === 'solving' || progress?.state === 'sending';
  if (open.length === 0 && !running && !progress) return <p className="muted">No subnet here accepts proof-of-work registrations right now.</p>;
  const start = async (event: FormEvent) => {
    event.preventDefault();
    const chosen = netuid ?? open[0]?.netuid;
    if (chosen === undefined) return;
    try {
      const done = await rpc().invoke('bittensor.powRegister', { netuid: chosen });
      push('info', `Registered on subnet ${done.netuid} as UID ${done.uid} in block ${done.blockNumber} (proof of work).`);
      await onDone();
    } catch (e) {
      // A cancel the miner asked for is not an error: a neutral note (the bar says how far it got).
      if (e instanceof RpcError && e.code === 'CANCELLED') push('info', 'Registration cancelled. Nothing was sent.');
      else toastError(e);
    }
  };
  const cancel = async () => {
    try {
      await rpc().invoke('bittensor.cancelPow', {});
    } catch (e) {
      toastError(e);
    }
  };
  const chosen = open.find((s) => s.netuid === netuid) ?? open[0];
  return (
    <form className="inline-form" aria-label="Register by proof of work" onSubmit={(e) => void start(e)}>
      <h3>Register by proof of work</h3>
      <p className="help">Free, but it keeps one processor core busy until a solution is found; a subnet&apos;s difficulty is the number of attempts to expect.</p>
      {open.length > 0 ? (
        <div className="field">
          <label htmlFor={id}>Subnet</label>
          <select id={id} value={chosen?.netuid ?? ''} onChange={(e) => setNetuid(Number(e.target.value))} disabled={running}>
            {open.map((s) => (
              <option key={s.netuid} value={s.netuid}>
                {`Subnet ${s.netuid} — about ${Number(s.difficulty).toLocaleString('en-US')} attempts`}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {progress ? (
        <div role="status" aria-label="Proof of work">
          <progress className="progress" max={1} value={progress.state === 'registered' ? 1 : progress.fraction} aria-label={`Proof of work on subnet ${progress.netuid}: ${Math.round((progress.state === 'registered' ? 1 : progress.fraction) * 100)}%`} />
          <p className={progress.state === 'failed' ? 'help help-bad' : 'help'}>{progress.detail}</p>
        </div>
      ) : null}
      <div className="form-row">
        {running ? (
          <button type="button" className="button" onClick={() => void cancel()} disabled={progress?.state !== 'solving'}>
            Cancel
          </button>
        ) : open.length > 0 ? (
          <button type="submit" className="button">
            Start the proof of work
          </button>
        ) : null}
      </div>
    </form>
  );
}
