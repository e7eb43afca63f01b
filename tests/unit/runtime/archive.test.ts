import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ARCHIVE_LIMITS, extractArchive, inspectArchive, normaliseMemberPath } from '@core/runtime/archive';

/** Hand-made tar members, independent of the code under test. */
function header(o: { name: string; type?: string; size?: number; link?: string; prefix?: string; badChecksum?: boolean; base256?: boolean }): Buffer {
  const h = Buffer.alloc(512, 0);
  h.write(o.name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 8, 'ascii');
  h.write('0000000\0', 108, 8, 'ascii');
  h.write('0000000\0', 116, 8, 'ascii');
  h.write(`${(o.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
  if (o.base256) h[124] = 0x80;
  h.write('00000000000\0', 136, 12, 'ascii');
  h.fill(0x20, 148, 156);
  h.write(o.type ?? '0', 156, 1, 'ascii');
  if (o.link) h.write(o.link, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  if (o.prefix) h.write(o.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${(o.badChecksum ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}
const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
const file = (name: string, body: string | Buffer, extra: Parameters<typeof header>[0] extends infer T ? Partial<T> : never = {}) => {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return Buffer.concat([header({ name, size: data.length, ...extra }), data, pad(data.length)]);
};
const pax = (records: Record<string, string>) => {
  const body = Buffer.from(
    Object.entries(records)
      .map(([k, v]) => {
        const rest = ` ${k}=${v}\n`;
        let len = rest.length + 2;
        while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
        return `${len}${rest}`;
      })
      .join(''),
  );
  return Buffer.concat([header({ name: 'PaxHeader', type: 'x', size: body.length }), body, pad(body.length)]);
};
const end = Buffer.alloc(1024);
const tar = (...members: Buffer[]) => Buffer.concat([...members, end]);

let dir: string;
const write = (bytes: Buffer, name = 'bundle.tar') => {
  dir = mkdtempSync(join(tmpdir(), 'minerva-archive-'));
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('untrusted bundle archives', () => {
  it('unpacks a plain archive of files and folders (tar and tar.gz)', async () => {
    const bytes = tar(header({ name: 'm/', type: '5' }), file('m/model.cjs', 'module.exports = 1;\n'), file('./m/data/w.bin', Buffer.alloc(700, 7)));
    for (const [name, data] of [['b.tar', bytes], ['b.tar.gz', gzipSync(bytes)]] as const) {
      const p = write(data, name);
      const out = join(dir, 'out');
      const summary = await extractArchive(p, out);
      expect(summary).toMatchObject({ files: 2, directories: 1, totalBytes: 720 });
      expect(readFileSync(join(out, 'm/model.cjs'), 'utf8')).toBe('module.exports = 1;\n');
      expect(readFileSync(join(out, 'm/data/w.bin'))).toEqual(Buffer.alloc(700, 7));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const hostile: Array<[string, Buffer, RegExp]> = [
    ['an absolute path', tar(file('/etc/cron.d/evil', 'x')), /absolute path/],
    ['a .. component', tar(file('m/../../evil', 'x')), /climbs out/],
    ['a .. in the ustar prefix', tar(file('evil', 'x', { prefix: '../..' })), /climbs out/],
    ['a .. hidden in a pax path', tar(pax({ path: '../evil' }), file('innocent', 'x')), /climbs out/],
    ['a .. hidden in a GNU long name', tar(file('././@LongLink', '../../evil\0', { type: 'L' }), file('innocent', 'x')), /climbs out/],
    ['a symbolic link', tar(header({ name: 'link', type: '2', link: '/etc/passwd' })), /symbolic link/],
    ['a hard link', tar(file('a', 'x'), header({ name: 'b', type: '1', link: 'a' })), /hard link/],
    ['a character device', tar(header({ name: 'null', type: '3' })), /device/],
    ['a block device', tar(header({ name: 'sda', type: '4' })), /device/],
    ['a FIFO', tar(header({ name: 'pipe', type: '6' })), /FIFO/],
    ['a sparse file', tar(header({ name: 'sparse', type: 'S' })), /unsupported member type/],
    ['a duplicate name', tar(file('a.js', 'x'), file('a.js', 'y')), /appears twice/],
    ['a name differing only in case', tar(file('Model.js', 'x'), file('model.js', 'y')), /appears twice/],
    ['a file under a file', tar(file('a', 'x'), file('a/b', 'y')), /under a file/],
    ['a backslash path', tar(file('..\\evil', 'x')), /backslashes/],
    ['a bad checksum', tar(file('a', 'x', { badChecksum: true })), /bad checksum/],
    ['a base-256 size', tar(file('a', 'x', { base256: true })), /base-256/],
    ['a truncated archive', file('a', 'x'.repeat(2000)).subarray(0, 1000), /truncated|end-of-archive/],
    ['no end marker', file('a', 'x'), /end-of-archive/],
    ['garbage', Buffer.from('this is not a tar file at all'.repeat(40)), /bad checksum|well-formed/],
  ];
  for (const [what, bytes, reason] of hostile) {
    it(`refuses ${what} before writing anything`, async () => {
      const p = write(bytes);
      const out = join(dir, 'out');
      await expect(extractArchive(p, out)).rejects.toMatchObject({ code: 'ARCHIVE_REFUSED', message: expect.stringMatching(reason) as unknown });
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir)).toEqual(['bundle.tar']);
    });
  }

  it('refuses a hostile member that comes after good ones, leaving nothing behind', async () => {
    const p = write(tar(file('ok.js', 'fine'), header({ name: 'later', type: '2', link: '../../x' })));
    await expect(extractArchive(p, join(dir, 'out'))).rejects.toMatchObject({ code: 'ARCHIVE_REFUSED' });
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('caps sizes: one file, the total, the member count and the compressed input', async () => {
    const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxFileBytes: 1000, maxTotalBytes: 1500, maxEntries: 3, maxArchiveBytes: 50_000 };
    await expect(inspectArchive(write(tar(file('big', Buffer.alloc(1001)))), limits)).rejects.toThrow(/larger than 1000 bytes/);
    await expect(inspectArchive(write(tar(file('a', Buffer.alloc(900)), file('b', Buffer.alloc(900)))), limits)).rejects.toThrow(/unpacked size over 1500/);
    await expect(inspectArchive(write(tar(file('a', ''), file('b', ''), file('c', ''), file('d', ''))), limits)).rejects.toThrow(/exceed 3 members/);
    await expect(inspectArchive(write(Buffer.alloc(60_000)), limits)).rejects.toMatchObject({ code: 'ARCHIVE_REFUSED' });
    // a gzip bomb: tiny compressed, huge unpacked, stopped by the unpacked cap while reading
    const bomb = gzipSync(tar(file('zeros', Buffer.alloc(20 * 1024 * 1024))));
    expect(bomb.length).toBeLessThan(50_000);
    await expect(inspectArchive(write(bomb, 'bomb.tar.gz'), { ...limits, maxFileBytes: 100 * 1024 ** 2 })).rejects.toMatchObject({ code: 'ARCHIVE_REFUSED' });
  });

  it('unpacks only into a fresh folder', async () => {
    const p = write(tar(file('a', 'x')));
    const out = join(dir, 'out');
    await extractArchive(p, out);
    await expect(extractArchive(p, out)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('normaliseMemberPath', () => {
  it.each([
    ['./a/b.js', 'a/b.js'],
    ['a/b/', 'a/b'],
    ['./', ''],
  ])('%s → %s', (raw, want) => expect(normaliseMemberPath(raw)).toBe(want));
  it.each(['/a', 'a/../b', '..', 'C:/x', 'a//b', 'a/./b', 'a\u0001b', 'a\\b'])('refuses %j', (raw) => {
    expect(() => normaliseMemberPath(raw)).toThrow(/refused/);
  });
});
