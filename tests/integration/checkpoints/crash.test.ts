import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointSubmissionView } from '@shared/contract/checkpoints';
import type { CompetitionsView } from '@shared/contract/competitions';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { trainedCheckpoint } from '../../helpers/trained-checkpoint';
import { connectRpc } from '../../helpers/ws-rpc';

/**
 * kill -9 the app at each step of a checkpoint submission, start it again, and check that the
 * flow finishes with exactly one commitment on the chain and one submission at the validator.
 * The practice network runs in this test's process, so it survives the kills.
 * MINERVA_SOAK=1 repeats every kill point three times.
 */
const PASSWORD = 'correct horse battery staple 42';
const COMPETITION = 'practice-checkpoint';
const ROUNDS = process.env.MINERVA_SOAK ? 3 : 1;

type KillPoint = { name: string; when: (v: CheckpointSubmissionView) => boolean };
const KILL_POINTS: KillPoint[] = [
  { name: 'while hashing', when: (v) => v.steps[0]?.state === 'active' },
  { name: 'after the commitment was sent, before it was included', when: (v) => v.commit !== null && v.steps[1]?.state !== 'done' },
  { name: 'while publishing', when: (v) => v.steps[2]?.state === 'active' },
  { name: 'after the submission, before the verdict', when: (v) => v.submissionId !== null && v.verdict === null },
];

let dataDir: string;
let network: PracticeNetwork;

beforeAll(async () => {
  dataDir = tempDataDir('minerva-crash-');
  // Every party `minerva serve` attaches to (else each serve would start, and lose at each kill, its own coordinator).
  // The restart between commit and submit (a serve, an unlock: 5-7 s on a loaded 2-core machine)
  // must fit in what is left of the commitment's round: at 150 ms blocks (4.5 s rounds) it did
  // not, the commitment expired with its round and the resumed flow rightly failed. Hence 300 ms
  // blocks, and each submission starts as a commit phase opens (commitPhaseOpens).
  network = await startPracticeNetwork({ dataDir, blockTimeMs: 300, parties: ['chain', 'hub', 'router', 'validator', 'coordinator'] });
  // A wallet and a membership, made once by an app that then stops cleanly.
  const serve = await startServe({ dataDir });
  const rpc = await connectRpc(serve.loginUrl);
  await rpc.call('vault.create', { password: PASSWORD });
  await rpc.call('competitions.list', { refresh: true });
  const joined = rpc.waitFor<CompetitionsView>('competitions.changed', (v) => v.competitions.find((c) => c.id === COMPETITION)?.membership?.state === 'joined');
  await rpc.call('competitions.join', { id: COMPETITION });
  await joined;
  rpc.close();
  await serve.stop();
});

afterAll(async () => {
  await network.stop();
});

async function chain<T>(method: string, params: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${network.endpoints.chain}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return ((await res.json()) as { result: T }).result;
}

/**
 * Resolves when a commit phase has just opened, so the flow commits early in it: the commitment
 * is valid only until its round ends, and the restart in between (a serve, an unlock) must fit.
 */
async function commitPhaseOpens(): Promise<void> {
  for (;;) {
    const r = await chain<{ phase: string; blocks_left_in_phase: number; next_round_start: number }>('chain_getRound', { competition_id: COMPETITION });
    if (r.phase === 'commit' && r.blocks_left_in_phase >= 10) return;
    await chain('chain_waitForBlock', { number: r.next_round_start, timeout_ms: 30_000 });
  }
}

function kill(serve: ServeHandle): Promise<void> {
  return new Promise((resolve) => {
    serve.process.once('exit', () => resolve());
    serve.process.kill('SIGKILL');
  });
}

describe('checkpoint submission survives kill -9 at every step', () => {
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const point of KILL_POINTS) {
      it(`${point.name}${ROUNDS > 1 ? ` (trial ${round})` : ''}: one commitment, one submission, a verdict`, async () => {
        // Outside the data folder: Minerva never publishes files from inside it (publishable.ts).
        const file = join(tempDataDir('minerva-crash-files-'), `model-${round}-${KILL_POINTS.indexOf(point)}.ckpt`);
        // A different file each time (a different expert group keeps rounds apart on chain).
        const group = `g${round}${KILL_POINTS.indexOf(point)}`;
        writeFileSync(file, trainedCheckpoint());

        let serve = await startServe({ dataDir });
        let rpc = await connectRpc(serve.loginUrl);
        await rpc.call('vault.unlock', { password: PASSWORD });
        await commitPhaseOpens();
        const started = await rpc.call<CheckpointSubmissionView>('checkpoints.submitFile', { competitionId: COMPETITION, path: file, expertGroup: group, confirmPublish: true });
        await rpc.waitFor<CheckpointSubmissionView>('checkpoints.changed', (v) => v.id === started.id && point.when(v));
        await kill(serve);
        rpc.close();

        serve = await startServe({ dataDir });
        rpc = await connectRpc(serve.loginUrl);
        const done = rpc.waitFor<CheckpointSubmissionView>('checkpoints.changed', (v) => v.id === started.id && (v.state === 'accepted' || v.state === 'rejected' || v.state === 'failed'));
        await rpc.call('vault.unlock', { password: PASSWORD });
        const final = await done;
        // The restart found the wallet locked (the flow waited with VAULT_LOCKED): once judged,
        // no stale error is left beside the verdict, neither pushed nor stored (issue 19).
        const stored = (await rpc.call<{ submissions: CheckpointSubmissionView[] }>('checkpoints.list', {})).submissions.find((s) => s.id === started.id);
        rpc.close();
        await serve.stop();

        expect(final.state, final.error?.message ?? final.verdict?.words).toBe('accepted');
        expect(final.error).toBeNull();
        expect(stored?.error).toBeNull();
        expect(stored?.state).toBe('accepted');
        const { commitments } = await chain<{ commitments: { expert_group: string }[] }>('chain_listCommitments', { competition_id: COMPETITION, hotkey: final.hotkey });
        expect(commitments.filter((c) => c.expert_group === group)).toHaveLength(1);
        const listed = (await (await fetch(`${network.endpoints.validator}/v1/competitions/${COMPETITION}/submissions?hotkey=${final.hotkey}`)).json()) as { submissions: { expert_group: string }[] };
        expect(listed.submissions.filter((s) => s.expert_group === group)).toHaveLength(1);
      });
    }
  }
});
