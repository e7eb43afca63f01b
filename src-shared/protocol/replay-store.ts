/**
 * Nonce replay protection (PROTOCOLS §2.6 and §4). A verifier records a nonce only after the
 * signature verified; a second sighting of the same key inside the window is a replay.
 *
 * Implementations: `MemoryReplayStore` below (tests, single-process tools) and the SQLite store
 * of the practice network (src-main/devnet/common/replay-store.ts).
 */
export interface ReplayStore {
  /**
   * Records `key` as seen at `nowSeconds` unless it was already seen within `windowSeconds`.
   * Returns true when it is fresh (now recorded), false when it is a replay. Entries older than
   * the window may be forgotten.
   */
  checkAndRecord(key: string, nowSeconds: number, windowSeconds: number): boolean;
}

/** A replay key made of parts that cannot collide (length-prefixed). */
export function replayKey(...parts: readonly (string | number)[]): string {
  return parts.map((p) => `${String(p).length}:${String(p)}`).join('|');
}

export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  checkAndRecord(key: string, nowSeconds: number, windowSeconds: number): boolean {
    if (nowSeconds - this.lastSweep > windowSeconds) {
      for (const [k, at] of this.seen) if (nowSeconds - at >= windowSeconds) this.seen.delete(k);
      this.lastSweep = nowSeconds;
    }
    const at = this.seen.get(key);
    if (at !== undefined && nowSeconds - at < windowSeconds) return false;
    this.seen.set(key, nowSeconds);
    return true;
  }
}
