import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { AppError } from '@shared/contract/errors';
import { LABEL } from './types';

/**
 * The locked-down container contract of PROTOCOLS §7 as one pure function, so a unit test can
 * pin every default: no network, read-only root, all capabilities dropped, no-new-privileges,
 * memory/CPU/pids limits, a small noexec tmpfs, no logging driver (stdout carries decrypted
 * results and must never reach a log file), GPUs only when asked for and present.
 */

export interface ContainerOwner {
  /** Hash of the app's data dir: reapers only ever look at their own scope. */
  scope: string;
  /** This app instance (one per start). */
  instance: string;
  pid: number;
  host: string;
}

export type ContainerRole = { job: string } | { runner: string };

export interface ContainerLimits {
  memoryBytes: number;
  /** CPUs as a fraction (1.5 = one and a half cores). */
  cpus: number;
  pids: number;
  tmpfsBytes: number;
}

export const DEFAULT_LIMITS: ContainerLimits = { memoryBytes: 256 * 1024 ** 2, cpus: 1, pids: 64, tmpfsBytes: 16 * 1024 ** 2 };

export type GpuRequest = 'none' | 'if-available' | 'required';

export interface ContainerSpec {
  imageId: string;
  owner: ContainerOwner;
  role: ContainerRole;
  limits?: Partial<ContainerLimits>;
  gpu?: GpuRequest;
  /** Whether the engine has NVIDIA GPUs (from the engine status). */
  gpuAvailable?: boolean;
  env?: Record<string, string>;
  /** A host folder mounted read-only at /in. */
  inputDir?: string;
  /** A host folder mounted read-write at /out (trainer checkpoints). */
  outputDir?: string;
  /** Container name (ModelContainer treats it as a prefix and adds a random suffix per instance). */
  name?: string;
}

export function currentOwner(scope: string, instance: string): ContainerOwner {
  return { scope, instance, pid: process.pid, host: hostname() };
}

export function roleLabels(role: ContainerRole): Record<string, string> {
  return 'job' in role ? { [LABEL.job]: role.job } : { [LABEL.runner]: role.runner };
}

export function ownerLabels(owner: ContainerOwner): Record<string, string> {
  return {
    [LABEL.managed]: '1',
    [LABEL.scope]: owner.scope,
    [LABEL.owner]: owner.instance,
    [LABEL.ownerPid]: String(owner.pid),
    [LABEL.ownerHost]: owner.host,
  };
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export function buildCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const limits = { ...DEFAULT_LIMITS, ...spec.limits };
  const gpu = spec.gpu ?? 'none';
  if (gpu === 'required' && !spec.gpuAvailable) {
    throw new AppError('UNSUPPORTED', 'This competition needs an NVIDIA GPU, but Docker on this computer has none it can use. Install the NVIDIA driver and the NVIDIA Container Toolkit, restart Docker, then try again.');
  }
  const useGpu = gpu !== 'none' && spec.gpuAvailable === true;
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new AppError('VALIDATION', `The environment variable name "${k}" is not allowed for a model container.`);
    return `${k}=${v}`;
  });
  const binds: string[] = [];
  if (spec.inputDir) binds.push(`${spec.inputDir}:/in:ro`);
  if (spec.outputDir) {
    binds.push(`${spec.outputDir}:/out:rw`);
    env.push('MINERVA_OUT_DIR=/out');
  }
  return {
    Image: spec.imageId,
    ...(spec.name ? { name: spec.name } : {}),
    Labels: { ...ownerLabels(spec.owner), ...roleLabels(spec.role) },
    Env: env,
    User: '65534:65534',
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: false,
    Tty: false,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: limits.pids,
      Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${limits.tmpfsBytes}` },
      Binds: binds,
      IpcMode: 'private',
      RestartPolicy: { Name: 'no' },
      AutoRemove: false,
      LogConfig: { Type: 'none', Config: {} },
      Init: false,
      ...(useGpu ? { DeviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }] } : {}),
    },
  };
}
