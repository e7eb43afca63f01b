import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dcapQvl from '@phala/dcap-qvl';
import { AppError } from '@shared/contract/errors';
import { reportDataFor, verifyTdxQuote, type DcapLibrary, type TeeCheck, type TeePolicy } from '@shared/protocol/tee';
import { silentLogger, type RuntimeLogger } from './types';

/**
 * The per-runner TEE check flow of PROTOCOLS §6, around the one verifier in
 * src-shared/protocol/tee.ts: fetch the runner's quote, use cached collateral (refreshed before
 * its `nextUpdate`), run the verifier, keep every check's named result for the UI, and refuse to
 * send work to a runner whose last check failed or is too old.
 */

export type TeeCheckName = TeeCheck | 'collateral';

export interface TeeCheckResult {
  name: TeeCheckName;
  /** `skipped`: not configured for this runner, or not reached because an earlier check failed. */
  outcome: 'passed' | 'failed' | 'skipped';
  message: string;
}

export interface TeeRecord {
  runnerId: string;
  at: string;
  ok: boolean;
  tcbStatus: string;
  advisoryIds: string[];
  checks: TeeCheckResult[];
  mrTd: string | null;
  /** The 64 reportData bytes of the quote (hex): public, shown so a person can compare bindings. */
  reportData: string | null;
  collateral: { fetchedAt: string; nextUpdate: string | null; fromCache: boolean } | null;
}

export interface TeeRunner {
  id: string;
  /** Fetches the runner's current quote (e.g. from its attestation endpoint). */
  quote: () => Promise<Uint8Array>;
  /** The key the runner must bind in reportData (dstack convention) or the raw 64-byte hex. */
  binding?: { tag: string; content: Uint8Array | string } | { reportDataHex: string };
  /** TCB statuses and measurement allowlists (mrTd, rtMr0..2). */
  policy?: Omit<TeePolicy, 'expectedReportData'>;
}

/** Where fresh collateral comes from (a PCCS; tests pass the stored sample collateral). */
export type CollateralFetcher = (quote: Uint8Array) => Promise<unknown>;

export function pccsCollateral(url: string = dcapQvl.PHALA_PCCS_URL): CollateralFetcher {
  return (quote) => dcapQvl.getCollateral(url, quote);
}

export interface TeeCheckerOptions {
  fetchCollateral: CollateralFetcher;
  /** Folder for the collateral cache (survives restarts, so checks work briefly offline). */
  cacheDir?: string;
  dcap?: DcapLibrary;
  /** Clock in milliseconds (tests set a time inside the sample collateral). */
  now?: () => number;
  /** Refresh collateral this long before its nextUpdate. Default 1 h. */
  refreshMarginMs?: number;
  /** A passing check counts for this long before work needs a new one. Default 1 h. */
  maxAgeMs?: number;
  log?: RuntimeLogger;
}

interface CachedCollateral {
  collateral: unknown;
  fetchedAt: number;
  nextUpdate: number | null;
}

const ALL_CHECKS: TeeCheckName[] = ['collateral', 'quote', 'tcb_status', 'report_data', 'mr_td', 'rt_mr0', 'rt_mr1', 'rt_mr2'];

/** Earliest `nextUpdate` among the signed JSON parts of the collateral (TCB info, QE identity). */
export function collateralNextUpdate(collateral: unknown): number | null {
  if (typeof collateral !== 'object' || collateral === null) return null;
  let earliest: number | null = null;
  for (const key of ['tcb_info', 'qe_identity']) {
    const raw = (collateral as Record<string, unknown>)[key];
    try {
      const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { nextUpdate?: unknown };
      const t = typeof parsed.nextUpdate === 'string' ? Date.parse(parsed.nextUpdate) : NaN;
      if (Number.isFinite(t)) earliest = earliest === null ? t : Math.min(earliest, t);
    } catch {
      // not JSON: no date from this part
    }
  }
  return earliest;
}

export class TeeChecker {
  private readonly cache = new Map<string, CachedCollateral>();
  private readonly records = new Map<string, TeeRecord>();
  private readonly dcap: DcapLibrary;
  private readonly now: () => number;
  private readonly log: RuntimeLogger;

