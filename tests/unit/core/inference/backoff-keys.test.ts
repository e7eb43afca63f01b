import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from '@core/kernel/retry';
import { KeyCache } from '@core/inference/key-cache';

describe('backoff with jitter', () => {
  it('doubles per attempt between half and all of the ceiling, capped', () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, { ...opts, random: () => 1 }))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, { ...opts, random: () => 0 }))).toEqual([50, 100, 200, 400, 500, 500]);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(3, opts)));
    expect(spread.size).toBeGreaterThan(5);
    for (const d of spread) expect(d).toBeGreaterThanOrEqual(200);
    expect(backoffDelay(10_000, opts)).toBeLessThanOrEqual(1000);
  });

  it('sleep ends early (false) when aborted', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    expect(await p).toBe(false);
    expect(await sleep(1)).toBe(true);
  });
});

describe('key cache', () => {
  it('fetches once per (router, scope, version), hands out copies, and wipes to zeros', async () => {
    const cache = new KeyCache();
    let fetches = 0;
    const key = new Uint8Array(32).fill(7);
    const fetchKey = () => {
      fetches += 1;
      return Promise.resolve(key.slice());
    };
    const id = KeyCache.id('http://r', '101', 'v1');
    const [a, b] = await Promise.all([cache.get(id, fetchKey), cache.get(id, fetchKey)]);
    expect(fetches).toBe(1);
    a.fill(0);
    expect(b[0]).toBe(7);
    expect((await cache.get(id, fetchKey))[0]).toBe(7);
    await cache.get(KeyCache.id('http://r', '101', 'v2'), fetchKey);
    expect(fetches).toBe(2);
    expect(cache.size).toBe(2);
    cache.wipe();
    expect(cache.size).toBe(0);
    await cache.get(id, fetchKey);
    expect(fetches).toBe(3);
  });

  it('does not keep a key whose fetch was in flight during a wipe', async () => {
    const cache = new KeyCache();
    let release: (k: Uint8Array) => void = () => undefined;
    const pending = cache.get('x', () => new Promise<Uint8Array>((r) => (release = r)));
    cache.wipe();
    release(new Uint8Array(32).fill(1));
    await pending;
    expect(cache.size).toBe(0);
  });
});
