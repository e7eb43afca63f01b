import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type Docker from 'dockerode';
import { AppError } from '@shared/contract/errors';
import type { EngineState, EngineStatus } from '@shared/contract/runtime';

/**
 * The Docker Engine connection: where it is (local socket or DOCKER_HOST, TLS included), whether
 * it answers, and what it offers (version, NVIDIA runtime, disk). When it does not answer, the
 * status says why in a miner's words and how to fix it on this OS.
 */

export type EngineEndpoint =
  | { kind: 'socket'; socketPath: string }
  | {
      kind: 'tcp';
      host: string;
      port: number;
      protocol: 'http' | 'https';
      /** Folder with ca.pem, cert.pem, key.pem (DOCKER_CERT_PATH), when TLS is used. */
      certPath: string | null;
    };

// The engine's status is part of the contract (the Runtime page shows it as is).
export type { EngineState, EngineStatus } from '@shared/contract/runtime';

export interface EngineOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Overrides DOCKER_HOST / the default socket (tests, settings). */
  endpoint?: EngineEndpoint;
  /** How long a ping may take before the engine counts as unreachable. */
  pingTimeoutMs?: number;
}

const DEFAULT_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];

/** Pure: where the engine is, from the environment (same rules as the docker CLI). */
export function resolveEndpoint(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): EngineEndpoint {
  const host = env.DOCKER_HOST?.trim();
  if (!host) {
    if (platform === 'win32') return { kind: 'socket', socketPath: '//./pipe/docker_engine' };
    const home = env.HOME;
    const candidates = [...DEFAULT_SOCKETS];
    if (home) candidates.push(join(home, '.docker/run/docker.sock'), join(home, '.colima/default/docker.sock'), join(home, '.orbstack/run/docker.sock'));
    const found = candidates.find((p) => existsSync(p));
    return { kind: 'socket', socketPath: found ?? DEFAULT_SOCKETS[0]! };
  }
  if (host.startsWith('unix://')) return { kind: 'socket', socketPath: host.slice('unix://'.length) || DEFAULT_SOCKETS[0]! };
  if (host.startsWith('npipe://')) return { kind: 'socket', socketPath: host.slice('npipe://'.length) || '//./pipe/docker_engine' };
  const match = /^(tcp|http|https):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/.exec(host);
  if (!match) {
    throw new AppError(
      'DOCKER_UNAVAILABLE',
      `DOCKER_HOST is set to "${host.replace(/\/\/[^@/]*@/, '//…@')}", which Minerva cannot use. Use unix:///path/to/docker.sock or tcp://host:2376 (ssh:// is not supported), or unset DOCKER_HOST to use the local engine.`,
    );
  }
  const scheme = match[1]!;
  const port = match[3] ? Number(match[3]) : scheme === 'https' ? 2376 : 2375;
  const tlsWanted = scheme === 'https' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0') || port === 2376;
  const certPath = env.DOCKER_CERT_PATH?.trim() || (env.HOME ? join(env.HOME, '.docker') : null);
  return { kind: 'tcp', host: match[2]!, port, protocol: tlsWanted ? 'https' : 'http', certPath: tlsWanted ? certPath : null };
}

export function describeEndpoint(endpoint: EngineEndpoint): string {
  return endpoint.kind === 'socket' ? endpoint.socketPath : `${endpoint.protocol === 'https' ? 'tcp+tls' : 'tcp'}://${endpoint.host}:${endpoint.port}`;
}

export function isRemote(endpoint: EngineEndpoint): boolean {
  return endpoint.kind === 'tcp' && !/^(127\.|localhost$|::1$)/.test(endpoint.host);
}

/**
 * dockerode (with ssh2 and docker-modem) takes ~130 ms to load: it loads on the first Docker call,
 * not with the app, so the UI is served first (README "Performance": startup). It stays outside
 * the bundle (scripts/build.mjs), so this resolves it exactly as a top-level import would.
 */
let dockerCtor: typeof Docker | undefined;
function dockerode(): typeof Docker {
  dockerCtor ??= createRequire(import.meta.url)('dockerode') as typeof Docker;
  return dockerCtor;
}

