import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '@common/process';
import { AppError } from '@shared/contract/errors';

/**
 * One running Minerva per data folder: two cores on the same folder would both run job loops and
 * write the same vault. The lock is a file created exclusively, holding the owner's pid; a lock
 * whose process is gone (a crash) is taken over.
 */
export interface DataDirLock {
  release(): void;
}

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

/** Who holds the data folder right now (a live process), or undefined when nobody does. */
export function dataDirHolder(dataDir: string): LockInfo | undefined {
  let holder: LockInfo;
  try {
    holder = JSON.parse(readFileSync(join(dataDir, 'minerva.lock'), 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
  return typeof holder.pid === 'number' && holder.pid !== process.pid && isProcessAlive(holder.pid) ? holder : undefined;
}

export function acquireDataDirLock(dataDir: string, host: string): DataDirLock {
  const file = join(dataDir, 'minerva.lock');
  const info: LockInfo = { pid: process.pid, host, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            const current = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
            if (current.pid === process.pid) rmSync(file, { force: true });
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      } catch {
        holder = undefined;
      }
      if (holder && holder.pid !== process.pid && isProcessAlive(holder.pid)) {
        throw new AppError(
          'CONFLICT',
          `Minerva is already running with this data folder (process ${holder.pid}, ${holder.host === 'electron' ? 'the desktop app' : 'minerva serve'}). Close it first, or start with another --data-dir.`,
        );
      }
      // Left behind by a process that is gone: take it over.
      rmSync(file, { force: true });
    }
  }
  throw new AppError('CONFLICT', 'Could not lock the data folder. Close other copies of Minerva and try again.');
}
