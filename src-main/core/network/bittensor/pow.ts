import { randomBytes } from 'node:crypto';
import { AppError } from '@shared/contract/errors';
import { runWorkerTask } from '../../kernel/worker-task';

/**
 * The worker's file. From source it is this folder's pow-worker.mjs; in the bundle
 * (dist/node/cli.cjs, where `import.meta.url` is the bundle's own URL) scripts/build.mjs puts the
 * bundled worker beside it under the same name, so one expression finds it in both.
 */
const WORKER_URL = new URL('./pow-worker.mjs', import.meta.url);

export interface PowChallenge {
  /** The block whose hash the work is bound to (the chain accepts it for 3 blocks). */
  block: number;
  blockHash: string;
  /** The hotkey's 32-byte public key, hex. */
  hotkey: string;
  difficulty: bigint;
}

export interface PowSolution {
  block: number;
  nonce: bigint;
  /** The seal (`work`), hex. */
  seal: string;
  attempts: number;
}

/**
 * Solves subtensor's registration proof of work on a worker thread (see pow-worker.mjs for the
 * seal), so the event loop that answers the UI stays free. `onProgress(attempts)` at most every
 * `everyMs`; an aborted `signal` terminates the worker and rejects with `CANCELLED`.
 * The expected number of attempts is the difficulty itself.
 */
export function solvePow(challenge: PowChallenge, onProgress: (attempts: number) => void, signal?: AbortSignal, everyMs = 250): Promise<PowSolution> {
  // A random start, so two solves of the same challenge do not repeat each other's work.
  const startNonce = randomBytes(6).readUIntLE(0, 6);
  return runWorkerTask<{ type: 'progress'; attempts: number } | { type: 'done'; nonce: string; seal: string; attempts: number }, PowSolution>({
    url: WORKER_URL,
    workerData: { blockHash: challenge.blockHash, hotkey: challenge.hotkey, difficulty: challenge.difficulty.toString(), startNonce: String(startNonce), everyMs },
    signal,
    onMessage: (m, done) => {
      if (m.type === 'progress') onProgress(m.attempts);
      else done({ block: challenge.block, nonce: BigInt(m.nonce), seal: m.seal, attempts: m.attempts });
    },
    aborted: () => new AppError('CANCELLED', 'The proof-of-work registration was cancelled. Nothing was sent.'),
    failed: (error) => new AppError('INTERNAL', `Minerva's proof-of-work thread could not run (${error.message}). Reinstall Minerva, then try again.`),
    exited: (code) => new AppError('INTERNAL', `The proof-of-work thread stopped (exit ${code}) before it found a solution. Try again.`),
  });
}
