import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteReplayStore } from '@devnet/common/replay-store';
import { MemoryReplayStore, replayKey, type ReplayStore } from '@shared/protocol/replay-store';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sqlite(): { store: SqliteReplayStore; file: string; db: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'minerva-replay-'));
  dirs.push(dir);
  const file = join(dir, 'router.db');
  const db = new Database(file);
  return { store: new SqliteReplayStore(db), file, db };
}

describe.each([
  ['memory', () => new MemoryReplayStore() as ReplayStore],
  ['sqlite', () => sqlite().store as ReplayStore],
])('%s replay store', (_name, make) => {
  it('accepts once, refuses inside the window, accepts again after it', () => {
    const s = make();
    expect(s.checkAndRecord('a', 1000, 600)).toBe(true);
    expect(s.checkAndRecord('a', 1000, 600)).toBe(false);
    expect(s.checkAndRecord('a', 1599, 600)).toBe(false);
    expect(s.checkAndRecord('b', 1599, 600)).toBe(true);
    expect(s.checkAndRecord('a', 1600, 600)).toBe(true);
    expect(s.checkAndRecord('a', 1601, 600)).toBe(false);
  });
});

describe('SqliteReplayStore', () => {
  it('survives a restart of the party', () => {
    const { store, file, db } = sqlite();
    expect(store.checkAndRecord('n1', 50, 86400)).toBe(true);
    db.close();
    const reopened = new SqliteReplayStore(new Database(file));
    expect(reopened.checkAndRecord('n1', 60, 86400)).toBe(false);
    expect(reopened.checkAndRecord('n2', 60, 86400)).toBe(true);
  });
  it('two connections to one database (two router processes) cannot both accept a nonce', () => {
    const { store, file } = sqlite();
    const other = new SqliteReplayStore(new Database(file));
    const results = [store.checkAndRecord('dup', 10, 600), other.checkAndRecord('dup', 10, 600), store.checkAndRecord('dup', 11, 600)];
    expect(results.filter(Boolean)).toHaveLength(1);
  });
  it('forgets old entries', () => {
    const { store, db } = sqlite();
    for (let i = 0; i < 10; i += 1) store.checkAndRecord(`k${i}`, i, 5);
    store.checkAndRecord('late', 100, 5);
    expect((db.prepare('SELECT COUNT(*) AS n FROM replay_nonces').get() as { n: number }).n).toBe(1);
  });
  it('replay keys do not collide across parts', () => {
    expect(replayKey('a:b', 'c')).not.toBe(replayKey('a', 'b:c'));
  });
});
