import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '@core/checkpoints/hash-file';
import { WarmWorkers } from '@core/kernel/worker-task';
import { isAppError } from '@shared/contract/errors';
import { REPO_ROOT } from '../../../helpers/serve-process';

/** hashFile on real files, through its real worker thread (hash-worker.cjs). */
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'minerva-hash-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sparse(name: string, size: number): string {
  const file = join(dir, name);
  const fd = openSync(file, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  return file;
}

describe('hashFile', () => {
  it('gives the SHA-256 of the whole file, with progress that only grows and ends at the size', async () => {
    // Not a multiple of the 256 KiB slot: the short last read must be hashed as it is.
    const bytes = randomBytes(8 * 1024 * 1024 + 12_345);
    const file = join(dir, 'random.bin');
    writeFileSync(file, bytes);
    const seen: [number, number][] = [];
    const result = await hashFile(file, (done, total) => seen.push([done, total]), 0);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(result.size).toBe(bytes.length);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every(([, total]) => total === bytes.length)).toBe(true);
    expect(seen.map(([done]) => done)).toEqual([...seen.map(([done]) => done)].sort((a, b) => a - b));
    expect(seen.at(-1)).toEqual([bytes.length, bytes.length]);
  });

  it('hashes an empty file', async () => {
    const file = join(dir, 'empty.bin');
    writeFileSync(file, '');
    const result = await hashFile(file, () => undefined);
    expect(result).toMatchObject({ sha256: createHash('sha256').digest('hex'), size: 0 });
  });

  it('refuses a missing file and a folder in words a miner understands', async () => {
    const missing = await hashFile(join(dir, 'nope.ckpt'), () => undefined).catch((e: unknown) => e);
    expect(isAppError(missing) && missing.code).toBe('NOT_FOUND');
    expect((missing as Error).message).toMatch(/There is no file at .*nope\.ckpt\. Check the path/);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const notFile = await hashFile(folder, () => undefined).catch((e: unknown) => e);
    expect(isAppError(notFile) && notFile.code).toBe('VALIDATION');
    expect((notFile as Error).message).toMatch(/is a folder, not a file/);
  });

  it('stops its worker when the signal aborts, and reports nothing after', async () => {
    const file = sparse('big.bin', 1024 * 1024 * 1024);
    const controller = new AbortController();
    let after = 0;
    let aborted = false;
    const outcome = await hashFile(
      file,
      () => {
        if (aborted) after += 1;
        else {
          aborted = true;
          controller.abort();
        }
      },
      0,
      controller.signal,
    ).catch((e: unknown) => e);
    expect((outcome as Error).name).toBe('AbortError');
    await new Promise((r) => setTimeout(r, 100));
    expect(after).toBe(0);

    const already = await hashFile(file, () => undefined, 250, AbortSignal.abort()).catch((e: unknown) => e);
    expect((already as Error).name).toBe('AbortError');
  });
});

/**
 * The worker itself, with the hand-off to its reader thread forced: hashFile's worker reads for
 * itself until the reader thread runs, which on a small file can be the whole file.
 */
describe('hash-worker.cjs ring', () => {
  const worker = join(REPO_ROOT, 'src-main', 'core', 'checkpoints', 'hash-worker.cjs');
  function run(path: string, ownBytes: number): Promise<{ sha256: string; size: number; progress: number[] }> {
    return new Promise((resolve, reject) => {
      const progress: number[] = [];
      // Small slots and an odd depth: the ring wraps around many times.
      const w = new Worker(worker, { workerData: { path, everyMs: 0, chunkBytes: 64 * 1024, depth: 3, ownBytes } });
      w.on('message', (m: { type: 'progress'; done: number } | { type: 'done'; sha256: string; size: number }) => {
        if (m.type === 'progress') progress.push(m.done);
        else resolve({ sha256: m.sha256, size: m.size, progress });
      });
      w.on('error', reject);
    });
  }

  it('hashes every byte in order when the reader thread reads them all, or takes over part way', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 777);
    const file = join(dir, 'ring.bin');
    writeFileSync(file, bytes);
    const expected = createHash('sha256').update(bytes).digest('hex');
    for (const ownBytes of [0, 200_000]) {
      const result = await run(file, ownBytes);
      expect(result).toMatchObject({ sha256: expected, size: bytes.length });
      expect(result.progress.length).toBeGreaterThan(50);
      expect(result.progress.at(-1)).toBe(bytes.length);
    }
  });

  it("passes a failed read on the reader thread to the host with its errno code and syscall", async () => {
    // A folder opens but cannot be read: EISDIR on the reader's first read.
    const folder = join(dir, 'ring-folder');
    mkdirSync(folder);
    const error = (await run(folder, 0).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(error).toMatchObject({ code: 'EISDIR', syscall: 'read' });
  });
});

