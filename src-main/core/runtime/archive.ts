import { createReadStream, openSync, readSync, closeSync, constants as fsConstants, realpathSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { AppError } from '@shared/contract/errors';
import { TarFormatError, walkTar, type TarMember } from './tar';

/**
 * Model bundles that arrive as archives (.tar or .tar.gz) are untrusted input. Every member is
 * checked before anything is written: absolute paths, `..`, links, devices, FIFOs, duplicate
 * names and unknown member types are refused, and sizes (each file, the whole, the number of
 * members, the compressed input) are capped. Extraction is a second pass that repeats the checks
 * and creates files with O_EXCL | O_NOFOLLOW inside a fresh, empty folder.
 */

export interface ArchiveLimits {
  /** Compressed (on-disk) size of the archive. */
  maxArchiveBytes: number;
  /** Sum of all file sizes once unpacked. */
  maxTotalBytes: number;
  maxFileBytes: number;
  maxEntries: number;
  maxPathLength: number;
  maxDepth: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxArchiveBytes: 2 * 1024 ** 3,
  maxTotalBytes: 4 * 1024 ** 3,
  maxFileBytes: 2 * 1024 ** 3,
  maxEntries: 10_000,
  maxPathLength: 240,
  maxDepth: 24,
};

export interface ArchiveSummary {
  files: number;
  directories: number;
  totalBytes: number;
  /** Normalised member paths (files and directories), in archive order. */
  paths: string[];
}

function refuse(member: string, reason: string): AppError {
  const shown = member.length > 80 ? `${member.slice(0, 77)}…` : member;
  return new AppError('ARCHIVE_REFUSED', `The model archive was refused before anything was unpacked: "${shown}" ${reason}. Ask the model's author for a plain archive of regular files and folders.`, {
    details: { member: shown, reason },
  });
}

/** Pure: the normalised relative path of a member, or an ARCHIVE_REFUSED error saying why not. */
export function normaliseMemberPath(raw: string, limits: Pick<ArchiveLimits, 'maxPathLength' | 'maxDepth'> = DEFAULT_ARCHIVE_LIMITS): string {
  if (raw.length === 0) throw refuse(raw, 'has an empty name');
  if (raw.includes('\0')) throw refuse(raw, 'has a NUL byte in its name');
  if (raw.includes('\\')) throw refuse(raw, 'uses backslashes in its path');
  if (raw.startsWith('/')) throw refuse(raw, 'has an absolute path');
  if (/^[a-zA-Z]:/.test(raw)) throw refuse(raw, 'has a drive-letter path');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw refuse(raw, 'has control characters in its name');
  const parts = raw.split('/').filter((p, i, all) => !(p === '' && i === all.length - 1));
  const kept: string[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === '..') throw refuse(raw, 'climbs out of the bundle with ".."');
    if (part === '.' && i === 0) continue;
    if (part === '' || part === '.') throw refuse(raw, 'has an empty or "." path component');
    kept.push(part);
  }
  if (kept.length === 0) return '';
  const path = kept.join('/');
  if (path.length > limits.maxPathLength) throw refuse(raw, `has a path longer than ${limits.maxPathLength} characters`);
  if (kept.length > limits.maxDepth) throw refuse(raw, `is nested deeper than ${limits.maxDepth} folders`);
  return path;
}

function describeType(member: TarMember): string {
  switch (member.type) {
    case 'symlink':
      return 'is a symbolic link (links are refused)';
    case 'hardlink':
      return 'is a hard link (links are refused)';
    case 'char-device':
    case 'block-device':
      return 'is a device file';
    case 'fifo':
      return 'is a FIFO';
    case 'other':
      return `has an unsupported member type "${member.typeFlag}"`;
    case 'file':
    case 'directory':
      return 'is allowed';
    default: {
      const never: never = member.type;
      return String(never);
    }
  }
}

/** Checks one member against the policy and the running totals; returns its normalised path. */
class ArchivePolicy {
  readonly summary: ArchiveSummary = { files: 0, directories: 0, totalBytes: 0, paths: [] };
  private readonly seen = new Map<string, 'file' | 'directory'>();

  constructor(private readonly limits: ArchiveLimits) {}

