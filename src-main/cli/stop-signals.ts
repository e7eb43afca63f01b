/**
 * Ctrl+C and SIGTERM for the long-running commands (`minerva serve`, `minerva devnet start`),
 * caught before they start anything: a signal that arrives while they are still starting asks
 * them to stop once the start is done, cleanly, instead of killing the process half-way (a lock,
 * a database or practice parties left behind). The desktop app stops its practice network with
 * SIGTERM at any moment of its start (src-main/electron/practice-child-host.ts).
 */
export interface StopSignals {
  /** A SIGINT or SIGTERM came. */
  readonly requested: boolean;
  /** Resolves at the first SIGINT or SIGTERM. */
  readonly promise: Promise<void>;
  dispose(): void;
}

/** One SIGINT or SIGTERM asks the command to stop (a second one of the same kind ends the process as usual). */
export function stopSignals(): StopSignals {
  let requested = false;
  let resolveStop = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    resolveStop = resolve;
  });
  const onSignal = (): void => {
    requested = true;
    resolveStop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    get requested() {
      return requested;
    },
    promise,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