  constructor(private readonly options: TeeCheckerOptions) {
    this.dcap = options.dcap ?? { verify: dcapQvl.verify, constants: dcapQvl.constants };
    this.now = options.now ?? (() => Date.now());
    this.log = options.log ?? silentLogger;
  }

  private cacheFile(runnerId: string): string | null {
    if (!this.options.cacheDir) return null;
    return join(this.options.cacheDir, `tee-collateral-${createHash('sha256').update(runnerId).digest('hex').slice(0, 24)}.json`);
  }

  private loadCached(runnerId: string): CachedCollateral | null {
    const mem = this.cache.get(runnerId);
    if (mem) return mem;
    const file = this.cacheFile(runnerId);
    if (!file) return null;
    try {
      const disk = JSON.parse(readFileSync(file, 'utf8')) as CachedCollateral;
      this.cache.set(runnerId, disk);
      return disk;
    } catch {
      return null;
    }
  }

  private store(runnerId: string, entry: CachedCollateral): void {
    this.cache.set(runnerId, entry);
    const file = this.cacheFile(runnerId);
    if (!file || !this.options.cacheDir) return;
    mkdirSync(this.options.cacheDir, { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, JSON.stringify(entry), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  /** Cached collateral while it is fresh; otherwise fetches (falling back to a still-valid cache). */
  private async collateralFor(runnerId: string, quote: Uint8Array): Promise<{ entry: CachedCollateral; fromCache: boolean }> {
    const now = this.now();
    const margin = this.options.refreshMarginMs ?? 3_600_000;
    const cached = this.loadCached(runnerId);
    if (cached && cached.nextUpdate !== null && now < cached.nextUpdate - margin) return { entry: cached, fromCache: true };
    try {
      const collateral = await this.options.fetchCollateral(quote);
      const entry = { collateral, fetchedAt: now, nextUpdate: collateralNextUpdate(collateral) };
      this.store(runnerId, entry);
      return { entry, fromCache: false };
    } catch (err) {
      if (cached && cached.nextUpdate !== null && now < cached.nextUpdate) {
        this.log.warn('could not refresh TEE collateral; using the cached copy until its nextUpdate', { runnerId, error: (err as Error).message });
        return { entry: cached, fromCache: true };
      }
      throw new AppError('ATTESTATION_FAILED', `Could not get attestation collateral for runner ${runnerId}: ${(err as Error).message}. Check the network connection to the collateral service.`);
    }
  }

  /**
   * Runs every check for a runner and keeps the named results. Never throws for a bad runner.
   * `override.collateral` uses the given (Intel-signed) collateral instead of the cache;
   * `override.nowMs` checks as of another time — such a record is dated then, so a past time can
   * never make a runner count as recently checked.
   */
  async check(runner: TeeRunner, override: { collateral?: unknown; nowMs?: number } = {}): Promise<TeeRecord> {
    const nowMs = override.nowMs ?? this.now();
    const at = new Date(nowMs).toISOString();
    const checks = new Map<TeeCheckName, TeeCheckResult>(ALL_CHECKS.map((name) => [name, { name, outcome: 'skipped', message: 'not configured' }]));
    const record: TeeRecord = { runnerId: runner.id, at, ok: false, tcbStatus: 'Invalid', advisoryIds: [], checks: [], mrTd: null, reportData: null, collateral: null };
    const finish = (): TeeRecord => {
      record.checks = ALL_CHECKS.map((n) => checks.get(n)!);
      record.ok = record.checks.every((c) => c.outcome !== 'failed') && checks.get('quote')?.outcome === 'passed';
      this.records.set(runner.id, record);
      this.log[record.ok ? 'info' : 'warn']('TEE check', { runnerId: runner.id, ok: record.ok, failed: record.checks.filter((c) => c.outcome === 'failed').map((c) => c.name) });
      return record;
    };
    let quote: Uint8Array;
    try {
      quote = await runner.quote();
    } catch (err) {
      checks.set('quote', { name: 'quote', outcome: 'failed', message: `Could not fetch the runner's quote: ${(err as Error).message}` });
      return finish();
    }
    let collateral: { entry: CachedCollateral; fromCache: boolean };
    try {
      collateral =
        override.collateral === undefined
          ? await this.collateralFor(runner.id, quote)
          : { entry: { collateral: override.collateral, fetchedAt: nowMs, nextUpdate: collateralNextUpdate(override.collateral) }, fromCache: false };
    } catch (err) {
      checks.set('collateral', { name: 'collateral', outcome: 'failed', message: (err as Error).message });
      return finish();
    }
    record.collateral = {
      fetchedAt: new Date(collateral.entry.fetchedAt).toISOString(),
      nextUpdate: collateral.entry.nextUpdate === null ? null : new Date(collateral.entry.nextUpdate).toISOString(),
      fromCache: collateral.fromCache,
    };
    const source = override.collateral !== undefined ? 'collateral provided with the check' : collateral.fromCache ? 'cached collateral, still fresh' : 'fresh collateral fetched';
    checks.set('collateral', { name: 'collateral', outcome: 'passed', message: source });

    const policy: TeePolicy = { ...runner.policy };
    if (runner.binding) {
      policy.expectedReportData =
        'reportDataHex' in runner.binding ? runner.binding.reportDataHex : Buffer.from(reportDataFor(runner.binding.tag, runner.binding.content)).toString('hex');
    }
    const result = verifyTdxQuote(this.dcap, quote, collateral.entry.collateral, Math.floor(nowMs / 1000), policy);
    record.tcbStatus = result.status;
    record.advisoryIds = result.advisoryIds;
    record.mrTd = result.mrTd ?? null;
    record.reportData = result.reportData ?? null;
    const failed = new Map(result.failures.map((f) => [f.check, f.message]));
    const quoteFailed = failed.has('quote');
    checks.set('quote', quoteFailed ? { name: 'quote', outcome: 'failed', message: failed.get('quote')! } : { name: 'quote', outcome: 'passed', message: 'signature chain and collateral verify' });
    const configured: Record<Exclude<TeeCheck, 'quote'>, boolean> = {
      tcb_status: true,
      report_data: policy.expectedReportData !== undefined,
      mr_td: policy.mrTd !== undefined,
      rt_mr0: policy.rtMr0 !== undefined,
      rt_mr1: policy.rtMr1 !== undefined,
      rt_mr2: policy.rtMr2 !== undefined,
    };
    for (const [name, on] of Object.entries(configured) as Array<[Exclude<TeeCheck, 'quote'>, boolean]>) {
      if (!on) continue;
      if (quoteFailed) checks.set(name, { name, outcome: 'skipped', message: 'not reached: the quote did not verify' });
      else if (failed.has(name)) checks.set(name, { name, outcome: 'failed', message: failed.get(name)! });
      else checks.set(name, { name, outcome: 'passed', message: name === 'tcb_status' ? `TCB status ${result.status}` : 'matches' });
    }
    return finish();
  }

  /** The last check of a runner, if any. */
  result(runnerId: string): TeeRecord | null {
    return this.records.get(runnerId) ?? null;
  }

  results(): TeeRecord[] {
    return [...this.records.values()];
  }

  /** Throws ATTESTATION_FAILED unless the runner's last check passed recently: no work otherwise. */
  assertTrusted(runnerId: string): TeeRecord {
    const r = this.records.get(runnerId);
    if (!r) throw new AppError('ATTESTATION_FAILED', `Runner ${runnerId} has not passed a TEE check yet; no work is sent to it.`);
    if (!r.ok) {
      const failed = r.checks.filter((c) => c.outcome === 'failed').map((c) => `${c.name}: ${c.message}`);
      throw new AppError('ATTESTATION_FAILED', `Runner ${runnerId} failed its TEE check (${failed.join('; ')}); no work is sent to it.`, { details: { failed: r.checks.filter((c) => c.outcome === 'failed').map((c) => c.name) } });
    }
    if (this.now() - Date.parse(r.at) > (this.options.maxAgeMs ?? 3_600_000)) {
      throw new AppError('ATTESTATION_FAILED', `Runner ${runnerId}'s last TEE check is too old; it must be checked again before it gets work.`);
    }
    return r;
  }

  /** Checks if needed (none yet, or too old), then asserts: the gate before sending work. */
  async ensureTrusted(runner: TeeRunner): Promise<TeeRecord> {
    const r = this.records.get(runner.id);
    if (!r || !r.ok || this.now() - Date.parse(r.at) > (this.options.maxAgeMs ?? 3_600_000)) await this.check(runner);
    return this.assertTrusted(runner.id);
  }
}
