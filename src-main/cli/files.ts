import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AppError } from '@shared/contract/errors';

/**
 * Reads a small text file a user named on the command line (a receipt, a password file): a
 * regular file only (a folder, FIFO or device like /dev/zero is refused in words, never read
 * forever) and at most `maxBytes`.
 */
export function readSmallFile(path: string, maxBytes: number, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('NOT_FOUND', `There is no file at ${path}.`);
    if (code === 'EISDIR') throw new AppError('VALIDATION', `${path} is a folder, not ${what}.`);
    throw new AppError('VALIDATION', `${path} cannot be read (${code ?? 'error'}).`);
  }
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) throw new AppError('VALIDATION', `${path} is a folder, not ${what}.`);
    if (!info.isFile()) throw new AppError('VALIDATION', `${path} is a device or pipe, not ${what}.`);
    if (info.size > maxBytes) throw new AppError('TOO_LARGE', `${path} is ${info.size} bytes; ${what} is at most ${maxBytes}.`);
    const buffer = Buffer.alloc(info.size);
    let read = 0;
    while (read < info.size) {
      const n = readSync(fd, buffer, read, info.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
