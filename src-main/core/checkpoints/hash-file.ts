import { stat } from 'node:fs/promises';
import { AppError } from '@shared/contract/errors';
import { WarmWorkers } from '../kernel/worker-task';
import { whatItIs } from './publishable';

/**
 * A ring of 2 slots of 256 KiB between the reader thread and the hashing thread (hash-worker.cjs
 * has the figures): 512 KiB however large the file. A small ring measured fastest on a quiet
 * machine: the hasher reads what the other core just wrote, which costs less while it is small.
 */
const CHUNK_BYTES = 256 * 1024;
const DEPTH = 2;

/**
 * The worker's file. From source it is this folder's hash-worker.cjs; in the bundles
 * (dist/node/*.cjs, where `import.meta.url` is the bundle's own URL) scripts/build.mjs puts the
 * same file beside them, so one expression finds it in both.
 */
const WORKER_URL = new URL('./hash-worker.cjs', import.meta.url);

/**
 * Hashing threads stay warm for a minute after a hash (the preview and the submission hash the
 * same file seconds apart); idle, they hold nothing open. Node builtins only: no flags (the
 * reader thread inherits them), e.g. no tsx loader in the bench.
 */
const IDLE_MS = 60_000;
export const hashWorkers = new WarmWorkers(WORKER_URL, { execArgv: [], idleMs: IDLE_MS });

function readError(path: string, error: unknown): AppError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return new AppError('NOT_FOUND', `Minerva may not read ${path}. Check its permissions.`);
  if (code === 'ENOENT') return new AppError('NOT_FOUND', `There is no file at ${path}. Check the path and try again.`);
  if (code === 'EISDIR') return new AppError('VALIDATION', `${path} is not a file.`);
  return new AppError('INTERNAL', `Minerva could not read ${path} (${code ?? 'read failed'}). Check the disk and try again.`);
}

/**
 * SHA-256 of a file on worker threads (one reads the next chunks while the other hashes, constant
 * memory; kept warm between hashes), so the main event loop stays free however large the file. Reports progress at most
 * every `everyMs`; an aborted `signal` stops the worker and rejects with the signal's reason.
 */
export async function hashFile(
  path: string,
  onProgress: (done: number, total: number) => void,
  everyMs = 250,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number; mtimeMs: number }> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw readError(path, error);
  }
  if (!info.isFile()) throw new AppError('VALIDATION', `${path} ${whatItIs(info)}, not a file; a checkpoint is one file.`);
  signal?.throwIfAborted();
  const total = info.size;
  const result = await hashWorkers.run<{ type: 'progress'; done: number } | { type: 'done'; sha256: string; size: number }, { sha256: string; size: number }>({
    workerData: { path, everyMs, chunkBytes: CHUNK_BYTES, depth: DEPTH },
    signal,
    onMessage: (m, done) => {
      if (m.type === 'progress') onProgress(m.done, total);
      else done({ sha256: m.sha256, size: m.size });
    },
    aborted: () => {
      const reason: unknown = signal?.reason;
      return reason instanceof Error ? reason : new DOMException('Hashing was stopped.', 'AbortError');
    },
    // A read that failed carries its syscall; anything else is the thread itself (e.g. a broken install).
    failed: (error) => (error.syscall !== undefined ? readError(path, error) : new AppError('INTERNAL', `Minerva's hashing thread could not run (${error.code ?? error.message}). Reinstall Minerva, then try again.`)),
    exited: (code) => new AppError('INTERNAL', `The hashing thread stopped (exit ${code}) before it finished ${path}. Try again.`),
  });
  onProgress(result.size, total);
  return { ...result, mtimeMs: info.mtimeMs };
}
