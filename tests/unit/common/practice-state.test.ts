import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetParties, readPracticeNetworkState, readStateFile, recordParties, stateFile } from '@common/practice-state';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'minerva-common-state-'));
  dirs.push(d);
  return d;
}

const at = '2026-12-05T00:00:00.000Z';

describe('the practice network state file (one reader for the parties and the hosts)', () => {
  it('is <data dir>/devnet/state.json, written 0600 and atomically, merged per party', () => {
    const dir = dataDir();
    recordParties(dir, { chain: { url: 'http://127.0.0.1:1', pid: process.pid, started_at: at } });
    recordParties(dir, { hub: { url: 'http://127.0.0.1:2', pid: process.pid, started_at: at } });
    expect(stateFile(dir)).toBe(join(dir, 'devnet', 'state.json'));
    expect(statSync(stateFile(dir)).mode & 0o777).toBe(0o600);
    const raw = JSON.parse(readFileSync(stateFile(dir), 'utf8')) as { version: number; parties: Record<string, unknown> };
    expect(raw.version).toBe(1);
    expect(Object.keys(raw.parties).sort()).toEqual(['chain', 'hub']);
  });

  it('reads nothing from a missing, broken or future file', () => {
    const dir = dataDir();
    expect(readStateFile(dir)).toBeNull();
    mkdirSync(join(dir, 'devnet'));
    writeFileSync(stateFile(dir), '{"version":1,"parties":');
    expect(readStateFile(dir)).toBeNull();
    writeFileSync(stateFile(dir), JSON.stringify({ version: 2, parties: { chain: { url: 'http://127.0.0.1:1', pid: process.pid, started_at: at } } }));
    expect(readStateFile(dir)).toBeNull();
    expect(readPracticeNetworkState(dir)).toBeNull();
  });

  it('lists as live only known parties that did not stop and whose process lives', () => {
    const dir = dataDir();
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    mkdirSync(join(dir, 'devnet'));
    writeFileSync(
      stateFile(dir),
      JSON.stringify({
        version: 1,
        parties: {
          chain: { url: 'http://127.0.0.1:1', pid: process.pid, started_at: at },
          hub: { url: 'http://127.0.0.1:2', pid: gone, started_at: at },
          router: { url: 'http://127.0.0.1:3', pid: process.pid, started_at: at, stopped_at: at },
          stranger: { url: 'http://127.0.0.1:4', pid: process.pid, started_at: at },
        },
      }),
    );
    expect(readPracticeNetworkState(dir)).toEqual({ version: 1, parties: { chain: { url: 'http://127.0.0.1:1', pid: process.pid, started_at: at } } });
    forgetParties(dir, ['chain']);
    expect(readPracticeNetworkState(dir)).toBeNull();
    expect(readStateFile(dir)?.parties.chain?.stopped_at).toEqual(expect.any(String));
  });
});
