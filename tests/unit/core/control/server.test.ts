import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { methods, type MethodName } from '@shared/contract';
import { createLogger } from '@core/log/logger';
import { createRouter } from '@core/rpc/router';
import { EventBus } from '@core/rpc/events';
import type { Handlers } from '@core/rpc/handlers';
import { credentialsEqual, startControlServer, type ControlServer } from '@core/control/server';
import { lineSplitter } from '@core/control/framing';
import { controlPaths } from '@core/control/paths';

/** A real router (every method echoes its name, vault.unlock checks a password) behind a real socket. */
const SECRET_PASSWORD = 'orbit-lantern-walnut-cascade';

interface Wire {
  type: string;
  id: unknown;
  reply?: { ok: boolean; result?: unknown; error?: { code: string; message: string } };
  event?: string;
  payload?: unknown;
}

/** A raw NDJSON client: writes lines, reads lines; `closed` resolves when the server hangs up. */
function rawClient(path: string) {
  const socket: Socket = connect(path);
  const splitter = lineSplitter();
  const received: Wire[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const line of splitter.push(chunk)) received.push(JSON.parse(line) as Wire);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  return {
    send: (text: string) => socket.write(text),
    async next(): Promise<Wire> {
      while (received.length === 0) await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), closed.then(() => { throw new Error('closed'); })]);
      return received.shift() as Wire;
    },
    closed,
    end: () => socket.end(),
  };
}

describe('control server (framing and credential)', () => {
  let dataDir: string;
  let server: ControlServer;
  let credential: string;
  let logLines: string[];
  const events = new EventBus();

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'minerva-control-'));
    logLines = [];
    const log = createLogger({ console: (line) => logLines.push(line), level: 'debug' });
    const handlers = Object.fromEntries((Object.keys(methods) as MethodName[]).map((name) => [name, () => ({ echoed: name })])) as unknown as Handlers;
    (handlers as unknown as Record<string, (input: { password: string }) => unknown>)['vault.unlock'] = ({ password }) => ({ unlocked: password === SECRET_PASSWORD });
    server = await startControlServer({ dataDir, router: createRouter(handlers, log.scope('rpc')), events, log: log.scope('control'), host: 'headless', version: '0.0.0-test', maxLineBytes: 64 * 1024 });
    credential = readFileSync(server.credentialPath, 'utf8').trim();
  });
  afterEach(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes a 0600 credential and a 0600 socket in the data folder', () => {
    expect(server.socketPath).toBe(join(dataDir, 'minerva.sock'));
    expect(credential).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(server.credentialPath).mode & 0o777).toBe(0o600);
    expect(statSync(server.socketPath).mode & 0o777).toBe(0o600);
  });

  it('answers contract calls after the credential, with the router’s envelopes and ids', async () => {
    const c = rawClient(server.socketPath);
    c.send(`${JSON.stringify({ id: 1, auth: credential })}\n`);
    expect(await c.next()).toEqual({ type: 'reply', id: 1, reply: { ok: true, result: { pid: process.pid, host: 'headless', version: '0.0.0-test' } } });
    // Two requests in one chunk, and one split across chunks: replies come in order.
    c.send(`${JSON.stringify({ id: 2, method: 'app.health', input: {} })}\n${JSON.stringify({ id: 3, method: 'nope.method' })}\n{"id":4,"meth`);
    c.send(`od":"networks.list","input":{}}\n`);
    expect(await c.next()).toEqual({ type: 'reply', id: 2, reply: { ok: true, result: { echoed: 'app.health' } } });
    expect((await c.next()).reply).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await c.next()).toEqual({ type: 'reply', id: 4, reply: { ok: true, result: { echoed: 'networks.list' } } });
    c.end();
  });

  it('refuses a wrong credential of the right length and closes the connection', async () => {
    const wrong = credential.replace(/.$/u, (ch) => (ch === '0' ? '1' : '0'));
    const c = rawClient(server.socketPath);
    c.send(`${JSON.stringify({ id: 1, auth: wrong })}\n${JSON.stringify({ id: 2, method: 'app.health' })}\n`);
    expect((await c.next()).reply).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    await c.closed;
  });

  it('refuses a call without a credential (no method runs)', async () => {
    const c = rawClient(server.socketPath);
    c.send(`${JSON.stringify({ id: 1, method: 'vault.lock', input: {} })}\n`);
    const answer = await c.next();
    expect(answer.reply).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(JSON.stringify(answer)).not.toContain('echoed');
    await c.closed;
  });

  it('answers malformed JSON with a typed error and keeps serving the connection', async () => {
    const c = rawClient(server.socketPath);
    c.send(`${JSON.stringify({ id: 1, auth: credential })}\n`);
    await c.next();
    c.send('{"id": 2, "method": \n');
    expect(await c.next()).toEqual({ type: 'reply', id: null, reply: { ok: false, error: { code: 'VALIDATION', message: 'Malformed request: each line must be one JSON object.' } } });
    c.send('[1,2,3]\n');
    expect((await c.next()).reply).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    c.send(`${JSON.stringify({ id: 3, method: 'app.info', input: {} })}\n`);
    expect(await c.next()).toMatchObject({ id: 3, reply: { ok: true } });
    c.end();
  });

  it('closes a connection whose line grows past the size limit (TOO_LARGE)', async () => {
    const c = rawClient(server.socketPath);
    c.send(`${JSON.stringify({ id: 1, auth: credential })}\n`);
    await c.next();
    c.send(`{"id":2,"method":"app.info","input":{"pad":"${'x'.repeat(70 * 1024)}`);
    expect((await c.next()).reply).toMatchObject({ ok: false, error: { code: 'TOO_LARGE' } });
    await c.closed;
  });

  it('forwards events after subscribe', async () => {
    const c = rawClient(server.socketPath);
    c.send(`${JSON.stringify({ id: 1, auth: credential })}\n${JSON.stringify({ id: 2, subscribe: true })}\n`);
    await c.next();
    expect(await c.next()).toMatchObject({ id: 2, reply: { ok: true, result: { subscribed: true } } });
    events.emit('vault.locked', { reason: 'user', mining: false });
    expect(await c.next()).toEqual({ type: 'event', event: 'vault.locked', payload: { reason: 'user', mining: false } });
    c.end();
  });

  it('never logs the input of a sensitive call (the password)', async () => {
    const c = rawClient(server.socketPath);
    c.send(`${JSON.stringify({ id: 1, auth: credential })}\n${JSON.stringify({ id: 2, method: 'vault.unlock', input: { password: SECRET_PASSWORD } })}\n`);
    await c.next();
    expect(await c.next()).toMatchObject({ id: 2, reply: { ok: true, result: { unlocked: true } } });
    c.send(`{"id":3,"method":"vault.unlock","input":{"password":"${SECRET_PASSWORD}"\n`);
    expect((await c.next()).reply).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    c.end();
    await c.closed;
    expect(logLines.join('\n')).toContain('vault.unlock');
    expect(logLines.join('\n')).not.toContain(SECRET_PASSWORD);
    expect(logLines.join('\n')).not.toContain(credential);
  });

  it('removes the credential and the socket at close', async () => {
    await server.close();
    expect(existsSync(server.credentialPath)).toBe(false);
    expect(existsSync(server.socketPath)).toBe(false);
  });

  it('replaces a credential left behind by a crashed host', async () => {
    await server.close();
    const stale = 'f'.repeat(64);
    const { credentialPath } = controlPaths(dataDir);
    writeFileSync(credentialPath, stale, { mode: 0o644 });
    server = await startControlServer({ dataDir, router: createRouter({} as Handlers, createLogger({ console: false }).scope('rpc')), log: createLogger({ console: false }).scope('control'), host: 'headless', version: 'x' });
    expect(readFileSync(credentialPath, 'utf8').trim()).not.toBe(stale);
    expect(statSync(credentialPath).mode & 0o777).toBe(0o600);
  });
});