/** The warm threads (WarmWorkers): one thread, its ring and its reader serve hash after hash. */
describe('hashing threads kept warm', () => {
  const workerUrl = pathToFileURL(join(REPO_ROOT, 'src-main', 'core', 'checkpoints', 'hash-worker.cjs'));
  type Out = { type: 'progress'; done: number } | { type: 'done'; sha256: string; size: number };
  const job = (pool: WarmWorkers, path: string, ownBytes: number): Promise<{ sha256: string; size: number }> =>
    pool.run<Out, { sha256: string; size: number }>({
      workerData: { path, everyMs: 0, chunkBytes: 64 * 1024, depth: 3, ownBytes },
      onMessage: (m, done) => {
        if (m.type === 'done') done({ sha256: m.sha256, size: m.size });
      },
      aborted: () => new Error('aborted'),
      failed: (error) => error,
      exited: (code) => new Error(`exit ${code}`),
    });
  const file = (name: string, size: number): { path: string; sha256: string } => {
    const bytes = randomBytes(size);
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
  };

  it('hashes files of every size one after another on the same thread, each through the ring', async () => {
    const pool = new WarmWorkers(workerUrl, { execArgv: [], idleMs: 60_000 });
    try {
      // Larger, smaller, empty, odd: the ring's counters start again at every job.
      const files = [file('w1.bin', 3 * 1024 * 1024 + 5), file('w2.bin', 70_000), file('w3.bin', 0), file('w4.bin', 1024 * 1024 + 1)];
      for (const [i, f] of files.entries()) {
        // The first job reads 0 bytes itself, then waits for its reader; later jobs find it running.
        expect(await job(pool, f.path, 0)).toMatchObject({ sha256: f.sha256 });
        expect(pool.idleCount, `after job ${i}`).toBe(1);
      }
    } finally {
      await pool.close();
    }
    expect(pool.idleCount).toBe(0);
  });

  it('never reuses a thread whose read failed or whose task was aborted', async () => {
    const pool = new WarmWorkers(workerUrl, { execArgv: [], idleMs: 60_000 });
    try {
      const good = file('w5.bin', 200_000);
      await job(pool, good.path, 0);
      const folder = join(dir, 'warm-folder');
      mkdirSync(folder);
      const error = (await job(pool, folder, 0).catch((e: unknown) => e)) as NodeJS.ErrnoException;
      expect(error).toMatchObject({ code: 'EISDIR', syscall: 'read' });
      expect(pool.idleCount).toBe(0);
      expect(await job(pool, good.path, 0)).toMatchObject({ sha256: good.sha256 });
      expect(pool.idleCount).toBe(1);

      const big = sparse('warm-big.bin', 1024 * 1024 * 1024);
      const controller = new AbortController();
      const run = pool.run<Out, unknown>({
        workerData: { path: big, everyMs: 0, chunkBytes: 64 * 1024, depth: 3 },
        signal: controller.signal,
        onMessage: (m) => {
          if (m.type === 'progress') controller.abort();
        },
        aborted: () => new Error('stopped'),
        failed: (e) => e,
        exited: (code) => new Error(`exit ${code}`),
      });
      await expect(run).rejects.toThrow('stopped');
      expect(pool.idleCount).toBe(0);
      expect(await job(pool, good.path, 0)).toMatchObject({ sha256: good.sha256 });
    } finally {
      await pool.close();
    }
  });

  it('stops an idle thread after its idle time', async () => {
    const pool = new WarmWorkers(workerUrl, { execArgv: [], idleMs: 50 });
    const f = file('w6.bin', 1000);
    await job(pool, f.path, Infinity);
    expect(pool.idleCount).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(pool.idleCount).toBe(0);
  });

  it('lets a process end right after a hash: a warm thread holds nothing open', () => {
    const f = file('w7.bin', 4 * 1024 * 1024);
    const script = `import { hashFile } from ${JSON.stringify(join(REPO_ROOT, 'src-main/core/checkpoints/hash-file.ts'))};
const r = await hashFile(${JSON.stringify(f.path)}, () => undefined);
console.log(r.sha256);`;
    // Without the unref the thread would keep this process alive for the whole idle minute.
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe(f.sha256);
  });
});
