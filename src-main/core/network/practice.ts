/**
 * The practice network is a separate party (src-main/devnet) that core may not import. The host
 * that runs core provides this hook: `minerva serve` starts the parties in its own process (or
 * attaches to ones already running); the Electron shell runs them in a utility process.
 */
export interface PracticeEndpoints {
  chain: string;
  hub: string;
  [party: string]: string;
}

export interface PracticeNetworkHost {
  /**
   * Starts the practice network, or attaches to one already running for this data dir. `signal`
   * aborts when the app stops before the start is done: a host still waiting to begin (serve waits
   * for the first page to load) gives up at once (rejects) instead of starting a network only to stop it.
   */
  start(signal?: AbortSignal): Promise<{ endpoints: PracticeEndpoints; attached: boolean }>;
  /** Stops what this host started (an attached network is left running). */
  stop(): Promise<void>;
  /**
   * The practice router's API token (its `ROUTER_API_TOKENS`, first entry) for the Playground's
   * completions; null when this host cannot read it. Stays in the main process: never sent to the renderer.
   */
  routerApiToken?(): Promise<string | null>;
}
