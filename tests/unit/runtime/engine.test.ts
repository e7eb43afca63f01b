import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectEngine, engineFixText, resolveEndpoint } from '@core/runtime/engine';

describe('engine endpoint (socket or DOCKER_HOST, TLS included)', () => {
  it.each([
    [{ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, { kind: 'socket', socketPath: '/run/user/1000/docker.sock' }],
    [{ DOCKER_HOST: 'npipe:////./pipe/docker_engine' }, { kind: 'socket', socketPath: '//./pipe/docker_engine' }],
    [{ DOCKER_HOST: 'tcp://10.0.0.5:2375' }, { kind: 'tcp', host: '10.0.0.5', port: 2375, protocol: 'http', certPath: null }],
    [{ DOCKER_HOST: 'tcp://gpu-box:2376', DOCKER_CERT_PATH: '/certs' }, { kind: 'tcp', host: 'gpu-box', port: 2376, protocol: 'https', certPath: '/certs' }],
    [{ DOCKER_HOST: 'tcp://gpu-box:4243', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, { kind: 'tcp', host: 'gpu-box', port: 4243, protocol: 'https', certPath: '/c' }],
    [{ DOCKER_HOST: 'tcp://[::1]:2375' }, { kind: 'tcp', host: '::1', port: 2375, protocol: 'http', certPath: null }],
  ])('%j', (env, want) => expect(resolveEndpoint(env, 'linux')).toEqual(want));

  it('uses the named pipe on Windows and a socket elsewhere', () => {
    expect(resolveEndpoint({}, 'win32')).toEqual({ kind: 'socket', socketPath: '//./pipe/docker_engine' });
    expect(resolveEndpoint({ HOME: '/nonexistent' }, 'linux').kind).toBe('socket');
  });

  it('refuses a DOCKER_HOST it cannot use, without echoing credentials', () => {
    expect(() => resolveEndpoint({ DOCKER_HOST: 'ssh://user:pw@box' }, 'linux')).toThrow(/cannot use/);
    try {
      resolveEndpoint({ DOCKER_HOST: 'ssh://user:pw@box' }, 'linux');
    } catch (err) {
      expect((err as Error).message).not.toContain('pw');
    }
  });
});

describe('engine detection and fix-it text', () => {
  it('says how to fix it per OS', () => {
    const sock = { kind: 'socket', socketPath: '/var/run/docker.sock' } as const;
    expect(engineFixText('stopped', 'linux', sock)).toMatch(/systemctl start docker/);
    expect(engineFixText('not-installed', 'linux', sock)).toMatch(/apt install docker\.io/);
    expect(engineFixText('permission-denied', 'linux', sock)).toMatch(/usermod -aG docker/);
    expect(engineFixText('stopped', 'darwin', sock)).toMatch(/Docker Desktop/);
    expect(engineFixText('not-installed', 'win32', sock)).toMatch(/WSL 2/);
    expect(engineFixText('unreachable', 'linux', { kind: 'tcp', host: 'box', port: 2376, protocol: 'https', certPath: null })).toMatch(/tcp\+tls:\/\/box:2376.*DOCKER_HOST/);
  });

  it('reports a stopped engine (socket path without a daemon) with the fix, and require() throws DOCKER_UNAVAILABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'minerva-engine-'));
    try {
      const engine = connectEngine({ endpoint: { kind: 'socket', socketPath: join(dir, 'docker.sock') }, platform: 'linux', env: { PATH: dir } });
      const status = await engine.probe();
      expect(status.state).toBe('not-installed');
      expect(status.fix).toMatch(/Install Docker Engine/);
      await expect(engine.require()).rejects.toMatchObject({ code: 'DOCKER_UNAVAILABLE' });
      const withCli = connectEngine({ endpoint: { kind: 'socket', socketPath: join(dir, 'docker.sock') }, platform: 'linux', env: { PATH: '/usr/bin:/usr/sbin:/bin' } });
      const s2 = await withCli.probe();
      expect(['stopped', 'not-installed']).toContain(s2.state);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreachable remote engine', async () => {
    const engine = connectEngine({ endpoint: { kind: 'tcp', host: '127.0.0.1', port: 1, protocol: 'http', certPath: null }, pingTimeoutMs: 2000 });
    const status = await engine.probe();
    expect(status.state).toBe('stopped');
    expect(status.fix).toMatch(/127\.0\.0\.1:1/);
  });

  it('explains missing TLS files', async () => {
    const engine = connectEngine({ endpoint: { kind: 'tcp', host: '127.0.0.1', port: 2376, protocol: 'https', certPath: '/nonexistent-certs' } });
    const status = await engine.probe();
    expect(status.state).toBe('misconfigured');
    expect(status.problem).toMatch(/ca\.pem is missing/);
  });
});
