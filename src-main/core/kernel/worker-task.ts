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

/** Where a task's thread comes from, and what happens to it once the task has settled. */
interface Lease {
  worker: Worker;
  /** The task settled with its result: the thread may serve another one. */
  release: () => void;
}

function settle<Message, Result>(task: Omit<WorkerTask<Message, Result>, 'url' | 'execArgv'>, lease: () => Lease, start: (worker: Worker) => void): Promise<Result> {
  const { signal } = task;
  if (signal?.aborted) return Promise.reject(task.aborted());
  return new Promise<Result>((resolve, reject) => {
    const { worker, release } = lease();
    let settled = false;
    const finish = (fn: () => void, reusable: boolean): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (reusable) release();
      else void worker.terminate();
      fn();
    };
    const onAbort = (): void => finish(() => reject(task.aborted()), false);
    const onMessage = (message: Message): void => {
      if (!settled) task.onMessage(message, (result) => finish(() => resolve(result), true));
    };
    const onError = (error: NodeJS.ErrnoException): void => finish(() => reject(task.failed(error)), false);
    const onExit = (code: number): void => finish(() => reject(task.exited(code)), false);
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    start(worker);
  });
}

/**
 * Runs one task on a fresh worker thread and settles exactly once: with the result, the abort,
 * the thread's error or its early exit, whichever comes first (the Bittensor proof of work runs
 * this way, so the UI's event loop stays free).
 */
export function runWorkerTask<Message, Result>(task: WorkerTask<Message, Result>): Promise<Result> {
  const fresh = (): Lease => {
    const worker = new Worker(task.url, { workerData: task.workerData, ...(task.execArgv ? { execArgv: task.execArgv } : {}) });
    // After the task settled its listeners are gone; a late error must not become an uncaught one.
    worker.on('error', () => undefined);
    return { worker, release: () => undefined };
  };
  return settle(task, fresh, () => undefined);
}

/**
 * Threads of one worker file kept warm between tasks: a task goes to an idle thread as a message
 * (`task.workerData`), or to a new thread when none is idle. A thread that was aborted, failed or
 * exited is never reused; an idle one holds nothing open (unref'd) and stops after `idleMs`.
 *
 * Why: a thread's start costs ~25–35 ms here (V8 isolate + Node bootstrap), ~3–4 % of hashing a
 * GiB, and a checkpoint is hashed twice within seconds (the publish preview, then the submission).
 * The worker file must take its tasks from `parentPort` messages when `workerData.warm` is set.
 */
export class WarmWorkers {
  private readonly idle = new Map<Worker, NodeJS.Timeout>();

  constructor(
    private readonly url: URL,
    private readonly options: { execArgv?: string[]; idleMs: number },
  ) {}

  /** Runs `task` (its `workerData` is the message the thread gets; the pool's file and flags apply). */
  run<Message, Result>(task: Omit<WorkerTask<Message, Result>, 'url' | 'execArgv'>): Promise<Result> {
    return settle(task, () => this.lease(), (worker) => worker.postMessage(task.workerData));
  }

  /** Threads waiting for a task (tests). */
  get idleCount(): number {
    return this.idle.size;
  }

  /** Stops every idle thread (core's close; tests). */
  async close(): Promise<void> {
    const workers = [...this.idle.keys()];
    for (const [, timer] of this.idle) clearTimeout(timer);
    this.idle.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private lease(): Lease {
    const next = this.idle.keys().next();
    let worker: Worker;
    if (next.done) {
      worker = new Worker(this.url, { workerData: { warm: true }, ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}) });
      // An idle thread that dies (it should not) is simply forgotten.
      worker.on('exit', () => this.forget(worker));
      worker.on('error', () => undefined);
    } else {
      worker = next.value;
      clearTimeout(this.idle.get(worker));
      this.idle.delete(worker);
      worker.ref();
    }
    return { worker, release: () => this.park(worker) };
  }

  private park(worker: Worker): void {
    worker.unref();
    const timer = setTimeout(() => {
      this.idle.delete(worker);
      void worker.terminate();
    }, this.options.idleMs);
    timer.unref();
    this.idle.set(worker, timer);
  }

  private forget(worker: Worker): void {
    clearTimeout(this.idle.get(worker));
    this.idle.delete(worker);
  }
}
