/**
 * TEE attestation check (PROTOCOLS §6) for runners in Intel TDX (Phala dstack):
 *   1. the quote verifies with its collateral at `now` (`@phala/dcap-qvl`);
 *   2. the TCB status is in the allowed set (default `UpToDate`; `SWHardeningNeeded` if allowed);
 *   3. `reportData` equals sha512(tag + ":" + content) for the expected runner key
 *      (dstack: tag `app-data` for an app key, `ratls-cert` for a TLS SPKI);
 *   4. `mrTd` (and `rtMr0..2` when configured) are in the pinned allowlist.
 * Every failure is reported by name.
 *
 * The DCAP verifier is passed in (`verify` of `@phala/dcap-qvl`) rather than imported: it needs
 * Node's Buffer and crypto, and src-shared must stay pure. Its shape is declared structurally.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { AppError } from '@shared/contract/errors';
import { bytesEqual, concatBytes, fromBase64, fromHex, toBase64, toHex } from './encoding';
import { utf8Encode } from './runtime';

export type TeeCheck = 'quote' | 'tcb_status' | 'report_data' | 'mr_td' | 'rt_mr0' | 'rt_mr1' | 'rt_mr2';

export interface TdReportLike {
  mrTd: Uint8Array;
  rtMr0: Uint8Array;
  rtMr1: Uint8Array;
  rtMr2: Uint8Array;
  reportData: Uint8Array;
}

/** What `@phala/dcap-qvl`'s `verify` returns, as far as we read it. */
export interface DcapVerifiedReport {
  status: string;
  advisory_ids: string[];
  report: { asTd10(): TdReportLike | null; asTd15(): { base: TdReportLike } | null };
}

export type DcapVerify = (quote: Uint8Array, collateral: never, nowSeconds: number) => DcapVerifiedReport;

/** The parts of the `@phala/dcap-qvl` module we use; pass the module itself. */
export interface DcapLibrary {
  verify: DcapVerify;
  constants?: { TRUSTED_ROOT_CA_DER?: Uint8Array };
}

export interface TeePolicy {
  /** TCB statuses accepted; default `["UpToDate"]`. */
  allowedStatuses?: readonly string[];
  /** Shorthand to also accept `SWHardeningNeeded`. */
  allowSwHardening?: boolean;
  /** 64-byte expected reportData, hex; see `reportDataFor`. Omit to skip check 3. */
  expectedReportData?: string;
  /** Allowed mrTd values (hex). Omit to skip; an empty list allows nothing. */
  mrTd?: readonly string[];
  rtMr0?: readonly string[];
  rtMr1?: readonly string[];
  rtMr2?: readonly string[];
}

export interface TeeFailure {
  check: TeeCheck;
  message: string;
}

export interface TeeResult {
  ok: boolean;
  /** TCB status from the quote, or `"Invalid"` when the quote itself did not verify. */
  status: string;
  advisoryIds: string[];
  failures: TeeFailure[];
  mrTd?: string;
  reportData?: string;
}

export const DSTACK_TAGS = { appData: 'app-data', ratlsCert: 'ratls-cert' } as const;

/** reportData binding: sha512(UTF-8(tag + ":") ‖ content), 64 bytes. */
export function reportDataFor(tag: string, content: Uint8Array | string): Uint8Array {
  const body = typeof content === 'string' ? utf8Encode(content) : content;
  return sha512(concatBytes(utf8Encode(`${tag}:`), body));
}

function hexList(values: readonly string[] | undefined, what: string): Uint8Array[] | undefined {
  if (values === undefined) return undefined;
  if (!Array.isArray(values)) throw new AppError('VALIDATION', `policy.${what} must be a list of hex strings.`);
  return values.map((v) => fromHex(v, `policy.${what} entry`, { prefix: 'optional', lowercase: false, length: 48 }));
}

/**
 * Verifies a TDX quote under the policy. Never throws for a bad quote (that is a `quote` failure);
 * throws `VALIDATION` only for a malformed policy.
 */
