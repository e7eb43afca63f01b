import type { NeuronView } from '@shared/contract/bittensor';
import type { ChecklistItem } from '@shared/contract/rewards';

const SETTINGS = { label: 'Open Settings → Bittensor', href: '#/settings' };
const where = (n: NeuronView) => `subnet ${n.netuid}`;

/**
 * "Why am I not earning?" on a Bittensor network, from our hotkey's standing in the metagraph:
 * registered (never, or deregistered since Minerva registered it), axon served, and incentive /
 * emission per epoch (none for N epochs since registration). Pure: the metagraph is read by the
 * bittensor feature.
 */
export function bittensorChecklist(networkName: string, hotkey: string | null, neurons: NeuronView[]): ChecklistItem[] {
  if (!hotkey) {
    return [{ id: 'registered', ok: null, label: 'Hotkey registered on a subnet', detail: 'Unlock your wallet to see where your hotkey is registered.', fix: { label: 'Unlock it', href: '#/wallet' } }];
  }
  const live = neurons.filter((n) => n.uid !== null);
  const gone = neurons.filter((n) => n.uid === null && n.registeredBefore);
  const items: ChecklistItem[] = [];
  if (live.length === 0) {
    items.push({
      id: 'registered',
      ok: false,
      label: 'Hotkey registered on a subnet',
      detail:
        gone.length > 0
          ? `Deregistered: your hotkey lost its UID on ${gone.map(where).join(', ')} (a newer neuron took the slot after its immunity period, usually for low incentive). Register again, and make sure your miner is reachable and answers.`
          : `Your hotkey holds no UID on any subnet of ${networkName}. Register it (by burn or proof of work) to earn there.`,
      fix: SETTINGS,
    });
    return items;
  }
  items.push({
    id: 'registered',
    ok: gone.length === 0,
    label: 'Hotkey registered on a subnet',
    detail: [
      `UID ${live.map((n) => `${n.uid} on ${where(n)}`).join(', ')}.`,
      gone.length > 0 ? `Deregistered on ${gone.map(where).join(', ')}: register there again if you still mine it.` : '',
    ]
      .filter(Boolean)
      .join(' '),
    fix: gone.length > 0 ? SETTINGS : null,
  });
  const unserved = live.filter((n) => n.axon === null);
  items.push(
    unserved.length === 0
      ? { id: 'axon', ok: true, label: 'Axon served', detail: `Validators can find your miner at ${live.map((n) => `${n.axon ?? ''} (${where(n)})`).join(', ')}.`, fix: null }
      : { id: 'axon', ok: false, label: 'Axon served', detail: `Not served on ${unserved.map(where).join(', ')}: validators do not know where to reach your miner, so they cannot score it. Publish your public IP address and port.`, fix: SETTINGS },
  );
  const earning = live.filter((n) => n.emission !== null && BigInt(n.emission) > 0n);
  const idle = live.filter((n) => !earning.includes(n));
  const young = idle.filter((n) => n.epochsSinceRegistration === null || n.epochsSinceRegistration < 1);
  const starved = idle.filter((n) => !young.includes(n));
  if (starved.length > 0) {
    items.push({
      id: 'earning',
      ok: false,
      label: 'Incentive and emission',
      detail: `No incentive for ${starved.map((n) => `${n.epochsSinceRegistration ?? '?'} epoch${n.epochsSinceRegistration === 1 ? '' : 's'} on ${where(n)} (incentive ${((n.incentive ?? 0) * 100).toFixed(2)}%, emission ${n.emissionText ?? '0'})`).join('; ')}. Validators are not scoring your miner: check that the axon is reachable from the internet and that your miner answers the subnet's requests.${earning.length > 0 ? ` Earning on ${earning.map(where).join(', ')}.` : ''}`,
      fix: unserved.length > 0 ? SETTINGS : null,
    });
  } else if (young.length > 0 && earning.length === 0) {
    items.push({ id: 'earning', ok: null, label: 'Incentive and emission', detail: `Registered less than an epoch ago on ${young.map(where).join(', ')}: the first emission comes after the next epoch.`, fix: null });
  } else {
    // Emission with 0 incentive is the stake's share (dividends), not pay for mining: say so.
    const share = (n: NeuronView) => (n.incentive ?? 0) > 0 ? `incentive ${((n.incentive ?? 0) * 100).toFixed(2)}%` : 'from the stake on your hotkey; mining incentive 0.00%';
    items.push({ id: 'earning', ok: true, label: 'Incentive and emission', detail: `Last epoch's emission: ${earning.map((n) => `${n.emissionText ?? ''} on ${where(n)} (${share(n)})`).join(', ')}.`, fix: null });
  }
  return items;
}
