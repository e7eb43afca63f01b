/**
 * Scoped payload keys (PROTOCOLS §2.3) in memory only, per (router, scope, key_version): a
 * rotation brings a new version, whose key is fetched the first time an envelope names it. `wipe`
 * (on wallet lock) zero-fills every key; a fetch that was in flight during a wipe is not kept.
 * Callers get a copy, which they zero-fill when their job is done with it.
 */
export class KeyCache {
  private readonly keys = new Map<string, Uint8Array>();
  private readonly pending = new Map<string, Promise<Uint8Array>>();
  private generation = 0;

  static id(routerUrl: string, scope: string, keyVersion: string): string {
    return `${routerUrl}|${scope}|${keyVersion}`;
  }

  get size(): number {
    return this.keys.size;
  }

  async get(id: string, fetchKey: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const known = this.keys.get(id);
    if (known) return known.slice();
    let inflight = this.pending.get(id);
    if (!inflight) {
      const generation = this.generation;
      inflight = fetchKey().then(
        (key) => {
          this.pending.delete(id);
          if (generation === this.generation) this.keys.set(id, key.slice());
          return key;
        },
        (error: unknown) => {
          this.pending.delete(id);
          throw error;
        },
      );
      this.pending.set(id, inflight);
    }
    return (await inflight).slice();
  }

  wipe(): void {
    this.generation += 1;
    for (const key of this.keys.values()) key.fill(0);
    this.keys.clear();
    this.pending.clear();
  }
}
