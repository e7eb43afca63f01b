import { Worker } from 'node:worker_threads';

/** How one kind of worker thread talks back, in the caller's words. */
export interface WorkerTask<Message, Result> {
  /** The worker's file (`new URL('./x-worker.cjs', import.meta.url)`: scripts/build.mjs puts it beside the bundle). */
  url: URL;
  workerData: unknown;
  /**
   * Node flags for the thread; by default the process's own. A worker of plain Node builtins needs
   * none of them: `[]` spares it a loader such as tsx's (`--import tsx`, the benches and dev runs),
   * which was measured to take a thread's start from ~25 ms to ~140 ms.
   */
  execArgv?: string[];
  /** Stops the worker: the task rejects with `aborted()` and the thread is terminated. */
  signal?: AbortSignal | undefined;
  /** Each message the worker posts; `done(result)` settles the task (later messages are ignored). */
  onMessage(message: Message, done: (result: Result) => void): void;
  /** The rejection when `signal` aborts. */
  aborted(): Error;
  /** The rejection when the thread throws (a failed read, a broken install…). */
  failed(error: NodeJS.ErrnoException): Error;
  /** The rejection when the thread exits before `done`. */
  exited(code: number): Error;
}

/**
 * Runs one task on a fresh worker thread and settles exactly once: with the result, the abort,
 * the thread's error or its early exit, whichever comes first (the checkpoint hash and the
 * Bittensor proof of work both run this way, so the UI's event loop stays free).
 */
export function runWorkerTask<Message, Result>(task: WorkerTask<Message, Result>): Promise<Result> {
  const { signal } = task;
  if (signal?.aborted) return Promise.reject(task.aborted());
  return new Promise<Result>((resolve, reject) => {
    const worker = new Worker(task.url, { workerData: task.workerData, ...(task.execArgv ? { execArgv: task.execArgv } : {}) });
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      finish(() => reject(task.aborted()));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: Message) => {
      if (settled) return;
      task.onMessage(message, (result) => finish(() => resolve(result)));
    });
    worker.on('error', (error: NodeJS.ErrnoException) => finish(() => reject(task.failed(error))));
    worker.on('exit', (code) => finish(() => reject(task.exited(code))));
  });
}
