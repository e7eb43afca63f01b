import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AppError } from '@shared/contract/errors';

/**
 * SHA-256 of a file, streamed in 4 MiB chunks with constant memory (node:crypto uses OpenSSL's
 * SHA-NI path), reporting progress at most every `everyMs`.
 */
export async function hashFile(path: string, onProgress: (done: number, total: number) => void, everyMs = 250): Promise<{ sha256: string; size: number; mtimeMs: number }> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppError('NOT_FOUND', code === 'EACCES' ? `Minerva may not read ${path}. Check its permissions.` : `There is no file at ${path}. Check the path and try again.`);
  }
  if (!info.isFile()) throw new AppError('VALIDATION', `${path} is not a file.`);
  const hash = createHash('sha256');
  let done = 0;
  let last = 0;
  const stream = createReadStream(path, { highWaterMark: 4 * 1024 * 1024 });
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    const now = Date.now();
    if (now - last >= everyMs) {
      last = now;
      onProgress(done, info.size);
    }
  }
  onProgress(done, info.size);
  return { sha256: hash.digest('hex'), size: done, mtimeMs: info.mtimeMs };
}
