import { describe, expect, it } from 'vitest';
import { DEMO_COMPETITIONS } from '@devnet/demo/competitions';
import { chainCompetitionSchema, formatAmount } from '@shared/protocol/chain-api';
import { catalogueEntrySchema } from '@shared/protocol/hub-api';

describe('demo competitions', () => {
  it('one per kind, and the words of the catalogue agree with the rules the chain enforces', () => {
    expect(DEMO_COMPETITIONS.map((c) => c.catalogue.kind).sort()).toEqual(['checkpoint', 'model-runner', 'private-inference']);
    expect(new Set(DEMO_COMPETITIONS.map((c) => c.chain.netuid)).size).toBe(DEMO_COMPETITIONS.length);
    for (const { chain, catalogue } of DEMO_COMPETITIONS) {
      chainCompetitionSchema.parse(chain);
      catalogueEntrySchema.parse({
        ...catalogue,
        endpoints: { chain: 'http://127.0.0.1:1', hub: 'http://127.0.0.1:2', router: null, validator: null, coordinator: null },
        rules: { ...catalogue.rules, current_round: null },
      });
      expect([catalogue.id, catalogue.slug, catalogue.netuid, catalogue.kind, catalogue.rules.scheme]).toEqual([chain.competition_id, chain.competition_id, chain.netuid, chain.kind, chain.scheme]);
      expect(catalogue.rewards.per_epoch).toBe(formatAmount(BigInt(chain.emission_per_epoch)));
      expect(catalogue.rewards.epoch_blocks).toBe(chain.epoch_blocks);
      expect(catalogue.rules.session_id).toBe(chain.session_id);
      if (chain.kind === 'checkpoint') {
        expect(chain.round_blocks).toBe(chain.commit_blocks + chain.submit_blocks);
        expect([catalogue.rules.round_blocks, catalogue.rules.commit_blocks, catalogue.rules.submit_blocks]).toEqual([chain.round_blocks, chain.commit_blocks, chain.submit_blocks]);
      } else {
        expect(chain.round_blocks).toBe(0);
      }
    }
  });
});
