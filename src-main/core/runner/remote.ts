import { createHash } from 'node:crypto';
import type { MethodParsedInput } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import type { RemoteRunnerView } from '@shared/contract/runner';
import type { TeeRecord } from '@shared/contract/runtime';
import type { Db } from '../db/open';
import type { ScopedLogger } from '../log/logger';
import type { RuntimeService } from '../runtime/runtime.service';

/**
 * TEE-hosted runners (issue 9 item 8): a runner the miner deployed elsewhere, inside a TDX
 * confidential VM. Before Minerva registers it for a competition, its attestation goes through
 * the one TEE check flow of the runtime (PROTOCOLS §6: quote + collateral, TCB status, mrTd
 * allowlist); the record — every check by name — is kept (migration 70) and shown, and
 * `register` runs only when every check passed. Nothing here is secret: the quote, the
 * measurements and the address are public; the quote itself is not stored.
 */

export type AddRemoteInput = MethodParsedInput<'runner.addRemote'>;

export interface RemoteRunnersOptions {
  db: Db;
  log: ScopedLogger;
  now: () => Date;
  /** Only the TEE checker is used (the same one `runtime.checkTee` uses). */
  runtime: Pick<RuntimeService, 'tee'>;
  /** Registers a checked runner for the competition (on chain / with the network). */
  register: (competitionId: string, address: string) => Promise<void>;
}

interface Row {
  id: string;
  competition_id: string;
  address: string;
  registered: number;
  tee_json: string;
}

const MAX_QUOTE_BYTES = 64 * 1024;

/** `host:port` with a DNS name, an IPv4 address or a bracketed IPv6 address; port 1–65535. */
export function parseRunnerAddress(raw: string): { host: string; port: number; address: string } {
  const text = raw.trim();
  const bad = (why: string) =>
    new AppError('VALIDATION', `The runner address ${JSON.stringify(text.slice(0, 80))} ${why}. Write it as host:port, e.g. runner.example.org:50051 or [2001:db8::1]:50051.`);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s/[\]]+):(\d{1,5})$/.exec(text);
  if (!m) throw bad('is not host:port');
  const host = m[1]!.toLowerCase();
  const port = Number(m[2]);
  if (port < 1 || port > 65_535) throw bad('has a port outside 1–65535');
  if (!host.startsWith('[')) {
    const labels = host.split('.');
    const dnsOk = host.length <= 253 && labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
    if (!dnsOk) throw bad('has a host that is neither a DNS name nor an IP address');
    if (/^[0-9.]+$/.test(host) && !(labels.length === 4 && labels.every((l) => Number(l) <= 255 && String(Number(l)) === l))) throw bad('has an invalid IPv4 address');
  }
  return { host, port, address: `${host}:${port}` };
}

/** Canonical padded base64 (whitespace from a paste is dropped), else VALIDATION. */
export function decodeQuote(b64: string): Uint8Array {
  const text = b64.replace(/\s+/g, '');
  const bytes = Buffer.from(text, 'base64');
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || bytes.toString('base64') !== text) {
    throw new AppError('VALIDATION', 'The quote is not base64. Upload the quote file itself, or paste the base64 text your runner’s attestation endpoint returned.');
  }
  if (bytes.length > MAX_QUOTE_BYTES) throw new AppError('TOO_LARGE', `The quote is ${bytes.length} bytes; a TDX quote is a few kilobytes (at most ${MAX_QUOTE_BYTES}).`);
  return new Uint8Array(bytes);
}

export function remoteRunnerId(competitionId: string, address: string): string {
  return `remote-${createHash('sha256').update(`${competitionId}\n${address}`).digest('hex').slice(0, 16)}`;
}

export class RemoteRunners {
  private readonly log: ScopedLogger;
  /** Adds in flight per runner id: a second add of the same runner waits for the first. */
  private readonly inFlight = new Map<string, Promise<RemoteRunnerView>>();

  constructor(private readonly opts: RemoteRunnersOptions) {
    this.log = opts.log.scope('remote-runners');
  }

  list(): RemoteRunnerView[] {
    const rows = this.opts.db.prepare('SELECT id, competition_id, address, registered, tee_json FROM remote_runners ORDER BY created_at, id').all() as Row[];
    return rows.map(toView);
  }

