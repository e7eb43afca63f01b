/**
 * The one wait-for-unlock of core. Flows and workers never look at the vault directly: they get
 * this gate (built by the vault feature from its lock events) and wait on it.
 */
export interface UnlockGate {
  isUnlocked(): boolean;
  /** Resolves at the next unlock (at once when unlocked), or when `signal` aborts. */
  whenUnlocked(signal?: AbortSignal): Promise<void>;
  /** Listeners for lock changes (the wallet's own events, without any key material). */
  onChange(listener: (unlocked: boolean) => void): () => void;
}

/** A gate over any "is it unlocked?" source that reports its changes through `notify`. */
export class SimpleUnlockGate implements UnlockGate {
  private readonly listeners = new Set<(unlocked: boolean) => void>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly unlocked: () => boolean) {}

  isUnlocked(): boolean {
    return this.unlocked();
  }

  whenUnlocked(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.unlocked() || signal?.aborted) return resolve();
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  onChange(listener: (unlocked: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The source changed: wake the waiters (on unlock) and tell the listeners. */
  notify(): void {
    const unlocked = this.unlocked();
    if (unlocked) for (const wake of [...this.waiters]) wake();
    for (const listener of [...this.listeners]) {
      try {
        listener(unlocked);
      } catch {
        // one listener's failure must not stop the others
      }
    }
  }

  /** Releases every waiter (core is closing). */
  releaseAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
