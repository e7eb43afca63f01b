import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { MIGRATIONS } from '@core/create-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '@core/db/open';
import { createLogger, type Logger } from '@core/log/logger';
import { decodeQuote, parseRunnerAddress, RemoteRunners, remoteRunnerId } from '@core/runner/remote';
import { RuntimeService } from '@core/runtime/runtime.service';
import { AppError } from '@shared/contract/errors';
import type { RemoteRunnerView } from '@shared/contract/runner';

/**
 * TEE-hosted runners (issue 9 item 8) against the real TDX vectors (PROTOCOLS §6), a real SQLite
 * file and the runtime's real TEE checker. The collateral service (Intel's PCCS) is not reachable
 * here: the fetcher refuses, exactly as offline, and tests pass the Intel-signed sample collateral
 * with the check, as a miner can.
 */
const dir = fileURLToPath(new URL('../../../fixtures/tdx/', import.meta.url));
const quote = readFileSync(join(dir, 'tdx_quote'));
const collateral = JSON.parse(readFileSync(join(dir, 'tdx_quote_collateral.json'), 'utf8')) as Record<string, unknown>;
const outdated = readFileSync(join(dir, 'tdx_quote_outdated'));
const outdatedCollateral = JSON.parse(readFileSync(join(dir, 'tdx_quote_outdated_collateral.json'), 'utf8')) as Record<string, unknown>;
const INSIDE = '2025-07-01T00:00:00.000Z';

const outcome = (v: RemoteRunnerView) => Object.fromEntries(v.tee.checks.map((c) => [c.name, c.outcome]));
const base = (extra: Record<string, unknown> = {}) => ({
  competitionId: 'practice-runner',
  address: 'runner.example.org:50051',
  quoteB64: quote.toString('base64'),
  collateral,
  at: INSIDE,
  allowSwHardening: false,
  ...extra,
});

