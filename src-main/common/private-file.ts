import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One private file, atomically: temp file `<path>.tmp-<pid>` (0600) → fsync → rename → fsync the
 * folder. A crash leaves the old or the new file whole under `path` (and at most a temp file that
 * `removeStaleTemps` clears). The vault, its `.bak`, the mining keys, the unlock attempts and the practice router's payloads use it.
 */
export function writePrivateFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.tmp-${process.pid}`;
  writePrivateTemp(temp, data);
  renameSync(temp, path);
  fsyncDir(dirname(path));
}

export function writePrivateTemp(temp: string, data: string | Uint8Array): void {
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported on every platform (Windows); the rename itself is still atomic
  }
}

