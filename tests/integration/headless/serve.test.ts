import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { loginCookie } from '../../helpers/ws-rpc';

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
  /** `minerva_session_<instance>=<signed session>`, from trading the printed address. */
  let cookie: string;
  const tokensSeen: string[] = [];

  beforeAll(async () => {
    serve = await startServe({ args: ['--no-practice'] });
    const url = new URL(serve.loginUrl);
    port = Number(url.port);
    token = url.searchParams.get('token') ?? '';
    tokensSeen.push(token);
    host = `127.0.0.1:${port}`;
    origin = `http://${host}`;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    cookie = await loginCookie(serve.loginUrl);
  });
  const fresh = async () => {
    const link = new URL(await serve.newLoginUrl());
    const t = link.searchParams.get('token') ?? '';
    tokensSeen.push(t);
    return t;
  };
  afterAll(async () => {
    await serve.stop();
  });

  it('listens on 127.0.0.1 only', () => {
    expect(listeningAddresses(port)).toEqual(['0100007F']);
  });

  it('without a session: a page in the app\'s style for a browser, JSON for an API client (401), naming the commands', async () => {
    const html = await get(port, '/', { Host: host, Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(html.status).toBe(401);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('<h1>This browser is not signed in</h1>');
    expect(html.body).toContain('minerva open');
    expect(html.body).toContain('minerva serve --print-url');
    expect(html.body).toContain('prefers-color-scheme: dark');
    // Its one inline style is allowed by hash, nothing else; it names no folder, user or token.
    expect(html.headers['content-security-policy']).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(html.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(html.body).not.toContain(serve.dataDir);
    expect(html.body).not.toContain(token);
    const json = await get(port, '/healthz', { Host: host, Accept: 'application/json' });
    expect(json.status).toBe(401);
    expect(json.headers['content-type']).toContain('application/json');
    const error = (JSON.parse(json.body) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toContain('minerva open');
  });

  it('refuses a wrong token of the right length in the URL, and a session cookie not signed by this instance (401)', async () => {
    const wrong = token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(wrong).toHaveLength(token.length);
    const unknown = await get(port, `/?token=${wrong}`, { Host: host, Accept: 'text/html' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toContain('not one this Minerva made');
    const [name, value = ''] = cookie.split('=');
    const [issued, id] = value.split('.');
    for (const forged of [`${issued}.${id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, `${Number(issued) + 1}.${id}.${value.split('.')[2]}`, token, '']) {
      expect((await get(port, '/', { Host: host, Cookie: `${name}=${forged}` })).status).toBe(401);
    }
    // The cookie of the old scheme (one name for every instance) is not a session either.
    expect((await get(port, '/', { Host: host, Cookie: `minerva_token=${token}` })).status).toBe(401);
  });

  it('trades a login address ONCE for an HttpOnly SameSite=Strict session cookie named after this instance', async () => {
    const once = await fresh();
    const res = await get(port, `/?token=${once}`, { Host: host });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^minerva_session_[0-9a-f]{16}=/);
    expect(set).not.toContain(once);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toMatch(/Max-Age=\d+/);
    // The second use of the same address: refused, and the page says why.
    const again = await get(port, `/?token=${once}`, { Host: host, Accept: 'text/html' });
    expect(again.status).toBe(401);
    expect(again.body).toContain('already used or has expired');
    // The printed address was traded by beforeAll: it is spent too.
    expect((await get(port, `/?token=${token}`, { Host: host })).status).toBe(401);
    // A signed-in browser that reopens a spent address just lands on the app (no new session).
    const reopened = await get(port, `/?token=${once}`, { Host: host, Cookie: cookie });
    expect(reopened.status).toBe(303);
    expect(reopened.headers['set-cookie']).toBeUndefined();
  });

  it('makes a login address only for the terminal: app.loginLink over the browser\'s WebSocket is refused', async () => {
    const { socket } = await wsHandshake(port, { Origin: origin, Cookie: cookie });
    const ws = socket as WebSocket;
    const reply = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => {
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString('utf8')) as { type: string; id: number; reply: never };
        if (m.type === 'reply' && m.id === 1) resolve(m.reply);
      });
      ws.send(JSON.stringify({ id: 1, method: 'app.loginLink', input: {} }));
    });
    ws.close();
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('serves the UI with the cookie, with the CSP and hardening headers', async () => {
    const res = await get(port, '/', { Host: host, Cookie: cookie });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<div id="root">');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(['evil.example', `evil.example:${0}`, 'localhost.evil.example', '127.0.0.1:1'])('refuses a foreign Host header %s (403)', async (foreign) => {
    const res = await get(port, '/', { Host: foreign.replace(':0', `:${port}`), Cookie: cookie });
    expect(res.status).toBe(403);
  });

  it('refuses a foreign Origin (403), also on the WebSocket', async () => {
    expect((await get(port, '/', { Host: host, Origin: 'https://app.evil', Cookie: cookie })).status).toBe(403);
    expect((await wsHandshake(port, { Origin: 'https://app.evil', Cookie: cookie })).status).toBe(403);
    expect((await wsHandshake(port, { Origin: `http://localhost:${port}.evil`, Cookie: cookie })).status).toBe(403);
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
    expect((await put({ Cookie: cookie }, bytes)).status).toBe(403);
    expect((await put({ Origin: 'https://app.evil', Cookie: cookie }, bytes)).status).toBe(403);
    // A declared size over the cap is refused before any byte is read (raw TCP: no client would send this).
    const tooLarge = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(`PUT /upload?name=x HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nCookie: ${cookie}\r\nContent-Length: ${65 * 1024 ** 3}\r\n\r\n`),
      );
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => (text += c));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(tooLarge).toMatch(/^HTTP\/1\.1 413/);
    const ok = await put({ Origin: origin, Cookie: cookie }, bytes);
    expect(ok.status).toBe(201);
    const stored = JSON.parse(ok.body) as { path: string; name: string; size: number };
    expect(stored.name).toBe('evil_name.ckpt');
    expect(stored.path.startsWith(join(serve.dataDir, 'uploads'))).toBe(true);
    expect(readFileSync(stored.path)).toEqual(bytes);
    expect(statSync(stored.path).mode & 0o777).toBe(0o600);
  });

  it('refuses path traversal', async () => {
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fpackage.json']) {
      expect((await get(port, path, { Host: host, Cookie: cookie })).status).toBe(404);
    }
  });

  it('refuses a WebSocket without a session (401) and serves the contract with it', async () => {
    expect((await wsHandshake(port, { Origin: origin })).status).toBe(401);
    const { status, socket } = await wsHandshake(port, { Origin: origin, Cookie: cookie });
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
    const session = cookie.split('=')[1] ?? '';
    expect(tokensSeen.length).toBeGreaterThan(1);
    for (const secret of [...tokensSeen, session, session.split('.')[2] ?? '']) {
      expect(logs.join('')).not.toContain(secret);
      // stdout printed the login URL once, by design; stderr (the console log) must not hold it.
      const stderrOnly = serve.output().split('\n').filter((l) => !l.startsWith('{"url"'));
      expect(stderrOnly.join('\n')).not.toContain(secret);
    }
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
      // The token file's token is a standing password: it may be used more than once.
      const url = `http://127.0.0.1:${port}/?token=${remoteToken}`;
      const first = await loginCookie(url);
      expect((await get(port, `/?token=${remoteToken}`, { Host: `127.0.0.1:${port}` })).status).toBe(303);
      const { status, socket } = await wsHandshake(port, { Origin: `http://127.0.0.1:${port}`, Cookie: first });
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

describe('minerva serve sign-in across instances and restarts', () => {
  const hostOf = (s: ServeHandle) => new URL(s.url).host;
  const portOf = (s: ServeHandle) => Number(new URL(s.url).port);
  const page = (s: ServeHandle, cookie: string) => get(portOf(s), '/', { Host: hostOf(s), Cookie: cookie, Accept: 'text/html' });

  it('two instances on two ports keep separate logins (cookies ignore ports; the names differ per data folder)', async () => {
    const a = await startServe({ args: ['--no-practice'] });
    const b = await startServe({ args: ['--no-practice'] });
    try {
      const cookieA = await loginCookie(a.loginUrl);
      const cookieB = await loginCookie(b.loginUrl);
      const nameA = cookieA.split('=')[0];
      const nameB = cookieB.split('=')[0];
      expect(nameA).toMatch(/^minerva_session_[0-9a-f]{16}$/);
      expect(nameB).toMatch(/^minerva_session_[0-9a-f]{16}$/);
      expect(nameA).not.toBe(nameB);
      // A browser sends both cookies to both ports (same host): each instance finds its own.
      const both = `${cookieA}; ${cookieB}`;
      expect((await page(a, both)).status).toBe(200);
      expect((await page(b, both)).status).toBe(200);
      // Signing in to one does not sign in to the other, even under the other's cookie name.
      expect((await page(b, cookieA)).status).toBe(401);
      expect((await page(a, `${nameA}=${cookieB.split('=')[1]}`)).status).toBe(401);
      // A's login address is not valid at B.
      const linkA = new URL(await a.newLoginUrl());
      expect((await get(portOf(b), `/?token=${linkA.searchParams.get('token')}`, { Host: hostOf(b) })).status).toBe(401);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('a restart of the same data folder keeps the browser signed in (session secret 0600 in the data folder); a login address of the old run is not valid', async () => {
    const dataDir = tempDataDir();
    let serve = await startServe({ dataDir, args: ['--no-practice'] });
    try {
      const cookie = await loginCookie(serve.loginUrl);
      const unused = await serve.newLoginUrl();
      const file = join(dataDir, 'headless-session.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      await serve.stop();
      serve = await startServe({ dataDir, args: ['--no-practice'] });
      expect((await page(serve, cookie)).status).toBe(200);
      const ws = await wsHandshake(portOf(serve), { Origin: `http://${hostOf(serve)}`, Cookie: cookie });
      expect(ws.status).toBe(101);
      ws.socket?.close();
      // Login addresses live in memory only: one made before the restart does nothing now.
      const stale = new URL(unused).searchParams.get('token') ?? '';
      expect((await get(portOf(serve), `/?token=${stale}`, { Host: hostOf(serve) })).status).toBe(401);

      // A session file others could read is replaced at start: every browser signs in again.
      await serve.stop();
      chmodSync(file, 0o644);
      serve = await startServe({ dataDir, args: ['--no-practice'] });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const refused = await page(serve, cookie);
      expect(refused.status).toBe(401);
      expect(refused.body).toContain('minerva open');
      expect(readdirSync(join(dataDir, 'logs')).map((f) => readFileSync(join(dataDir, 'logs', f), 'utf8')).join('')).toContain('browser sign-ins reset');
    } finally {
      await serve.stop();
    }
  });

  it('`minerva open` hands a fresh one-time address to the browser ($BROWSER), and prints it only to its own terminal', async () => {
    const serve = await startServe({ args: ['--no-practice'] });
    try {
      const seen = join(tempDataDir(), 'opened.txt');
      const browser = join(tempDataDir(), 'browser.sh');
      writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`, { mode: 0o700 });
      const res = spawnSync(process.execPath, [CLI, 'open', '--data-dir', serve.dataDir], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, BROWSER: browser } });
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toContain('Opened Minerva in your browser');
      for (let i = 0; i < 50; i += 1) {
        try {
          if (readFileSync(seen, 'utf8')) break;
        } catch {
          // the browser script has not run yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const opened = readFileSync(seen, 'utf8');
      expect(opened).toMatch(new RegExp(`^${serve.url.replace(/[.]/g, '\\.')}\\?token=[0-9a-f]{64}$`));
      expect(res.stdout).toContain(opened);
      const token = new URL(opened).searchParams.get('token') ?? '';
      expect((await get(portOf(serve), `/?token=${token}`, { Host: hostOf(serve) })).status).toBe(303);
      expect((await get(portOf(serve), `/?token=${token}`, { Host: hostOf(serve) })).status).toBe(401);
      const logs = readdirSync(join(serve.dataDir, 'logs')).map((f) => readFileSync(join(serve.dataDir, 'logs', f), 'utf8')).join('');
      expect(logs).not.toContain(token);
      expect(serve.output()).not.toContain(token);
    } finally {
      await serve.stop();
    }
  });

  it('`minerva serve --print-url` without a running serve says how to start one (exit 1)', () => {
    const dataDir = tempDataDir();
    const res = spawnSync(process.execPath, [CLI, 'serve', '--print-url', '--data-dir', dataDir], { encoding: 'utf8', timeout: 30_000 });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`Minerva is not running with the data folder ${dataDir}`);
    expect(res.stderr).toContain('minerva serve --data-dir');
  });
});
