import { useId, useState, type FormEvent } from 'react';
import { endpointUrlSchema, type NetworkProfile } from '@shared/contract/networks';
import { rpc } from '../../rpc';
import { errorText, loadCompetitions } from '../../store/actions';
import { useStore } from '../../store/store';
import { Card } from '../../components/Card';

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
  const ids = { hub: useId(), netuid: useId(), error: useId() };
  const current = profile.settings?.platform ?? null;
  const [hubUrl, setHubUrl] = useState(current?.hubUrl ?? '');
  const [netuid, setNetuid] = useState(current ? String(current.netuid) : '');
  const [error, setError] = useState<string | null>(null);
  /** The field the error is about, when it is one of this form's (marked invalid, described by the error). */
  const [invalid, setInvalid] = useState<'hub' | 'netuid' | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (platform: { hubUrl: string; netuid: number } | null) => {
    setBusy(true);
    setError(null);
    setInvalid(null);
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
    // The same checks as core's, said about this form's fields (core's words name the contract's).
    const n = Number(netuid);
    const refuse = (field: 'hub' | 'netuid', words: string) => {
      setSaved(null);
      setInvalid(field);
      setError(words);
    };
    if (!endpointUrlSchema.safeParse(hubUrl).success) {
      refuse(
        'hub',
        'The hub address must start with https:// (http:// only for a hub on this computer: 127.0.0.1 or localhost), with no user name, query or #fragment. Copy it from the subnet’s instructions.',
      );
      return;
    }
    if (!Number.isInteger(n) || n < 1 || n > 65_535) {
      refuse('netuid', 'The subnet is a whole number from 1 to 65535 (the netuid the subnet’s instructions give).');
      return;
    }
    void save({ hubUrl: hubUrl.trim(), netuid: n });
  };

  return (
    <Card title={`Platform hub on ${profile.name}`}>
      <form className="inline-form" aria-label="Platform hub on this Bittensor network" onSubmit={submit}>
        <p className="help">
          A Platform-style hub runs challenges for a subnet: you take part with a hotkey registered on that subnet, and every submission is signed by it. Take the address and subnet from the subnet’s own instructions.
        </p>
        <div className="field">
          <label htmlFor={ids.hub}>Hub address</label>
          <input
            id={ids.hub}
            type="text"
            inputMode="url"
            className="mono"
            value={hubUrl}
            onChange={(e) => setHubUrl(e.target.value)}
            placeholder="https://hub.example"
            required
            aria-invalid={invalid === 'hub' || undefined}
            aria-describedby={invalid === 'hub' ? ids.error : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.netuid}>Subnet (netuid)</label>
          <input
            id={ids.netuid}
            type="number"
            min={1}
            max={65535}
            value={netuid}
            onChange={(e) => setNetuid(e.target.value)}
            required
            aria-invalid={invalid === 'netuid' || undefined}
            aria-describedby={invalid === 'netuid' ? ids.error : undefined}
          />
        </div>
        {error ? (
          <p id={ids.error} role="alert" className="help help-bad">
            {error}
          </p>
        ) : null}
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
