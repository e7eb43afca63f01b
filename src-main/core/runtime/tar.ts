import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/**
 * A deliberately small, strict tar codec (POSIX ustar + pax + GNU long names).
 *
 * Reading is for untrusted archives: it parses headers only and reports every member with its
 * raw type, so the policy in archive.ts can refuse links, devices and odd paths before anything
 * touches the disk. Writing is for build contexts we assemble ourselves (a node runtime plus a
 * model bundle) with fixed owner and time, so equal inputs give equal layers.
 *
 * Hand-written rather than `tar-stream` because the reader must fail closed on anything unusual
 * (bad checksum, base-256 sizes, truncated blocks), which is easier to prove with 200 lines we own.
 */

const BLOCK = 512;

export type TarMemberType = 'file' | 'directory' | 'hardlink' | 'symlink' | 'char-device' | 'block-device' | 'fifo' | 'other';

export interface TarMember {
  /** The path as written in the archive (after pax/GNU long-name overrides). */
  path: string;
  type: TarMemberType;
  /** The raw type flag, for messages. */
  typeFlag: string;
  size: number;
  mode: number;
  linkTarget: string | null;
}

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

/** Reads exact byte counts from an async chunk source, counting what it consumed. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  consumed = 0;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly maxBytes: number,
  ) {}

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
  }

  /** Exactly n bytes, or null at a clean end of input; throws on a truncated read. */
  async read(n: number): Promise<Buffer | null> {
    await this.fill(n);
    if (this.buffered === 0 && this.ended) return null;
    if (this.buffered < n) throw new TarFormatError('the archive is truncated');
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.consumed += n;
    if (this.consumed > this.maxBytes) throw new TarFormatError(`the unpacked archive exceeds ${this.maxBytes} bytes`);
    return out;
  }

  async readExact(n: number): Promise<Buffer> {
    const b = await this.read(n);
    if (!b) throw new TarFormatError('the archive is truncated');
    return b;
  }
}

function cString(buf: Buffer, start: number, length: number): string {
  const slice = buf.subarray(start, start + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul < 0 ? slice.length : nul).toString('utf8');
}

function octal(buf: Buffer, start: number, length: number, field: string): number {
  if ((buf[start]! & 0x80) !== 0) throw new TarFormatError(`the ${field} field uses base-256 encoding, which is refused`);
  const text = cString(buf, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`the ${field} field is not an octal number`);
  const value = parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new TarFormatError(`the ${field} field is out of range`);
  return value;
}