  admit(member: TarMember): string {
    if (member.type !== 'file' && member.type !== 'directory') throw refuse(member.path, describeType(member));
    const path = normaliseMemberPath(member.path, this.limits);
    if (path === '') {
      if (member.type === 'directory') return '';
      throw refuse(member.path, 'has no file name');
    }
    if (this.summary.files + this.summary.directories + 1 > this.limits.maxEntries) throw refuse(member.path, `would exceed ${this.limits.maxEntries} members`);
    const key = path.toLowerCase();
    const prior = this.seen.get(key);
    if (prior !== undefined && !(prior === 'directory' && member.type === 'directory')) throw refuse(member.path, 'appears twice (or differs only by letter case)');
    const parts = key.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      if (this.seen.get(parts.slice(0, i).join('/')) === 'file') throw refuse(member.path, 'is placed under a file');
    }
    if (member.type === 'file') {
      if (member.size > this.limits.maxFileBytes) throw refuse(member.path, `is larger than ${this.limits.maxFileBytes} bytes`);
      if (this.summary.totalBytes + member.size > this.limits.maxTotalBytes) throw refuse(member.path, `brings the unpacked size over ${this.limits.maxTotalBytes} bytes`);
      this.summary.totalBytes += member.size;
      this.summary.files += 1;
    } else if (prior === undefined) {
      this.summary.directories += 1;
    }
    if (prior === undefined) {
      this.seen.set(key, member.type);
      this.summary.paths.push(path);
    }
    return path;
  }
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

async function walk(archivePath: string, limits: ArchiveLimits, onMember: (member: TarMember, path: string, content: AsyncIterable<Buffer>) => Promise<void>): Promise<ArchiveSummary> {
  const policy = new ArchivePolicy(limits);
  const shownName = archivePath.split(sep).pop() ?? 'archive';
  if (statSync(archivePath).size > limits.maxArchiveBytes) throw refuse(shownName, `is larger than ${limits.maxArchiveBytes} bytes`);
  let raw = 0;
  const file = createReadStream(archivePath);
  file.on('data', (chunk) => {
    raw += chunk.length;
    if (raw > limits.maxArchiveBytes) file.destroy(refuse(shownName, `is larger than ${limits.maxArchiveBytes} bytes`));
  });
  const source = isGzip(archivePath) ? file.pipe(createGunzip()) : file;
  file.on('error', (err) => source.destroy(err));
  // Headers and padding add at most 1.5 KiB per member on top of the content.
  const maxBytes = limits.maxTotalBytes + (limits.maxEntries + 4) * 1536 + 1024 * 1024;
  try {
    await walkTar(source as AsyncIterable<Buffer>, { maxBytes }, async (member, content) => {
      const path = policy.admit(member);
      await onMember(member, path, content);
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof TarFormatError) throw refuse(shownName, `is not a well-formed tar archive (${err.message})`);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw refuse(shownName, 'is not valid gzip data');
    throw err;
  } finally {
    file.destroy();
  }
  return policy.summary;
}

/** Pass 1: checks every member without writing anything. */
export async function inspectArchive(archivePath: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<ArchiveSummary> {
  return walk(archivePath, limits, () => Promise.resolve());
}

/**
 * Checks the whole archive, then unpacks it into `destDir`, which must not exist or be empty.
 * On any failure during unpacking the folder's contents are removed again.
 */
export async function extractArchive(archivePath: string, destDir: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<ArchiveSummary> {
  await inspectArchive(archivePath, limits);
  await mkdir(destDir, { recursive: true, mode: 0o700 });
  if ((await readdir(destDir)).length > 0) throw new AppError('CONFLICT', `The folder ${destDir} is not empty; a model archive is only unpacked into a fresh folder.`);
  const root = realpathSync(destDir);
  const inside = (rel: string): string => {
    const target = resolve(root, ...rel.split('/'));
    const back = relative(root, target);
    if (back.startsWith('..') || resolve(root, back) !== target) throw refuse(rel, 'resolves outside the bundle folder');
    return target;
  };
  try {
    return await walk(archivePath, limits, async (member, rel, content) => {
      if (rel === '') return;
      const target = inside(rel);
      if (member.type === 'directory') {
        await mkdir(target, { recursive: true, mode: 0o755 });
        return;
      }
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      const mode = (member.mode & 0o111) !== 0 ? 0o755 : 0o644;
      const handle = await open(target, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, mode);
      try {
        let written = 0;
        for await (const chunk of content) {
          written += chunk.length;
          if (written > member.size) throw refuse(rel, 'holds more data than its header says');
          await handle.write(chunk);
        }
      } finally {
        await handle.close();
      }
    });
  } catch (err) {
    for (const name of await readdir(root)) await rm(join(root, name), { recursive: true, force: true });
    throw err;
  }
}
