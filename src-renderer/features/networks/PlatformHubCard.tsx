import { useId, useState, type FormEvent } from 'react';
import type { NetworkProfile } from '@shared/contract/networks';
import { rpc } from '../../rpc';
import { errorText, loadCompetitions } from '../../store/actions';
import { useStore } from '../../store/store';
import { Card } from '../../components/Card';
import { FormError } from '../../components/FormError';

/**
 * The selected Bittensor network's Platform hub (`networks.configure` `platform`): its address and
 * the subnet it serves. Its challenges then appear on the Competitions page; submissions are
 * signed with the prefix chosen in the card above.
 */
export function PlatformHubCard() {
  const networks = useStore((s) => s.networks);
  const selected = networks?.profiles.find((p) => p.id === networks.selectedId);
  if (!selected || selected.kind !== 'bittensor') return null;
  return <PlatformHubForm key={selected.id} profile={selected} />;
}

function PlatformHubForm({ profile }: { profile: NetworkProfile }) {
  const ids = { hub: useId(), netuid: useId() };
  const current = profile.settings?.platform ?? null;
  const [hubUrl, setHubUrl] = useState(current?.hubUrl ?? '');
  const [netuid, setNetuid] = useState(current ? String(current.netuid) : '');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (platform: { hubUrl: string; netuid: number } | null) => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      useStore.getState().setNetworks(await rpc().invoke('networks.configure', { id: profile.id, platform }));
      void loadCompetitions(true);
      setSaved(platform ? `Saved: the hub’s challenges on subnet ${platform.netuid} are on the Competitions page.` : 'Saved: no Platform hub on this network.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save({ hubUrl: hubUrl.trim(), netuid: Number(netuid) });
  };

  return (
    <Card title={`Platform hub on ${profile.name}`}>
      <form className="inline-form" aria-label="Platform hub on this Bittensor network" onSubmit={submit}>
        <p className="help">
          A Platform-style hub runs challenges for a subnet: you take part with a hotkey registered on that subnet, and every submission is signed by it. Take the address and subnet from the subnet’s own instructions.
        </p>
        <div className="field">
          <label htmlFor={ids.hub}>Hub address</label>
          <input id={ids.hub} type="text" inputMode="url" className="mono" value={hubUrl} onChange={(e) => setHubUrl(e.target.value)} placeholder="https://hub.example" required />
        </div>
        <div className="field">
          <label htmlFor={ids.netuid}>Subnet (netuid)</label>
          <input id={ids.netuid} type="number" min={1} max={65535} value={netuid} onChange={(e) => setNetuid(e.target.value)} required />
        </div>
        <FormError error={error} />
        {saved ? <p role="status" className="membership-ok">{saved}</p> : <p role="status" className="visually-hidden" />}
        <div className="form-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            Save the hub
          </button>
          {current ? (
            <button type="button" className="button" disabled={busy} onClick={() => void save(null)}>
              Remove the hub
            </button>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
