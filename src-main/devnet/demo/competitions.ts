/**
 * The practice network's demo content: one competition per kind, so that every flow of the app
 * (private inference, model runner, checkpoints) has somewhere to plug in. The chain takes the
 * rules it enforces (`chain`), the hub adds the words and requirements (`catalogue`).
 */
import { parseAmount, TOKEN, type ChainCompetition } from '@shared/protocol/chain-api';
import type { CatalogueEntryWire } from '@shared/protocol/hub-api';

export const NETWORK_DOMAIN = 'practice.local';

export interface DemoCompetition {
  chain: ChainCompetition;
  catalogue: Omit<CatalogueEntryWire, 'endpoints' | 'rules'> & { rules: Omit<CatalogueEntryWire['rules'], 'current_round'> };
}

function perEpoch(tokens: string): string {
  return parseAmount(tokens).toString();
}

export const DEMO_COMPETITIONS: readonly DemoCompetition[] = [
  {
    chain: {
      competition_id: 'practice-inference',
      netuid: 1,
      kind: 'private-inference',
      scheme: 'sr25519',
      round_blocks: 0,
      commit_blocks: 0,
      submit_blocks: 0,
      epoch_blocks: 30,
      emission_per_epoch: perEpoch('100'),
      reward_authority: 'router',
      session_id: 101,
    },
    catalogue: {
      id: 'practice-inference',
      netuid: 1,
      slug: 'practice-inference',
      kind: 'private-inference',
      title: 'Private inference (practice)',
      description:
        'Answer encrypted prompts for a dedicated session: fetch the scoped key from the router, decrypt in memory, run the text model in a locked-down container and send the result back encrypted.',
      requirements: { gpu: null, memory_mib: 512, image_digest: null, model_bundle: 'text-ngram', cpu_cores: 1, disk_mib: 200 },
      rewards: {
        symbol: TOKEN.symbol,
        per_epoch: '100',
        epoch_blocks: 30,
        split: 'in proportion to jobs completed within their deadline in the epoch',
        summary: `100 ${TOKEN.symbol} per epoch of 30 blocks, shared by completed jobs`,
      },
      rules: {
        text: [
          'Join with your hotkey and your EVM address (EOA); the EOA signs that it belongs to you.',
          'Jobs go only to members of session 101: the router checks the chain before it hands out a key.',
          'Finish each job before its deadline; a lease lasts 60 seconds and can be extended.',
          'Results are encrypted under the same scope and key version as their input.',
        ],
        scheme: 'sr25519',
        action_prefix: 'platform-upload-v1',
        max_clock_skew_s: 300,
        session_id: 101,
        model_id: null,
        class_name: null,
        network_domain: null,
        round_blocks: null,
        commit_blocks: null,
        submit_blocks: null,
        block_window: null,
        padded_signature: null,
      },
    },
  },
  {
    chain: {
      competition_id: 'practice-runner',
      netuid: 2,
      kind: 'model-runner',
      scheme: 'sr25519',
      round_blocks: 0,
      commit_blocks: 0,
      submit_blocks: 0,
      epoch_blocks: 60,
      emission_per_epoch: perEpoch('150'),
      reward_authority: 'coordinator',
      session_id: null,
    },
    catalogue: {
      id: 'practice-runner',
      netuid: 2,
      slug: 'practice-runner',
      kind: 'model-runner',
      title: 'Time-series model runner (practice)',
      description:
        'Serve a time-series predictor to the coordinator over mutually authenticated gRPC (Secure Model Protocol). The coordinator calls tick and predict and scores the predictions.',
      requirements: { gpu: null, memory_mib: 256, image_digest: null, model_bundle: 'ts-predictor', cpu_cores: 1, disk_mib: 100 },
      rewards: {
        symbol: TOKEN.symbol,
        per_epoch: '150',
        epoch_blocks: 60,
        split: 'by prediction score over the epoch, best runner first',
        summary: `150 ${TOKEN.symbol} per epoch of 60 blocks, split by prediction score`,
      },
      rules: {
        text: [
          'Register your runner wallet and SMP hotkey on chain for model id practice-ts-1.',
          'Your runner needs a certificate from the network CA for model-node-<model id>.practice.local.',
          'Every answer is signed by your runner wallet; the coordinator checks it against the chain.',
          'Setup uses the class TrackerBase; per tick the coordinator calls tick, then predict.',
        ],
        scheme: 'sr25519',
        action_prefix: 'platform-upload-v1',
        max_clock_skew_s: 300,
        session_id: null,
        model_id: 'practice-ts-1',
        class_name: 'TrackerBase',
        network_domain: NETWORK_DOMAIN,
        round_blocks: null,
        commit_blocks: null,
        submit_blocks: null,
        block_window: null,
        padded_signature: null,
      },
    },
  },
  {
    chain: {
      competition_id: 'practice-checkpoint',
      netuid: 3,
      kind: 'checkpoint',
      scheme: 'ed25519',
      round_blocks: 30,
      commit_blocks: 15,
      submit_blocks: 15,
      epoch_blocks: 30,
      emission_per_epoch: perEpoch('200'),
      reward_authority: 'validator',
      session_id: null,
    },
    catalogue: {
      id: 'practice-checkpoint',
      netuid: 3,
      slug: 'practice-checkpoint',
      kind: 'checkpoint',
      title: 'Checkpoint training (practice)',
      description:
        'Train the character model, commit the SHA-256 of your checkpoint on chain during the commit phase, then submit it in the submission phase; the validator measures its held-out loss.',
      requirements: { gpu: 'optional (CPU is enough for the demo model)', memory_mib: 512, image_digest: null, model_bundle: 'trainer', cpu_cores: 1, disk_mib: 500 },
      rewards: {
        symbol: TOKEN.symbol,
        per_epoch: '200',
        epoch_blocks: 30,
        split: 'by held-out loss among accepted submissions of the round',
        summary: `200 ${TOKEN.symbol} per round of 30 blocks, split by held-out loss`,
      },
      rules: {
        text: [
          'Rounds last 30 blocks: 15 blocks to commit the checkpoint hash, then 15 blocks to submit.',
          'Commit before you submit: a submission whose file does not match your commitment is rejected.',
          'Checkpoint messages are signed with your ed25519 checkpoint key (padded base64url).',
          'The block number in your message must be within 10 blocks of the chain.',
          'One accepted submission per hotkey, expert group and round.',
        ],
        scheme: 'ed25519',
        action_prefix: 'platform-upload-v1',
        max_clock_skew_s: 300,
        session_id: null,
        model_id: null,
        class_name: null,
        network_domain: null,
        round_blocks: 30,
        commit_blocks: 15,
        submit_blocks: 15,
        block_window: 10,
        padded_signature: true,
      },
    },
  },
];
