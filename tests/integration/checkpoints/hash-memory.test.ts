import { createHash } from 'node:crypto';
import { closeSync, openSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile } from '@core/checkpoints/hash-file';
import { tempDataDir } from '../../helpers/serve-process';

describe('checkpoint hashing', () => {
  it('hashes a 2 GiB (sparse) file with constant memory: growth stays under 64 MiB', async () => {
    const file = join(tempDataDir('minerva-hash-'), 'big.ckpt');
    const size = 2 * 1024 * 1024 * 1024;
    const fd = openSync(file, 'w');
    ftruncateSync(fd, size);
    closeSync(fd);

    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let calls = 0;
    const result = await hashFile(
      file,
      () => {
        calls += 1;
        peak = Math.max(peak, process.memoryUsage().rss);
      },
      0,
    );
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(result.size).toBe(size);
    // SHA-256 of 2 GiB of zeros, computed independently in 16 MiB steps.
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    const expected = createHash('sha256');
    for (let i = 0; i < size / zeros.length; i += 1) expected.update(zeros);
    expect(result.sha256).toBe(expected.digest('hex'));
    expect(calls).toBeGreaterThan(100);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });
});