export function verifyTdxQuote(dcap: DcapLibrary, quote: Uint8Array, collateral: unknown, nowSeconds: number, policy: TeePolicy = {}): TeeResult {
  if (typeof policy !== 'object' || policy === null) throw new AppError('VALIDATION', 'The TEE policy must be an object.');
  const statuses: unknown = policy.allowedStatuses ?? ['UpToDate'];
  if (!Array.isArray(statuses) || !statuses.every((x) => typeof x === 'string')) throw new AppError('VALIDATION', 'policy.allowedStatuses must be a list of TCB status names.');
  const allowed = new Set<string>(statuses);
  if (policy.allowSwHardening === true) allowed.add('SWHardeningNeeded');
  const expectedReportData = policy.expectedReportData === undefined ? undefined : fromHex(policy.expectedReportData, 'policy.expectedReportData', { prefix: 'optional', lowercase: false, length: 64 });
  const pins: [TeeCheck, keyof TdReportLike, Uint8Array[] | undefined][] = [
    ['mr_td', 'mrTd', hexList(policy.mrTd, 'mrTd')],
    ['rt_mr0', 'rtMr0', hexList(policy.rtMr0, 'rtMr0')],
    ['rt_mr1', 'rtMr1', hexList(policy.rtMr1, 'rtMr1')],
    ['rt_mr2', 'rtMr2', hexList(policy.rtMr2, 'rtMr2')],
  ];

  let verified: DcapVerifiedReport;
  try {
    if (!(quote instanceof Uint8Array) || typeof collateral !== 'object' || collateral === null) throw new Error('quote bytes and a collateral object are required');
    const problem = quoteStructureProblem(quote, dcap.constants?.TRUSTED_ROOT_CA_DER);
    if (problem !== undefined) throw new Error(problem);
    verified = dcap.verify(quote, collateral as never, nowSeconds);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, status: 'Invalid', advisoryIds: [], failures: [{ check: 'quote', message: `The quote did not verify: ${why}` }] };
  }
  const failures: TeeFailure[] = [];
  if (!allowed.has(verified.status)) failures.push({ check: 'tcb_status', message: `TCB status ${verified.status} is not allowed (${[...allowed].join(', ')}).` });
  let td: TdReportLike | undefined;
  try {
    td = verified.report.asTd10() ?? verified.report.asTd15()?.base ?? undefined;
  } catch {
    td = undefined;
  }
  if (td === undefined) {
    failures.push({ check: 'quote', message: 'The quote is not a TDX quote.' });
    return { ok: false, status: verified.status, advisoryIds: verified.advisory_ids, failures };
  }
  if (expectedReportData !== undefined && !bytesEqual(Uint8Array.from(td.reportData), expectedReportData)) {
    failures.push({ check: 'report_data', message: 'reportData does not bind the expected runner key.' });
  }
  for (const [check, field, list] of pins) {
    if (list === undefined) continue;
    const actual = Uint8Array.from(td[field]);
    if (!list.some((v) => bytesEqual(v, actual))) failures.push({ check, message: `${field} ${toHex(actual)} is not in the pinned allowlist.` });
  }
  return { ok: failures.length === 0, status: verified.status, advisoryIds: verified.advisory_ids, failures, mrTd: toHex(Uint8Array.from(td.mrTd)), reportData: toHex(Uint8Array.from(td.reportData)) };
}

// ---- strict structure ---------------------------------------------------------------------------

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=\n]+?)\n-----END CERTIFICATE-----\n/g;

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function canonicalPem(der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * DCAP verification ignores some bytes of a quote (the embedded root certificate, which it replaces
 * by Intel's; PEM whitespace; size fields it does not cross-check; zero padding). §6 demands that
 * any changed byte fails, so the quote must also be in canonical form: consistent sizes, the
 * expected certification-data types, a canonical PEM chain ending in the trusted root, and only
 * zero bytes after the declared end. Returns a description of the first problem, if any.
 */
export function quoteStructureProblem(quote: Uint8Array, trustedRootDer?: Uint8Array): string | undefined {
  if (quote.length < 48 + 584 + 4) return 'The quote is too short.';
  const version = u16(quote, 0);
  if (u32(quote, 4) !== 0x81) return 'The quote is not a TDX quote.';
  let reportEnd: number;
  if (version === 4) reportEnd = 48 + 584;
  else if (version === 5) {
    const bodyType = u16(quote, 48);
    const size = u32(quote, 50);
    if (!((bodyType === 2 && size === 584) || (bodyType === 3 && size === 648))) return 'The quote body type and size disagree.';
    reportEnd = 54 + size;
  } else return `Quote version ${version} is not supported.`;
  if (quote.length < reportEnd + 4) return 'The quote is truncated.';
  const authEnd = reportEnd + 4 + u32(quote, reportEnd);
  if (authEnd > quote.length) return 'The auth data size overruns the quote.';
  for (let i = authEnd; i < quote.length; i += 1) if (quote[i] !== 0) return 'Bytes after the auth data are not zero padding.';
  let p = reportEnd + 4 + 64 + 64;
  if (p + 6 > authEnd || u16(quote, p) !== 6) return 'The certification data is not QE report data (type 6).';
  if (p + 6 + u32(quote, p + 2) !== authEnd) return 'The certification data size disagrees with the auth data size.';
  p += 6 + 384 + 64;
  if (p + 2 > authEnd) return 'The quote is truncated.';
  p += 2 + u16(quote, p);
  if (p + 6 > authEnd || u16(quote, p) !== 5) return 'The inner certification data is not a PCK chain (type 5).';
  if (p + 6 + u32(quote, p + 2) !== authEnd) return 'The PCK chain size disagrees with the certification data size.';
  let text = '';
  for (let i = p + 6; i < authEnd; i += 1) text += String.fromCharCode(quote[i]!);
  text = text.replace(/\0+$/, '');
  const ders: Uint8Array[] = [];
  let canonical = '';
  for (const m of text.matchAll(PEM_BLOCK)) {
    let der: Uint8Array;
    try {
      der = fromBase64(m[1]!.replace(/\n/g, ''), 'PEM');
    } catch {
      return 'The PCK chain has invalid base64.';
    }
    ders.push(der);
    canonical += canonicalPem(der);
  }
  if (ders.length < 2 || canonical !== text) return 'The PCK chain is not canonical PEM.';
  if (trustedRootDer !== undefined && !bytesEqual(ders[ders.length - 1]!, Uint8Array.from(trustedRootDer))) return 'The chain does not end in the trusted Intel root.';
  return undefined;
}
