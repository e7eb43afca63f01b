import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request to 127.0.0.1 with exactly the headers given (Host included). */
function get(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Tries a WebSocket handshake; resolves with the HTTP status of a refusal, or 101 when accepted. */
function wsHandshake(port: number, headers: Record<string, string>): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc`, { headers });
    ws.once('open', () => resolve({ status: 101, socket: ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ status: 0 }));
  });
}

/** The local address a TCP port listens on, read from /proc (no traffic to other addresses). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [addr, p] = (cols[1] ?? '').split(':');
      if (p === hexPort && cols[3] === '0A') found.push(addr ?? '');
    }
  }
  return found;
}

describe('minerva serve (headless host)', () => {
  let serve: ServeHandle;
  let port: number;
  let token: string;
  let host: string;
  let origin: string;

  beforeAll(async () => {
    serve = await startServe({ args: ['--no-practice'] });
    const url = new URL(serve.loginUrl);
    port = Number(url.port);
    token = url.searchParams.get('token') ?? '';
    host = `127.0.0.1:${port}`;
    origin = `http://${host}`;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
  });
  afterAll(async () => {
    await serve.stop();
  });

  it('listens on 127.0.0.1 only', () => {
    expect(listeningAddresses(port)).toEqual(['0100007F']);
  });

  it('refuses a request without the token (401)', async () => {
    const res = await get(port, '/', { Host: host });
    expect(res.status).toBe(401);
    expect(res.body).not.toContain(token);
    // The address works for the whole run (the cookie is set from it), so the page must not call it one-time.
    expect(res.body).not.toMatch(/one-time/i);
    expect(res.body).toMatch(/a restart prints a new one/);
  });

  it('refuses a wrong token of the right length, in the cookie and in the URL (401)', async () => {
    const wrong = token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(wrong).toHaveLength(token.length);
    expect((await get(port, '/', { Host: host, Cookie: `minerva_token=${wrong}` })).status).toBe(401);
    expect((await get(port, `/?token=${wrong}`, { Host: host })).status).toBe(401);
  });

  it('trades the URL token for an HttpOnly SameSite=Strict cookie and drops it from the address', async () => {
    const res = await get(port, `/?token=${token}`, { Host: host });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`minerva_token=${token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
  });

  it('serves the UI with the cookie, with the CSP and hardening headers', async () => {
    const res = await get(port, '/', { Host: host, Cookie: `minerva_token=${token}` });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<div id="root">');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(['evil.example', `evil.example:${0}`, 'localhost.evil.example', '127.0.0.1:1'])('refuses a foreign Host header %s (403)', async (foreign) => {
    const res = await get(port, '/', { Host: foreign.replace(':0', `:${port}`), Cookie: `minerva_token=${token}` });
    expect(res.status).toBe(403);
  });

  it('refuses a foreign Origin (403), also on the WebSocket', async () => {
    expect((await get(port, '/', { Host: host, Origin: 'https://app.evil', Cookie: `minerva_token=${token}` })).status).toBe(403);
    expect((await wsHandshake(port, { Origin: 'https://app.evil', Cookie: `minerva_token=${token}` })).status).toBe(403);
    expect((await wsHandshake(port, { Origin: `http://localhost:${port}.evil`, Cookie: `minerva_token=${token}` })).status).toBe(403);
  });

  it('stores an upload from the page (PUT /upload) with mode 600, and refuses one without the cookie, Origin, or within the cap', async () => {
    const put = (headers: Record<string, string>, body: Buffer, path = '/upload?name=../../evil%20name.ckpt') =>
      new Promise<Answer>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method: 'PUT', headers: { Host: host, ...headers }, setHost: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const bytes = Buffer.from('checkpoint bytes \u0000\u0001');
    expect((await put({ Origin: origin }, bytes)).status).toBe(401);
    expect((await put({ Cookie: `minerva_token=${token}` }, bytes)).status).toBe(403);
    expect((await put({ Origin: 'https://app.evil', Cookie: `minerva_token=${token}` }, bytes)).status).toBe(403);
    // A declared size over the cap is refused before any byte is read (raw TCP: no client would send this).
    const tooLarge = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(`PUT /upload?name=x HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nCookie: minerva_token=${token}\r\nContent-Length: ${65 * 1024 ** 3}\r\n\r\n`),
      );
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => (text += c));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(tooLarge).toMatch(/^HTTP\/1\.1 413/);
    const ok = await put({ Origin: origin, Cookie: `minerva_token=${token}` }, bytes);
    expect(ok.status).toBe(201);
    const stored = JSON.parse(ok.body) as { path: string; name: string; size: number };
    expect(stored.name).toBe('evil_name.ckpt');
    expect(stored.path.startsWith(join(serve.dataDir, 'uploads'))).toBe(true);
    expect(readFileSync(stored.path)).toEqual(bytes);
    expect(statSync(stored.path).mode & 0o777).toBe(0o600);
  });

  it('refuses path traversal', async () => {
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fpackage.json']) {
      expect((await get(port, path, { Host: host, Cookie: `minerva_token=${token}` })).status).toBe(404);
    }
  });

  it('refuses a WebSocket without the token (401) and serves the contract with it', async () => {
    expect((await wsHandshake(port, { Origin: origin })).status).toBe(401);
    const { status, socket } = await wsHandshake(port, { Origin: origin, Cookie: `minerva_token=${token}` });
    expect(status).toBe(101);
    const ws = socket as WebSocket;
    const replies: Record<number, unknown> = {};
    const got = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as { type: string; id: number; reply: unknown };
        if (msg.type === 'reply') replies[msg.id] = msg.reply;
        if (Object.keys(replies).length === 3) resolve();
      });
    });
    ws.send(JSON.stringify({ id: 1, method: 'app.info', input: {} }));
    ws.send(JSON.stringify({ id: 2, method: 'no.such', input: {} }));
    ws.send(JSON.stringify({ id: 3, method: 'settings.update', input: { theme: 'neon' } }));
    await got;
    ws.close();
    expect(replies[1]).toMatchObject({ ok: true, result: { name: 'Minerva', host: 'headless', exposedBeyondLoopback: false } });
    expect(replies[2]).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(replies[3]).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('refuses a second minerva serve on the same data folder, saying what to do', () => {
    const res = spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', serve.dataDir], { encoding: 'utf8', timeout: 30_000 });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('already running with this data folder');
  });

  it('never writes the token to its log or console', () => {
    const logs = readdirSync(join(serve.dataDir, 'logs')).map((f) => readFileSync(join(serve.dataDir, 'logs', f), 'utf8'));
    expect(logs.join('').length).toBeGreaterThan(0);
    expect(logs.join('')).not.toContain(token);
    // stdout printed the login URL once, by design; stderr (the console log) must not hold it.
    const stderrOnly = serve.output().split('\n').filter((l) => !l.startsWith('{"url"'));
    expect(stderrOnly.join('\n')).not.toContain(token);
  });
});

