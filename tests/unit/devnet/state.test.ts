import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetParties, readPracticeNetworkState, readStateFile, recordParties } from '@devnet/state';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid;
}

describe('practice network state file', () => {
  it('lists only parties whose process lives and that did not stop', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'minerva-state-'));
    dirs.push(dataDir);
    expect(readPracticeNetworkState(dataDir)).toBeNull();
    const at = new Date().toISOString();
    recordParties(dataDir, { chain: { url: 'http://127.0.0.1:1', pid: process.pid, started_at: at }, hub: { url: 'http://127.0.0.1:2', pid: deadPid(), started_at: at } });
    expect(Object.keys(readPracticeNetworkState(dataDir)!.parties)).toEqual(['chain']);

    // Another process's entry is not ours to mark stopped.
    forgetParties(dataDir, ['chain'], process.pid + 1);
    expect(readPracticeNetworkState(dataDir)?.parties.chain).toBeDefined();

    forgetParties(dataDir, ['chain']);
    expect(readPracticeNetworkState(dataDir)).toBeNull();
    // The stopped entry keeps its address for the next start.
    expect(readStateFile(dataDir)?.parties.chain).toMatchObject({ url: 'http://127.0.0.1:1', stopped_at: expect.any(String) as string });
  });
});
