import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collateralNextUpdate, TeeChecker, type TeeRecord, type TeeRunner } from '@core/runtime/tee-checks';

const dir = fileURLToPath(new URL('../../fixtures/tdx/', import.meta.url));
const quote = new Uint8Array(readFileSync(join(dir, 'tdx_quote')));
const collateral: unknown = JSON.parse(readFileSync(join(dir, 'tdx_quote_collateral.json'), 'utf8'));
const outdated = new Uint8Array(readFileSync(join(dir, 'tdx_quote_outdated')));
const outdatedCollateral: unknown = JSON.parse(readFileSync(join(dir, 'tdx_quote_outdated_collateral.json'), 'utf8'));
// Inside the sample collateral's validity (tcb_info issueDate 2025-06-19 … nextUpdate 2025-07-19).
const INSIDE = Date.parse('2025-07-01T00:00:00Z');
const NEXT_UPDATE = Date.parse('2025-07-19T10:16:03Z');

const outcome = (r: TeeRecord) => Object.fromEntries(r.checks.map((c) => [c.name, c.outcome]));

describe('TEE checks per runner (PROTOCOLS §6)', () => {
  let cacheDir: string;
  let now: number;
  let fetches: number;
  let failFetch: boolean;
  const make = (source: unknown = collateral) =>
    new TeeChecker({
      cacheDir,
      now: () => now,
      fetchCollateral: () => {
        fetches += 1;
        if (failFetch) return Promise.reject(new Error('PCCS unreachable'));
        return Promise.resolve(source);
      },
    });
  const runner = (extra: Partial<TeeRunner> = {}, q = quote): TeeRunner => ({ id: 'runner-1', quote: () => Promise.resolve(q), ...extra });

  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'minerva-tee-'));
    now = INSIDE;
    fetches = 0;
    failFetch = false;
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('passes tdx_quote at a time inside its collateral, with every check named', async () => {
    const tee = make();
    const r = await tee.check(runner());
    expect(r.ok).toBe(true);
    expect(r.tcbStatus).toBe('UpToDate');
    expect(outcome(r)).toEqual({ collateral: 'passed', quote: 'passed', tcb_status: 'passed', report_data: 'skipped', mr_td: 'skipped', rt_mr0: 'skipped', rt_mr1: 'skipped', rt_mr2: 'skipped' });
    expect(r.collateral).toMatchObject({ fromCache: false, nextUpdate: new Date(NEXT_UPDATE).toISOString() });
    expect(tee.assertTrusted('runner-1').ok).toBe(true);
  });

  it('binds reportData and pins mrTd; a wrong one fails by name and the runner gets no work', async () => {
    const tee = make();
    const base = await tee.check(runner());
    expect(base.reportData).toMatch(/^[0-9a-f]{128}$/);
    const good = await tee.check(runner({ binding: { reportDataHex: base.reportData! }, policy: { mrTd: [base.mrTd!] } }));
    expect(good.ok).toBe(true);
    expect(outcome(good)).toMatchObject({ report_data: 'passed', mr_td: 'passed' });
    const wrongKey = await tee.check(runner({ binding: { tag: 'app-data', content: 'not the runner key' }, policy: { mrTd: [base.mrTd!] } }));
    expect(wrongKey.ok).toBe(false);
    expect(outcome(wrongKey)).toMatchObject({ quote: 'passed', report_data: 'failed', mr_td: 'passed' });
    expect(() => tee.assertTrusted('runner-1')).toThrow(expect.objectContaining({ code: 'ATTESTATION_FAILED', message: expect.stringContaining('report_data') as unknown }));
    const wrongTd = await tee.check(runner({ policy: { mrTd: ['11'.repeat(48)] } }));
    expect(outcome(wrongTd)).toMatchObject({ mr_td: 'failed' });
    expect(() => tee.assertTrusted('runner-1')).toThrow(/mr_td/);
  });

  it('fails tdx_quote_outdated under the default policy, naming the failed check', async () => {
    now = Date.parse('2026-03-01T00:00:00Z');
    const r = await make(outdatedCollateral).check(runner({}, outdated));
    expect(r.ok).toBe(false);
    const failed = r.checks.filter((c) => c.outcome === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(['quote', 'tcb_status']).toContain(failed[0]!.name);
    expect(() => make(outdatedCollateral).assertTrusted('runner-1')).toThrow(/has not passed/);
  });

  it('fails a quote with one changed byte (quote), and skips the checks it did not reach', async () => {
    const bad = Uint8Array.from(quote);
    bad[700] = bad[700]! ^ 0x01;
    const r = await make().check(runner({ policy: { mrTd: ['11'.repeat(48)] } }, bad));
    expect(outcome(r)).toMatchObject({ quote: 'failed', tcb_status: 'skipped', mr_td: 'skipped' });
    expect(r.ok).toBe(false);
  });

  it('caches collateral until shortly before nextUpdate, then refreshes; keeps a valid cache when the refresh fails', async () => {
    const tee = make();
    await tee.check(runner());
    expect((await tee.check(runner())).collateral?.fromCache).toBe(true);
    expect(fetches).toBe(1);
    // a new checker reads the cache from disk (restart)
    expect((await make().check(runner())).collateral?.fromCache).toBe(true);
    expect(fetches).toBe(1);
    now = NEXT_UPDATE - 30 * 60_000; // inside the refresh margin
    expect((await tee.check(runner())).collateral?.fromCache).toBe(false);
    expect(fetches).toBe(2);
    failFetch = true;
    const stale = await tee.check(runner());
    expect(stale.collateral?.fromCache).toBe(true);
    expect(stale.ok).toBe(true);
    now = NEXT_UPDATE + 1000; // expired and no refresh possible
    const expired = await tee.check(runner());
    expect(outcome(expired)).toMatchObject({ collateral: 'failed' });
    expect(expired.ok).toBe(false);
  });

  it('refuses work before any check and after the result grows old; ensureTrusted re-checks', async () => {
    const tee = make();
    expect(() => tee.assertTrusted('runner-1')).toThrow(/has not passed/);
    await tee.ensureTrusted(runner());
    now += 2 * 3_600_000;
    expect(() => tee.assertTrusted('runner-1')).toThrow(/too old/);
    now = INSIDE + 60_000;
    expect((await tee.ensureTrusted(runner())).ok).toBe(true);
    const unreachable = await tee.check(runner({ id: 'runner-2', quote: () => Promise.reject(new Error('connection refused')) }));
    expect(outcome(unreachable)).toMatchObject({ quote: 'failed' });
    expect(tee.results().map((r) => r.runnerId).sort()).toEqual(['runner-1', 'runner-2']);
  });

  it('reads nextUpdate from the collateral', () => {
    expect(collateralNextUpdate(collateral)).toBe(NEXT_UPDATE);
    expect(collateralNextUpdate({})).toBeNull();
  });
});
