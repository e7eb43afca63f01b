import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '@common/process';

describe('isProcessAlive', () => {
  it('is true for this process and false for one that exited', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(isProcessAlive(exited)).toBe(false);
  });

  it('is true for a live process of another user (EPERM), when there is one: pid 1', () => {
    // pid 1 (init) always lives; as root kill() succeeds, otherwise it answers EPERM: alive either way.
    expect(isProcessAlive(1)).toBe(true);
  });

  it('refuses what is not a process id (0 and negatives name process groups)', () => {
    for (const pid of [0, -1, -process.pid, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(isProcessAlive(pid)).toBe(false);
  });
});