  /**
   * Checks the runner's attestation and registers it only if every check passed. A failed check
   * is an answer, not an error: the view says which check failed and why (`registered: false`).
   * A failed registration keeps the (passing) record and throws, so the miner can try again.
   */
  add(input: AddRemoteInput): Promise<RemoteRunnerView> {
    const { address } = parseRunnerAddress(input.address);
    const quote = decodeQuote(input.quoteB64);
    const id = remoteRunnerId(input.competitionId, address);
    const previous = this.inFlight.get(id) ?? Promise.resolve(null);
    const run = previous
      .catch(() => null)
      .then(() => this.checkAndRegister(id, input, address, quote))
      .finally(() => {
        if (this.inFlight.get(id) === run) this.inFlight.delete(id);
      });
    this.inFlight.set(id, run);
    return run;
  }

  private async checkAndRegister(id: string, input: AddRemoteInput, address: string, quote: Uint8Array): Promise<RemoteRunnerView> {
    const atMs = input.at ? Date.parse(input.at) : undefined;
    const record: TeeRecord = await this.opts.runtime.tee.check(
      {
        id,
        quote: () => Promise.resolve(quote),
        ...(input.expectedReportData ? { binding: { reportDataHex: input.expectedReportData.replace(/^0x/, '').toLowerCase() } } : {}),
        policy: { allowSwHardening: input.allowSwHardening, ...(input.mrTd ? { mrTd: input.mrTd } : {}) },
      },
      { ...(input.collateral ? { collateral: input.collateral } : {}), ...(atMs !== undefined ? { nowMs: atMs } : {}) },
    );
    const failed = record.checks.filter((c) => c.outcome === 'failed').map((c) => c.name);
    // A new check replaces the old record; registration stays only if this check passed too.
    this.save(id, input.competitionId, address, record, false);
    if (!record.ok) {
      this.log.warn('remote runner refused: TEE check failed', { id, competitionId: input.competitionId, address, failed, tcbStatus: record.tcbStatus });
      return this.get(id);
    }
    try {
      await this.opts.register(input.competitionId, address);
    } catch (error) {
      this.log.warn('remote runner passed its TEE check but could not be registered', { id, competitionId: input.competitionId, address, error: (error as Error).message });
      if (error instanceof AppError) throw error;
      throw new AppError('NETWORK_ERROR', `The runner at ${address} passed every TEE check, but registering it failed: ${(error as Error).message}. Try again.`);
    }
    this.opts.db.prepare('UPDATE remote_runners SET registered = 1, updated_at = ? WHERE id = ?').run(this.opts.now().toISOString(), id);
    this.log.info('remote runner registered after its TEE check passed', { id, competitionId: input.competitionId, address, tcbStatus: record.tcbStatus, mrTd: record.mrTd });
    return this.get(id);
  }

  private save(id: string, competitionId: string, address: string, record: TeeRecord, registered: boolean): void {
    const now = this.opts.now().toISOString();
    this.opts.db
      .prepare(
        `INSERT INTO remote_runners (id, competition_id, address, registered, tee_ok, tee_json, created_at, updated_at)
         VALUES (@id, @competitionId, @address, @registered, @ok, @tee, @now, @now)
         ON CONFLICT(id) DO UPDATE SET registered = excluded.registered, tee_ok = excluded.tee_ok, tee_json = excluded.tee_json, updated_at = excluded.updated_at`,
      )
      .run({ id, competitionId, address, registered: registered ? 1 : 0, ok: record.ok ? 1 : 0, tee: JSON.stringify(record), now });
  }

  private get(id: string): RemoteRunnerView {
    const row = this.opts.db.prepare('SELECT id, competition_id, address, registered, tee_json FROM remote_runners WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new AppError('INTERNAL', 'The remote runner record was not saved.');
    return toView(row);
  }
}

function toView(row: Row): RemoteRunnerView {
  return { id: row.id, competitionId: row.competition_id, address: row.address, registered: row.registered === 1, tee: JSON.parse(row.tee_json) as TeeRecord };
}
