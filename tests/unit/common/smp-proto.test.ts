import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSmpServices } from '@common/smp-proto';
import { smpServices } from '@core/runner/smp-proto';
import { loadSmpPackage } from '@devnet/coordinator/smp-grpc';

describe('the one SMP proto loader', () => {
  it('loads both services with §5 paths and leaves no temp folder behind', () => {
    // A private TMPDIR: other processes on this machine may load the proto at the same time.
    const privateTmp = mkdtempSync(join(tmpdir(), 'minerva-smp-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    try {
      const services = loadSmpServices();
      expect(services.DynamicSubclassService.service.Call!.path).toBe('/dynamic_subclass.DynamicSubclassService/Call');
      expect(services.Health.service.Check!.path).toBe('/grpc.health.v1.Health/Check');
      expect(readdirSync(privateTmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(privateTmp, { recursive: true, force: true });
    }
  });

  it('is the very loader core (runner server) and the practice coordinator (client) use: loaded once', () => {
    expect(smpServices()).toBe(loadSmpServices());
    expect(loadSmpPackage()).toBe(loadSmpServices());
  });
});