describe('RemoteRunners: TEE-hosted runners are checked before they are registered', () => {
  let folder: string;
  let db: Db;
  let logger: Logger;
  let lines: string[];
  let registered: Array<[string, string]>;
  let registerFails: Error | null;
  let runtime: RuntimeService;
  const make = () =>
    new RemoteRunners({
      db,
      log: logger.scope('runner'),
      now: () => new Date('2026-11-24T10:00:00Z'),
      runtime,
      register: (competitionId, address) => {
        if (registerFails) return Promise.reject(registerFails);
        registered.push([competitionId, address]);
        return Promise.resolve();
      },
    });

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'minerva-remote-'));
    db = openDatabase(join(folder, 'minerva.db'), MIGRATIONS);
    lines = [];
    logger = createLogger({ console: (l) => lines.push(l), level: 'debug' });
    registered = [];
    registerFails = null;
    runtime = new RuntimeService({ dataDir: folder, developerMode: () => false, redact: (s) => s, teeCollateral: () => Promise.reject(new Error('PCCS unreachable (offline)')) });
  });
  afterEach(async () => {
    await runtime.close();
    db.close();
    logger.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('registers tdx_quote at a time inside its collateral, shows every check by name, and keeps it across a restart', async () => {
    const view = await make().add(base());
    expect(view.registered).toBe(true);
    expect(view.tee.ok).toBe(true);
    expect(view.tee.tcbStatus).toBe('UpToDate');
    expect(outcome(view)).toEqual({ collateral: 'passed', quote: 'passed', tcb_status: 'passed', report_data: 'skipped', mr_td: 'skipped', rt_mr0: 'skipped', rt_mr1: 'skipped', rt_mr2: 'skipped' });
    expect(view.tee.mrTd).toMatch(/^[0-9a-f]{96}$/);
    expect(registered).toEqual([['practice-runner', 'runner.example.org:50051']]);
    expect(view.id).toBe(remoteRunnerId('practice-runner', 'runner.example.org:50051'));
    // The runtime's TEE list shows it too (one checker).
    expect(runtime.tee.result(view.id)?.ok).toBe(true);
    // A fresh instance on the same database (a restart) lists the record.
    expect(make().list()).toEqual([view]);
  });

  it('pins mrTd: the right value passes, another one fails by name and nothing is registered', async () => {
    const first = await make().add(base());
    const pinned = await make().add(base({ mrTd: [`0x${first.tee.mrTd!.toUpperCase()}`] }));
    expect(outcome(pinned)).toMatchObject({ mr_td: 'passed' });
    expect(pinned.registered).toBe(true);
    registered = [];
    const wrong = await make().add(base({ address: 'other.example.org:50051', mrTd: ['ab'.repeat(48)] }));
    expect(wrong.registered).toBe(false);
    expect(wrong.tee.ok).toBe(false);
    expect(outcome(wrong)).toMatchObject({ quote: 'passed', tcb_status: 'passed', mr_td: 'failed' });
    expect(wrong.tee.checks.find((c) => c.name === 'mr_td')?.message).toMatch(/not in the pinned allowlist/);
    expect(registered).toEqual([]);
  });

  it('checks the reportData binding when one is expected: the quote’s own passes, any other fails by name', async () => {
    const first = await make().add(base());
    expect(outcome(first)).toMatchObject({ report_data: 'skipped' });
    const bound = first.tee.reportData!;
    expect(bound).toMatch(/^[0-9a-f]{128}$/);
    const right = await make().add(base({ expectedReportData: `0x${bound.toUpperCase()}` }));
    expect(outcome(right)).toMatchObject({ report_data: 'passed' });
    expect(right.registered).toBe(true);
    registered = [];
    const other = await make().add(base({ address: 'bound.example.org:50051', expectedReportData: '00'.repeat(64) }));
    expect(outcome(other)).toMatchObject({ quote: 'passed', report_data: 'failed' });
    expect(other.registered).toBe(false);
    expect(registered).toEqual([]);
  });

  it('fails tdx_quote_outdated under the default policy and does not register it', async () => {
    const view = await make().add(base({ quoteB64: outdated.toString('base64'), collateral: outdatedCollateral, at: '2026-03-01T00:00:00.000Z' }));
    expect(view.registered).toBe(false);
    expect(view.tee.ok).toBe(false);
    const failed = view.tee.checks.filter((c) => c.outcome === 'failed').map((c) => c.name);
    expect(failed.length).toBeGreaterThan(0);
    expect(['quote', 'tcb_status']).toContain(failed[0]);
    expect(registered).toEqual([]);
    expect(lines.some((l) => l.includes('remote runner refused: TEE check failed'))).toBe(true);
  });

  it('fails a quote with one changed byte (quote), skipping what it did not reach', async () => {
    const bad = Buffer.from(quote);
    bad[700] = bad[700]! ^ 0x01;
    const view = await make().add(base({ quoteB64: bad.toString('base64'), mrTd: ['11'.repeat(48)] }));
    expect(view.registered).toBe(false);
    expect(outcome(view)).toMatchObject({ quote: 'failed', tcb_status: 'skipped', mr_td: 'skipped' });
    expect(registered).toEqual([]);
  });

  it('fails the collateral check when no collateral is given and the collateral service cannot be reached', async () => {
    const view = await make().add(base({ collateral: undefined, at: undefined }));
    expect(view.registered).toBe(false);
    expect(outcome(view)).toMatchObject({ collateral: 'failed' });
    expect(view.tee.checks.find((c) => c.name === 'collateral')?.message).toMatch(/PCCS unreachable/);
  });

  it('the same quote checked as of a time outside its collateral fails, and a later failing check withdraws the registration', async () => {
    const runners = make();
    expect((await runners.add(base())).registered).toBe(true);
    const late = await runners.add(base({ at: '2026-01-01T00:00:00.000Z' }));
    expect(late.registered).toBe(false);
    expect(late.tee.ok).toBe(false);
    expect(runners.list()).toHaveLength(1);
    expect(runners.list()[0]?.registered).toBe(false);
  });

  it('keeps a passing record unregistered and says so when registration fails', async () => {
    registerFails = new Error('chain unreachable');
    const runners = make();
    await expect(runners.add(base())).rejects.toMatchObject({ code: 'NETWORK_ERROR', message: expect.stringMatching(/passed every TEE check.*chain unreachable/) as unknown });
    expect(runners.list()).toMatchObject([{ registered: false, tee: { ok: true } }]);
    registerFails = new AppError('VAULT_LOCKED', 'Unlock your wallet.');
    await expect(runners.add(base())).rejects.toMatchObject({ code: 'VAULT_LOCKED' });
    registerFails = null;
    expect((await runners.add(base())).registered).toBe(true);
    expect(runners.list()).toHaveLength(1);
  });

  it('refuses a bad address or a quote that is not base64 with VALIDATION, saving nothing', async () => {
    const runners = make();
    for (const address of ['runner.example.org', 'runner.example.org:0', 'runner.example.org:70000', 'http://x:1', '300.1.1.1:5', 'a b:1', '-bad-.example:1']) {
      await expect(async () => runners.add(base({ address }))).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(async () => runners.add(base({ quoteB64: 'not base64!' }))).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(async () => runners.add(base({ quoteB64: 'QUJD' + 'RA' }))).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(runners.list()).toEqual([]);
    expect(registered).toEqual([]);
  });

  it('parses addresses and quotes', () => {
    expect(parseRunnerAddress(' Runner.Example.org:50051 ')).toEqual({ host: 'runner.example.org', port: 50051, address: 'runner.example.org:50051' });
    expect(parseRunnerAddress('[2001:db8::1]:443').address).toBe('[2001:db8::1]:443');
    expect(parseRunnerAddress('10.0.0.7:9000').port).toBe(9000);
    const wrapped = quote.toString('base64').replace(/(.{76})/g, '$1\n');
    expect(Buffer.from(decodeQuote(wrapped)).equals(quote)).toBe(true);
    expect(() => decodeQuote(Buffer.alloc(70_000).toString('base64'))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }) as Error);
  });

  it('logs no quote bytes', async () => {
    await make().add(base({ mrTd: ['ab'.repeat(48)] }));
    const b64 = quote.toString('base64');
    expect(lines.join('\n')).not.toContain(b64.slice(100, 160));
  });
});