/** A dockerode client for the endpoint; TLS material is read from DOCKER_CERT_PATH. */
export function createDockerClient(endpoint: EngineEndpoint): Docker {
  const Docker = dockerode();
  if (endpoint.kind === 'socket') return new Docker({ socketPath: endpoint.socketPath });
  if (endpoint.protocol === 'http') return new Docker({ host: endpoint.host, port: endpoint.port, protocol: 'http' });
  const dir = endpoint.certPath;
  const read = (name: string): Buffer => {
    if (!dir) throw new AppError('DOCKER_UNAVAILABLE', 'The Docker engine needs TLS but DOCKER_CERT_PATH is not set. Point it at the folder holding ca.pem, cert.pem and key.pem.');
    try {
      return readFileSync(join(dir, name));
    } catch {
      throw new AppError('DOCKER_UNAVAILABLE', `The Docker engine needs TLS but ${name} is missing from ${dir}. Copy the client certificates for that engine there (ca.pem, cert.pem, key.pem) or fix DOCKER_CERT_PATH.`);
    }
  };
  return new Docker({ host: endpoint.host, port: endpoint.port, protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') });
}

function dockerCliInstalled(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): boolean {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const names = platform === 'win32' ? ['docker.exe'] : ['docker', 'dockerd'];
  if (platform === 'darwin') dirs.push('/Applications/Docker.app/Contents/Resources/bin');
  return dirs.some((d) => names.some((n) => existsSync(join(d, n))));
}

/** Pure: what to do next, per OS and per failure. */
export function engineFixText(state: Exclude<EngineState, 'running'>, platform: NodeJS.Platform, endpoint: EngineEndpoint): string {
  if (endpoint.kind === 'tcp') {
    const where = describeEndpoint(endpoint);
    if (state === 'misconfigured') return `Check the TLS files for ${where}: DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem issued for that engine.`;
    return `Minerva uses the engine at ${where} (from DOCKER_HOST). Check that the machine is up, that dockerd listens on that port, and that a firewall lets you in — or unset DOCKER_HOST to use Docker on this computer.`;
  }
  switch (platform) {
    case 'darwin':
      if (state === 'not-installed') return 'Install Docker Desktop for Mac (or Colima / OrbStack), open it once, then click "Check again".';
      if (state === 'permission-denied') return 'Docker Desktop is running under another user. Quit it and open it from your own account, then click "Check again".';
      return 'Open Docker Desktop from Applications and wait until it says "Engine running" (with Colima: run `colima start` in Terminal), then click "Check again".';
    case 'win32':
      if (state === 'not-installed') return 'Install Docker Desktop for Windows with the WSL 2 backend, start it from the Start menu, then click "Check again".';
      if (state === 'permission-denied') return 'Your account is not allowed to use Docker. Add it to the "docker-users" group (Computer Management → Local Users and Groups), sign out and in, then click "Check again".';
      return 'Start Docker Desktop from the Start menu and wait until the whale icon says "Docker Desktop is running", then click "Check again".';
    default:
      if (state === 'not-installed') return 'Install Docker Engine (Debian/Ubuntu: `sudo apt install docker.io`; Fedora: `sudo dnf install moby-engine`), start it with `sudo systemctl enable --now docker`, then click "Check again".';
      if (state === 'permission-denied') return 'Your user may not use the Docker socket. Run `sudo usermod -aG docker $USER`, log out and back in, then click "Check again".';
      return 'Start the Docker service: `sudo systemctl start docker` (without systemd: `sudo service docker start`), then click "Check again".';
  }
}

function problemText(state: Exclude<EngineState, 'running'>, endpoint: EngineEndpoint): string {
  const where = describeEndpoint(endpoint);
  switch (state) {
    case 'not-installed':
      return 'Docker is not installed on this computer; Minerva needs it to run models in a locked-down container.';
    case 'stopped':
      return `Docker is installed but not running (nothing answers at ${where}).`;
    case 'permission-denied':
      return `Docker is running but this user may not talk to it (${where}: permission denied).`;
    case 'unreachable':
      return `The Docker engine at ${where} does not answer.`;
    case 'misconfigured':
      return `The Docker engine at ${where} cannot be used as configured.`;
    default: {
      const never: never = state;
      return String(never);
    }
  }
}

function classifyFailure(err: unknown, endpoint: EngineEndpoint, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Exclude<EngineState, 'running'> {
  if (err instanceof AppError) return 'misconfigured';
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission-denied';
  if (endpoint.kind === 'socket') {
    if (!existsSync(endpoint.socketPath) && !dockerCliInstalled(env, platform)) return 'not-installed';
    return 'stopped';
  }
  if (code === 'ECONNREFUSED') return 'stopped';
  if (typeof code === 'string' && /CERT|SSL|TLS|ERR_OSSL/.test(code)) return 'misconfigured';
  return 'unreachable';
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out`), { code: 'ETIMEDOUT' })), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function countHostGpus(): number {
  try {
    return readdirSync('/proc/driver/nvidia/gpus').length;
  } catch {
    return existsSync('/dev/nvidia0') ? 1 : 0;
  }
}

export interface Engine {
  readonly docker: Docker;
  readonly endpoint: EngineEndpoint;
  /** Asks the engine now; never throws. */
  probe(): Promise<EngineStatus>;
  /** The last status, probing if there is none; throws DOCKER_UNAVAILABLE (with the fix) when not running. */
  require(): Promise<EngineStatus>;
}

export function connectEngine(options: EngineOptions = {}): Engine {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  let endpoint: EngineEndpoint;
  let configError: AppError | null = null;
  try {
    endpoint = options.endpoint ?? resolveEndpoint(env, platform);
  } catch (err) {
    endpoint = { kind: 'socket', socketPath: DEFAULT_SOCKETS[0]! };
    configError = err instanceof AppError ? err : new AppError('DOCKER_UNAVAILABLE', String(err));
  }
  let docker: Docker | null = null;
  let last: EngineStatus | null = null;

  const client = (): Docker => {
    if (configError) throw configError;
    docker ??= createDockerClient(endpoint);
    return docker;
  };

  const down = (state: Exclude<EngineState, 'running'>, problem?: string): EngineStatus => downStatus(state, endpoint, platform, problem);

  async function probe(): Promise<EngineStatus> {
    let d: Docker;
    try {
      d = client();
      await withTimeout(d.ping(), pingTimeoutMs, 'docker ping');
    } catch (err) {
      const state = classifyFailure(err, endpoint, env, platform);
      last = down(state, err instanceof AppError ? err.message : undefined);
      return last;
    }
    try {
      last = await runningStatus(d, endpoint, pingTimeoutMs);
      return last;
    } catch (err) {
      last = down(classifyFailure(err, endpoint, env, platform));
      return last;
    }
  }

  return {
    get docker() {
      return client();
    },
    endpoint,
    probe,
    async require() {
      // A recent "running" is trusted for a few seconds; after that (or after a failure) ask again.
      const fresh = last?.state === 'running' && Date.now() - Date.parse(last.checkedAt) < 5000;
      const status = fresh && last ? last : await probe();
      if (status.state !== 'running') {
        throw new AppError('DOCKER_UNAVAILABLE', `${status.problem ?? 'Docker is not available.'} ${status.fix ?? ''}`.trim(), { details: { state: status.state } });
      }
      return status;
    },
  };
}

function downStatus(state: Exclude<EngineState, 'running'>, endpoint: EngineEndpoint, platform: NodeJS.Platform, problem?: string): EngineStatus {
  return {
    state,
    endpoint: describeEndpoint(endpoint),
    remote: isRemote(endpoint),
    version: null,
    apiVersion: null,
    os: null,
    arch: null,
    cpus: null,
    memoryBytes: null,
    gpu: { nvidiaRuntime: false, hostGpus: null, available: false },
    disk: null,
    problem: problem ?? problemText(state, endpoint),
    fix: engineFixText(state, platform, endpoint),
    checkedAt: new Date().toISOString(),
  };
}

/** What a running engine says about itself: version, OS, CPUs, memory, GPUs, free disk. */
async function runningStatus(d: Docker, endpoint: EngineEndpoint, timeoutMs: number): Promise<EngineStatus> {
  const [version, info] = await Promise.all([
    withTimeout(d.version(), timeoutMs, 'docker version'),
    withTimeout(d.info() as Promise<Record<string, unknown>>, timeoutMs, 'docker info'),
  ]);
  const runtimes = Object.keys((info.Runtimes as Record<string, unknown> | undefined) ?? {});
  const nvidiaRuntime = runtimes.includes('nvidia');
  const remote = isRemote(endpoint);
  const hostGpus = remote ? null : countHostGpus();
  let disk: EngineStatus['disk'] = null;
  const root = typeof info.DockerRootDir === 'string' ? info.DockerRootDir : null;
  if (!remote && root) {
    try {
      const s = await statfs(root);
      disk = { path: root, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch {
      disk = null;
    }
  }
  return {
    state: 'running',
    endpoint: describeEndpoint(endpoint),
    remote,
    version: version.Version ?? null,
    apiVersion: version.ApiVersion ?? null,
    os: typeof info.OperatingSystem === 'string' ? info.OperatingSystem : (version.Os ?? null),
    arch: version.Arch ?? null,
    cpus: typeof info.NCPU === 'number' ? info.NCPU : null,
    memoryBytes: typeof info.MemTotal === 'number' ? info.MemTotal : null,
    gpu: { nvidiaRuntime, hostGpus, available: nvidiaRuntime && (hostGpus === null || hostGpus > 0) },
    disk,
    problem: null,
    fix: null,
    checkedAt: new Date().toISOString(),
  };
}
