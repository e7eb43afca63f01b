import { describe, expect, it } from 'vitest';
import { buildCreateOptions, currentOwner } from '@core/runtime/container-spec';
import { checkImageRef, parseImageRef } from '@core/runtime/image-ref';
import { isolationReport } from '@core/runtime/isolation';
import { reapReason } from '@core/runtime/reaper';
import { LABEL } from '@core/runtime/types';
import type Docker from 'dockerode';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('image reference policy (PROTOCOLS §7)', () => {
  it.each([
    [`model:1.0@${digest}`, { name: 'model', tag: '1.0', digest }],
    [`registry.example:5000/team/model:v2@${digest}`, { name: 'registry.example:5000/team/model', tag: 'v2', digest }],
    ['localhost/m:latest', { name: 'localhost/m', tag: 'latest', digest: null }],
    ['m', { name: 'm', tag: null, digest: null }],
  ])('parses %s', (ref, want) => expect(parseImageRef(ref)).toEqual(want));

  it.each([
    ['model:1.0', 'no digest'],
    [`model@${digest}`, 'no tag'],
    ['model', 'neither a tag nor a digest'],
  ])('refuses %s outside developer mode (%s)', (ref, reason) => {
    expect(() => checkImageRef(ref, { developerMode: false })).toThrow(reason);
    expect(() => checkImageRef(ref, { developerMode: true })).not.toThrow();
  });

  it.each(['Model:1', 'model:1@sha256:abc', `model:1@sha512:${'ab'.repeat(64)}`, 'model:-bad', '', 'a b:1'])('refuses malformed %j in any mode', (ref) => {
    expect(() => checkImageRef(ref, { developerMode: true })).toThrow(expect.objectContaining({ code: 'IMAGE_REFUSED' }));
  });
});

describe('container defaults', () => {
  const owner = currentOwner('scope1', 'inst1');
  it('locks the container down by default', () => {
    const o = buildCreateOptions({ imageId: digest, owner, role: { job: 'j1' } });
    expect(o.Labels).toMatchObject({ [LABEL.managed]: '1', [LABEL.job]: 'j1', [LABEL.scope]: 'scope1', [LABEL.owner]: 'inst1', [LABEL.ownerPid]: String(process.pid) });
    expect(o.NetworkDisabled).toBe(true);
    expect(o.User).toBe('65534:65534');
    expect(o.HostConfig).toMatchObject({
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Memory: 256 * 1024 ** 2,
      MemorySwap: 256 * 1024 ** 2,
      NanoCpus: 1e9,
      PidsLimit: 64,
      LogConfig: { Type: 'none', Config: {} },
      Binds: [],
    });
    expect(o.HostConfig?.Tmpfs?.['/tmp']).toMatch(/noexec.*size=16777216/);
    expect(o.HostConfig?.DeviceRequests).toBeUndefined();
  });

  it('requests GPUs only when asked and available', () => {
    const ask = (gpu: 'none' | 'if-available' | 'required', gpuAvailable: boolean) => buildCreateOptions({ imageId: digest, owner, role: { runner: 'r' }, gpu, gpuAvailable }).HostConfig?.DeviceRequests;
    expect(ask('none', true)).toBeUndefined();
    expect(ask('if-available', false)).toBeUndefined();
    expect(ask('if-available', true)).toEqual([{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }]);
    expect(() => ask('required', false)).toThrow(/NVIDIA/);
  });

  it('mounts input read-only and output read-write, and refuses odd env names', () => {
    const o = buildCreateOptions({ imageId: digest, owner, role: { job: 'j' }, inputDir: '/data/in', outputDir: '/data/out', env: { SEED: '1' } });
    expect(o.HostConfig?.Binds).toEqual(['/data/in:/in:ro', '/data/out:/out:rw']);
    expect(o.Env).toEqual(['SEED=1', 'MINERVA_OUT_DIR=/out']);
    expect(() => buildCreateOptions({ imageId: digest, owner, role: { job: 'j' }, env: { 'LD_PRELOAD=x; ': '1' } })).toThrow(/not allowed/);
  });
});

describe('isolation report', () => {
  const inspect = (hc: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({
      Id: 'c1',
      Name: '/m',
      Image: digest,
      State: { Status: 'running' },
      Config: { User: '65534:65534', Labels: { [LABEL.job]: 'j' }, NetworkDisabled: true },
      HostConfig: hc,
      NetworkSettings: { Networks: {} },
      Mounts: [],
      ...extra,
    }) as unknown as Docker.ContainerInspectInfo;
  const good = { NetworkMode: 'none', ReadonlyRootfs: true, CapDrop: ['ALL'], CapAdd: null, SecurityOpt: ['no-new-privileges'], Memory: 1, NanoCpus: 1, PidsLimit: 1, LogConfig: { Type: 'none' } };

  it('is ok when every default holds', () => {
    expect(isolationReport(inspect(good)).verdict).toEqual({ ok: true, findings: [] });
  });

  it('names every weakened default, from what the engine reports', () => {
    const r = isolationReport(
      inspect(
        { NetworkMode: 'bridge', ReadonlyRootfs: false, CapAdd: ['NET_ADMIN'], Privileged: true, LogConfig: { Type: 'json-file' } },
        { Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock', RW: true }, { Type: 'bind', Source: '/home', Destination: '/home', RW: true }], NetworkSettings: { Networks: { bridge: {} } } },
      ),
    );
    expect(r.verdict.ok).toBe(false);
    expect(r.verdict.findings).toEqual([
      'network mode is "bridge", not "none"',
      'attached to networks: bridge',
      'root filesystem is writable',
      'capabilities are not all dropped',
      'capabilities added: NET_ADMIN',
      'privileged',
      'no-new-privileges is not set',
      'no memory limit',
      'no CPU limit',
      'no process limit',
      'log driver "json-file" may write model output to disk',
      'the Docker socket is mounted',
      'writable mount at /home',
    ]);
  });
});

describe('reaper decisions', () => {
  const me = { instance: 'me', host: 'h1' };
  const c = (labels: Record<string, string>, state = 'running') => ({ id: 'x', state, labels: { [LABEL.managed]: '1', ...labels } });
  const alive = (pid: number) => pid === 100;
  it.each([
    ['mine and running', c({ [LABEL.owner]: 'me', [LABEL.ownerHost]: 'h1', [LABEL.ownerPid]: '1' }), null],
    ['mine, stopped and untracked', c({ [LABEL.owner]: 'me', [LABEL.ownerHost]: 'h1' }, 'exited'), /stopped/],
    ['another live app here', c({ [LABEL.owner]: 'o', [LABEL.ownerHost]: 'h1', [LABEL.ownerPid]: '100' }), null],
    ['a dead app here', c({ [LABEL.owner]: 'o', [LABEL.ownerHost]: 'h1', [LABEL.ownerPid]: '200' }), /pid 200\) is gone/],
    ['running, from another host', c({ [LABEL.owner]: 'o', [LABEL.ownerHost]: 'h2', [LABEL.ownerPid]: '200' }), null],
    ['stopped, from another host', c({ [LABEL.owner]: 'o', [LABEL.ownerHost]: 'h2' }, 'exited'), /another host/],
  ] as const)('%s', (_what, container, want) => {
    const reason = reapReason(container, me, alive, () => false);
    if (want === null) expect(reason).toBeNull();
    else expect(reason).toMatch(want);
  });
  it('never reaps a tracked container', () => {
    expect(reapReason(c({ [LABEL.owner]: 'o', [LABEL.ownerHost]: 'h1', [LABEL.ownerPid]: '200' }), me, alive, () => true)).toBeNull();
  });
});
