import type Docker from 'dockerode';
import { LABEL } from './types';
import type { IsolationReport } from '@shared/contract/runtime';

/**
 * The isolation report of one container, read back from `docker inspect` — what the engine
 * actually applied, not what Minerva asked for — with a verdict listing every finding.
 */

// The report is part of the contract (the Runtime page shows it as is).
export type { IsolationReport } from '@shared/contract/runtime';

export function isolationReport(info: Docker.ContainerInspectInfo, allowed: { outputMount?: boolean } = {}): IsolationReport {
  const hc = (info.HostConfig ?? {}) as Docker.HostConfig & { DeviceRequests?: Array<{ Driver?: string; Count?: number; DeviceIDs?: string[] }> | null };
  const cfg = (info.Config ?? {}) as Docker.ContainerInspectInfo['Config'] & { NetworkDisabled?: boolean };
  const interfaces = Object.keys(info.NetworkSettings?.Networks ?? {});
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const securityOpt = strings(hc.SecurityOpt);
  const noNewPrivileges = securityOpt.some((o) => o === 'no-new-privileges' || o === 'no-new-privileges:true' || o === 'no-new-privileges=true');
  const mounts = (info.Mounts ?? []).map((m) => ({
    type: m.Type ?? 'bind',
    source: m.Source ?? null,
    destination: m.Destination,
    readWrite: m.RW === true,
  }));
  const tmpfs = Object.entries(hc.Tmpfs ?? {}).map(([path, options]) => ({ path, options }));
  const deviceRequests = hc.DeviceRequests ?? [];
  const report: IsolationReport = {
    containerId: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Image,
    state: info.State?.Status ?? 'unknown',
    labels: { job: cfg.Labels?.[LABEL.job] ?? null, runner: cfg.Labels?.[LABEL.runner] ?? null },
    network: { mode: hc.NetworkMode ?? 'default', disabled: cfg.NetworkDisabled === true, interfaces },
    rootfs: { readOnly: hc.ReadonlyRootfs === true },
    mounts,
    tmpfs,
    capabilities: { dropped: strings(hc.CapDrop), added: strings(hc.CapAdd), privileged: hc.Privileged === true, noNewPrivileges },
    user: cfg.User ?? '',
    limits: { memoryBytes: hc.Memory ?? 0, memorySwapBytes: hc.MemorySwap ?? 0, cpus: (hc.NanoCpus ?? 0) / 1e9, pids: hc.PidsLimit ?? 0 },
    gpu: { requested: deviceRequests.length > 0, devices: deviceRequests.map((d) => `${d.Driver ?? 'default'}:${d.Count === -1 ? 'all' : (d.DeviceIDs?.join(',') ?? String(d.Count ?? 0))}`) },
    logDriver: hc.LogConfig?.Type ?? 'default',
    verdict: { ok: true, findings: [] },
  };
  const findings: string[] = [];
  if (report.network.mode !== 'none') findings.push(`network mode is "${report.network.mode}", not "none"`);
  if (interfaces.some((n) => n !== 'none')) findings.push(`attached to networks: ${interfaces.join(', ')}`);
  if (!report.rootfs.readOnly) findings.push('root filesystem is writable');
  if (!report.capabilities.dropped.map((c) => c.toUpperCase()).includes('ALL')) findings.push('capabilities are not all dropped');
  if (report.capabilities.added.length > 0) findings.push(`capabilities added: ${report.capabilities.added.join(', ')}`);
  if (report.capabilities.privileged) findings.push('privileged');
  if (!noNewPrivileges) findings.push('no-new-privileges is not set');
  if (report.limits.memoryBytes <= 0) findings.push('no memory limit');
  if (report.limits.cpus <= 0) findings.push('no CPU limit');
  if (report.limits.pids <= 0) findings.push('no process limit');
  if (report.user === '' || report.user === 'root' || report.user.startsWith('0:') || report.user === '0') findings.push('runs as root');
  if (report.logDriver !== 'none') findings.push(`log driver "${report.logDriver}" may write model output to disk`);
  for (const m of mounts) {
    if (m.source && /docker\.sock$/.test(m.source)) findings.push('the Docker socket is mounted');
    else if (m.readWrite && !(allowed.outputMount && m.destination === '/out')) findings.push(`writable mount at ${m.destination}`);
  }
  report.verdict = { ok: findings.length === 0, findings };
  return report;
}
