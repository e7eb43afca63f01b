import { useId, useState, type FormEvent } from 'react';
import { ACTION_PREFIXES, type ActionPrefix, type NetworkProfile } from '@shared/contract/networks';
import { rpc } from '../../rpc';
import { errorText, loadCompetitions } from '../../store/actions';
import { useStore } from '../../store/store';
import { Card } from '../../components/Card';
import { FormError } from '../../components/FormError';

const PREFIX_WORDS: Record<ActionPrefix, string> = {
  'base-upload-v1': 'base-upload-v1 — the public Platform code (Bittensor)',
  'platform-upload-v1': 'platform-upload-v1 — the practice network’s',
};

/**
 * The selected Bittensor network's settings (`networks.configure`): the signing prefix of miner
 * actions, and the Connito checkpoint competition on a subnet (validator address and rounds).
 */
export function ConnitoCard() {
  const networks = useStore((s) => s.networks);
  const selected = networks?.profiles.find((p) => p.id === networks.selectedId);
  if (!selected || selected.kind !== 'bittensor') return null;
  // A fresh form per network; after a save it keeps what was typed (which is what was stored).
  return <ConnitoForm key={selected.id} profile={selected} />;
}

function ConnitoForm({ profile }: { profile: NetworkProfile }) {
  const ids = { prefix: useId(), netuid: useId(), validator: useId(), round: useId(), commit: useId() };
  const current = profile.settings?.connito ?? null;
  const [prefix, setPrefix] = useState<ActionPrefix>(profile.settings?.actionPrefix ?? 'base-upload-v1');
  const [netuid, setNetuid] = useState(current ? String(current.netuid) : '');
  const [validator, setValidator] = useState(current?.validatorUrl ?? '');
  const [roundBlocks, setRoundBlocks] = useState(String(current?.roundBlocks ?? 360));
  const [commitBlocks, setCommitBlocks] = useState(String(current?.commitBlocks ?? 180));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (connito: 'keep' | 'set' | 'remove') => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const input =
        connito === 'set'
          ? { id: profile.id, actionPrefix: prefix, connito: { netuid: Number(netuid), validatorUrl: validator.trim(), roundBlocks: Number(roundBlocks), commitBlocks: Number(commitBlocks) } }
          : connito === 'remove'
            ? { id: profile.id, actionPrefix: prefix, connito: null }
            : { id: profile.id, actionPrefix: prefix };
      useStore.getState().setNetworks(await rpc().invoke('networks.configure', input));
      // The catalogue is cached per network: read it again so the Competitions page shows the change.
      void loadCompetitions(true);
      setSaved(connito === 'remove' ? 'Saved: no Connito competition on this network.' : connito === 'set' ? `Saved: Connito checkpoints on subnet ${netuid} are on the Competitions page.` : 'Saved.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save(netuid.trim() === '' && validator.trim() === '' ? 'keep' : 'set');
  };

  return (
    <Card title={`Competitions on ${profile.name}`}>
      <form className="inline-form" aria-label="Competitions on this Bittensor network" onSubmit={submit}>
        <div className="field">
          <label htmlFor={ids.prefix}>Signing prefix of miner actions</label>
          <select id={ids.prefix} value={prefix} onChange={(e) => setPrefix(e.target.value as ActionPrefix)} aria-describedby={`${ids.prefix}-help`}>
            {ACTION_PREFIXES.map((p) => (
              <option key={p} value={p}>
                {PREFIX_WORDS[p]}
              </option>
            ))}
          </select>
          <p id={`${ids.prefix}-help`} className="help">
            Signed requests to a subnet’s services start with this text. Keep the public one unless the subnet says otherwise.
          </p>
        </div>
        <fieldset className="field">
          <legend>Connito checkpoints</legend>
          <p className="help">
            A checkpoint competition on a subnet: Minerva commits your checkpoint’s hash on the subnet (a commitment signed by your hotkey), then sends the signed message to the validator. Take these values from the subnet’s own
            instructions.
          </p>
          <label htmlFor={ids.netuid}>Subnet (netuid)</label>
          <input id={ids.netuid} type="number" min={1} max={65535} value={netuid} onChange={(e) => setNetuid(e.target.value)} />
          <label htmlFor={ids.validator}>Validator address</label>
          <input id={ids.validator} type="text" inputMode="url" className="mono" value={validator} onChange={(e) => setValidator(e.target.value)} placeholder="https://validator.example" />
          <label htmlFor={ids.round}>Blocks per round</label>
          <input id={ids.round} type="number" min={4} value={roundBlocks} onChange={(e) => setRoundBlocks(e.target.value)} />
          <label htmlFor={ids.commit}>Commit phase (blocks at the start of each round)</label>
          <input id={ids.commit} type="number" min={2} value={commitBlocks} onChange={(e) => setCommitBlocks(e.target.value)} />
        </fieldset>
        <FormError error={error} />
        {saved ? <p role="status" className="membership-ok">{saved}</p> : <p role="status" className="visually-hidden" />}
        <div className="form-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            Save
          </button>
          {current ? (
            <button type="button" className="button" disabled={busy} onClick={() => void save('remove')}>
              Remove the Connito competition
            </button>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
