import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listenLoopback } from '@devnet/common/http';
import { DownloadError, downloadCheckpoint } from '@devnet/validator/download';

const BODY = Buffer.from('checkpoint bytes '.repeat(100));
let server: Server;
let base: string;
const seen: string[] = [];
const held: ServerResponse[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  seen.push(path);
  switch (path) {
    case '/ok':
      res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
      return;
    case '/same-host':
      res.writeHead(302, { location: '/ok' }).end();
      return;
    case '/other-host':
      // Same machine, another host name: the validator must not follow it.
      res.writeHead(302, { location: `http://localhost:${new URL(base).port}/ok` }).end();
      return;
    case '/loop':
      res.writeHead(307, { location: '/loop' }).end();
      return;
    case '/declared-large':
      res.writeHead(200, { 'content-length': 5000 }).end(Buffer.alloc(5000));
      return;
    case '/chunked-large':
      // No Content-Length: the cap must hold while streaming.
      res.writeHead(200);
      for (let i = 0; i < 10; i += 1) res.write(Buffer.alloc(1000, i));
      res.end();
      return;
    case '/missing':
      res.writeHead(404).end();
      return;
    case '/hang':
      held.push(res);
      res.writeHead(200, { 'content-length': 100 });
      res.write(Buffer.alloc(10));
      return;
    default:
      res.writeHead(500).end();
  }
}

beforeAll(async () => {
  server = createServer(handle);
  base = await listenLoopback(server);
});

afterAll(async () => {
  for (const r of held) r.destroy();
  await closeServer(server);
});

const opts = { maxBytes: 2048, timeoutMs: 2000 };

async function failure(url: string, options = opts): Promise<DownloadError> {
  const error = await downloadCheckpoint(url, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DownloadError);
  return error as DownloadError;
}

describe('checkpoint download (PROTOCOLS §3 check 4)', () => {
  it('returns the bytes with their streamed SHA-256', async () => {
    const got = await downloadCheckpoint(`${base}/ok`, opts);
    expect(got.size).toBe(BODY.length);
    expect(got.sha256).toBe(createHash('sha256').update(BODY).digest('hex'));
    expect(Buffer.compare(got.bytes, BODY)).toBe(0);
  });

  it('follows a redirect on the same host', async () => {
    const got = await downloadCheckpoint(`${base}/same-host`, opts);
    expect(got.redirects).toBe(1);
    expect(got.finalUrl).toBe(`${base}/ok`);
  });

  it('refuses a redirect to another host without contacting it', async () => {
    const before = seen.filter((p) => p === '/ok').length;
    const e = await failure(`${base}/other-host`);
    expect(e.reason).toBe('DOWNLOAD_FAILED');
    expect(e.message).toMatch(/another host \(localhost\)/);
    expect(seen.filter((p) => p === '/ok').length).toBe(before);
  });

  it('stops after too many redirects', async () => {
    expect((await failure(`${base}/loop`)).message).toMatch(/More than 3 redirects/);
  });

  it('refuses a declared size over the cap, and an undeclared one while streaming', async () => {
    expect((await failure(`${base}/declared-large`)).reason).toBe('TOO_LARGE');
    expect((await failure(`${base}/chunked-large`)).reason).toBe('TOO_LARGE');
  });

  it('answers DOWNLOAD_FAILED for an HTTP error, another scheme, credentials and a timeout', async () => {
    expect((await failure(`${base}/missing`)).message).toMatch(/HTTP 404/);
    expect((await failure('ftp://127.0.0.1/x')).message).toMatch(/not http or https/);
    expect((await failure(`http://user:pw@127.0.0.1:${new URL(base).port}/ok`)).message).toMatch(/credentials/);
    const slow = await failure(`${base}/hang`, { maxBytes: 2048, timeoutMs: 300 });
    expect(slow.reason).toBe('DOWNLOAD_FAILED');
    expect(slow.message).toMatch(/did not arrive within/);
  });
});