function checksumOk(header: Buffer): boolean {
  const stored = octal(header, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === stored;
}

function typeOf(flag: string): TarMemberType {
  switch (flag) {
    case '0':
    case '\0':
    case '':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char-device';
    case '4':
      return 'block-device';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) throw new TarFormatError('a pax header is malformed');
    const len = Number(data.subarray(pos, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) throw new TarFormatError('a pax header is malformed');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw new TarFormatError('a pax header is malformed');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

export interface TarReadLimits {
  /** Cap on all bytes read from the (decompressed) archive, headers included. */
  maxBytes: number;
  /** Cap on a pax / GNU long-name header's own data. */
  maxMetaBytes?: number;
}

/**
 * Walks the members of a tar stream. For each file member `onMember` receives its description
 * and an async iterator over its content (which it may ignore: unread content is skipped).
 */
export async function walkTar(
  source: AsyncIterable<Buffer>,
  limits: TarReadLimits,
  onMember: (member: TarMember, content: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  const reader = new ByteReader(source[Symbol.asyncIterator](), limits.maxBytes);
  const maxMeta = limits.maxMetaBytes ?? 64 * 1024;
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  let longLink: string | null = null;
  for (;;) {
    const header = await reader.read(BLOCK);
    if (!header) throw new TarFormatError('the archive ends without its end-of-archive marker');
    if (header.every((b) => b === 0)) return; // end of archive (a second zero block may follow; ignore the rest)
    if (!checksumOk(header)) throw new TarFormatError('a member header has a bad checksum');
    const typeFlag = String.fromCharCode(header[156]!).replace('\0', '0');
    let size = octal(header, 124, 12, 'size');
    if (typeFlag === 'x' || typeFlag === 'g' || typeFlag === 'L' || typeFlag === 'K') {
      if (size > maxMeta) throw new TarFormatError('an extended header is too large');
      const data = await reader.readExact(size);
      await reader.readExact(padding(size));
      if (typeFlag === 'x') pax = { ...pax, ...parsePax(data) };
      else if (typeFlag === 'g') {
        const global = parsePax(data);
        if ('path' in global || 'linkpath' in global || 'size' in global) throw new TarFormatError('a global pax header sets a path or size, which is refused');
      } else if (typeFlag === 'L') longName = cString(data, 0, data.length);
      else longLink = cString(data, 0, data.length);
      continue;
    }
    const magic = header.subarray(257, 262).toString('latin1');
    const prefix = magic === 'ustar' ? cString(header, 345, 155) : '';
    let path = cString(header, 0, 100);
    if (prefix) path = `${prefix}/${path}`;
    if (longName !== null) path = longName;
    if (pax.path !== undefined) path = pax.path;
    if (pax.size !== undefined) {
      if (!/^[0-9]+$/.test(pax.size)) throw new TarFormatError('a pax size is not a number');
      size = Number(pax.size);
      if (!Number.isSafeInteger(size)) throw new TarFormatError('a pax size is out of range');
    }
    const linkTarget = pax.linkpath ?? longLink ?? (cString(header, 157, 100) || null);
    const type = typeOf(typeFlag);
    const member: TarMember = { path, type, typeFlag, size, mode: octal(header, 100, 8, 'mode'), linkTarget };
    pax = {};
    longName = null;
    longLink = null;
    // Only regular files carry content; for other types a size is read past (and policy refuses them anyway).
    let remaining = size;
    const content: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: async function* () {
        while (remaining > 0) {
          const n = Math.min(remaining, 1024 * 1024);
          const chunk = await reader.readExact(n);
          remaining -= n;
          yield chunk;
        }
      },
    };
    await onMember(member, content);
    while (remaining > 0) {
      const n = Math.min(remaining, 1024 * 1024);
      await reader.readExact(n);
      remaining -= n;
    }
    await reader.readExact(padding(size));
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface TarInput {
  /** Path inside the archive, with `/` separators and no leading slash. */
  path: string;
  type: 'file' | 'directory';
  mode?: number;
  /** For files: the bytes, or a host file to stream (its size must not change while packing). */
  content?: Buffer | { hostPath: string; size: number };
}

function writeOctal(buf: Buffer, value: number, start: number, length: number): void {
  buf.write(value.toString(8).padStart(length - 1, '0') + '\0', start, length, 'ascii');
}

function headerBlock(name: string, size: number, mode: number, typeFlag: string): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  writeOctal(h, mode, 100, 8);
  writeOctal(h, 0, 108, 8);
  writeOctal(h, 0, 116, 8);
  writeOctal(h, size, 124, 12);
  writeOctal(h, 0, 136, 12);
  h.fill(0x20, 148, 156);
  h.write(typeFlag, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, 'utf8');
}

function* headersFor(entry: TarInput, size: number): Generator<Buffer> {
  const name = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const mode = entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644);
  const flag = entry.type === 'directory' ? '5' : '0';
  if (Buffer.byteLength(name) > 100) {
    const data = paxRecord('path', name);
    yield headerBlock('PaxHeader', data.length, 0o644, 'x');
    yield data;
    yield Buffer.alloc(padding(data.length));
    yield headerBlock(name.slice(0, 99), size, mode, flag);
  } else {
    yield headerBlock(name, size, mode, flag);
  }
}

/** A tar stream of the given entries (fixed uid/gid 0 and mtime 0). */
export function packTar(entries: readonly TarInput[]): Readable {
  return Readable.from(
    (async function* () {
      for (const entry of entries) {
        const content = entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
        const size = Buffer.isBuffer(content) ? content.length : content.size;
        yield* headersFor(entry, entry.type === 'file' ? size : 0);
        if (entry.type !== 'file') continue;
        if (Buffer.isBuffer(content)) yield content;
        else {
          let seen = 0;
          for await (const chunk of createReadStream(content.hostPath) as AsyncIterable<Buffer>) {
            seen += chunk.length;
            if (seen > size) throw new Error(`${content.hostPath} grew while it was being packed`);
            yield chunk;
          }
          if (seen !== size) throw new Error(`${content.hostPath} changed size while it was being packed`);
        }
        yield Buffer.alloc(padding(size));
      }
      yield Buffer.alloc(BLOCK * 2);
    })(),
    { objectMode: false },
  );
}