describe('control paths and credential comparison', () => {
  it('puts the socket in the data folder, in the temp folder when that path is too long, and a named pipe on Windows', () => {
    expect(controlPaths('/home/m/.config/Minerva', 'linux').socketPath).toBe('/home/m/.config/Minerva/minerva.sock');
    const long = `/home/m/${'x'.repeat(120)}`;
    expect(controlPaths(long, 'linux').socketPath).toMatch(/minerva-[0-9a-f]{16}\.sock$/u);
    expect(controlPaths(long, 'linux').socketPath).toBe(controlPaths(long, 'linux').socketPath);
    expect(controlPaths('C:\\Users\\m\\Minerva', 'win32').socketPath).toMatch(/^\\\\\.\\pipe\\minerva-[0-9a-f]{16}$/u);
  });

  it('compares credentials exactly', () => {
    expect(credentialsEqual('abc', 'abc')).toBe(true);
    expect(credentialsEqual('abc', 'abd')).toBe(false);
    expect(credentialsEqual('abc', 'abcd')).toBe(false);
    expect(credentialsEqual('abc', undefined)).toBe(false);
    expect(credentialsEqual('abc', 42)).toBe(false);
  });

  it('splits lines across chunks and refuses one past the limit', () => {
    const s = lineSplitter(10);
    expect(s.push(Buffer.from('ab\ncd'))).toEqual(['ab']);
    expect(s.push(Buffer.from('e\r\n'))).toEqual(['cde']);
    expect(() => s.push(Buffer.from('x'.repeat(11)))).toThrow(/longer than/u);
  });
});