describe('minerva serve beyond loopback', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', tempDataDir(), ...args], { encoding: 'utf8', timeout: 30_000 });

  it('refuses a non-loopback address without --allow-remote and --token-file', () => {
    for (const args of [['--host', '0.0.0.0'], ['--host', '0.0.0.0', '--allow-remote']]) {
      const res = run(args);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('Refusing to listen on 0.0.0.0');
    }
  });

  it('refuses a token file that others can read', () => {
    const file = join(tempDataDir(), 'token');
    writeFileSync(file, 'a'.repeat(64));
    chmodSync(file, 0o644);
    const res = run(['--host', '0.0.0.0', '--allow-remote', '--token-file', file]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('chmod 600');
  });

  it('with both flags, listens and raises the standing key-safety warning', async () => {
    const file = join(tempDataDir(), 'token');
    const remoteToken = 'b'.repeat(64);
    writeFileSync(file, remoteToken, { mode: 0o600 });
    const serve = await startServe({ args: ['--host', '0.0.0.0', '--allow-remote', '--token-file', file, '--no-practice'] });
    try {
      const port = Number(new URL(serve.url).port);
      expect(serve.loginUrl).not.toContain(remoteToken);
      const { status, socket } = await wsHandshake(port, { Origin: `http://127.0.0.1:${port}`, Cookie: `minerva_token=${remoteToken}` });
      expect(status).toBe(101);
      const reply = await new Promise<{ reply: { result: { exposedBeyondLoopback: boolean } } }>((resolve) => {
        // Pushed events may arrive first: wait for the reply to this request.
        socket?.on('message', (d: Buffer) => {
          const message = JSON.parse(d.toString('utf8')) as { type: string; id: number };
          if (message.type === 'reply' && message.id === 1) resolve(message as never);
        });
        socket?.send(JSON.stringify({ id: 1, method: 'app.info', input: {} }));
      });
      socket?.close();
      expect(reply.reply.result.exposedBeyondLoopback).toBe(true);
    } finally {
      await serve.stop();
    }
  });
});
