import { readPracticeNetworkState } from '@common/practice-state';
import { ChainClient } from '@devnet/chain/chain-client';
import { authorityKey } from '@devnet/common/keys';

/**
 * Pays a reward on the practice network that `minerva serve` runs for `dataDir`, as the
 * competition's own reward authority does at the end of an epoch: one real `emit_rewards`
 * transaction, signed with that authority's key from the data dir, waited for until it is in a
 * block. `units` are base units (PRAC has 9 decimals: 100 units are 0.0000001 PRAC). The epoch
 * number is far beyond any the network reaches in a test, so it is never one the authority pays.
 */
export async function payPracticeReward(dataDir: string, competitionId: string, hotkey: string, units: bigint, epoch = 1_000_000): Promise<void> {
  const url = readPracticeNetworkState(dataDir)?.parties.chain?.url;
  if (!url) throw new Error(`no practice chain is running for ${dataDir}`);
  const chain = new ChainClient(url);
  const competition = (await chain.call('chain_listCompetitions', {})).competitions.find((c) => c.competition_id === competitionId);
  if (!competition) throw new Error(`the practice chain has no competition ${competitionId}`);
  const { tx_id } = await chain.sendTx('emit_rewards', { competition_id: competitionId, epoch, payouts: [{ hotkey, amount: units.toString() }] }, authorityKey(dataDir, competition.reward_authority));
  const status = await chain.waitForTx(tx_id);
  if (status.state !== 'included') throw new Error(`emit_rewards was not included: ${JSON.stringify(status)}`);
}
