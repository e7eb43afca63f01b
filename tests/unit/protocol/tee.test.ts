import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, verify } from '@phala/dcap-qvl';
import { describe, expect, it } from 'vitest';
import { DSTACK_TAGS, quoteStructureProblem, reportDataFor, verifyTdxQuote, type DcapVerify } from '@shared/protocol/tee';
import { createHash } from 'node:crypto';

const dir = join(__dirname, '..', '..', 'fixtures', 'tdx');
const quote = new Uint8Array(readFileSync(join(dir, 'tdx_quote')));
const collateral: unknown = JSON.parse(readFileSync(join(dir, 'tdx_quote_collateral.json'), 'utf8'));
const outdated = new Uint8Array(readFileSync(join(dir, 'tdx_quote_outdated')));
const outdatedCollateral: unknown = JSON.parse(readFileSync(join(dir, 'tdx_quote_outdated_collateral.json'), 'utf8'));
// Inside each collateral's tcb_info validity (issueDate … nextUpdate).
const NOW = Date.parse('2025-07-01T00:00:00Z') / 1000;
const NOW_OUTDATED = Date.parse('2026-03-01T00:00:00Z') / 1000;
const dcap = { verify: verify as unknown as DcapVerify, constants };

describe('TDX attestation (§6) on the dcap-qvl sample quotes', () => {
  const baseline = verifyTdxQuote(dcap, quote, collateral, NOW);

  it('tdx_quote verifies as UpToDate under the default policy', () => {
    expect(baseline).toMatchObject({ ok: true, status: 'UpToDate', failures: [] });
    expect(baseline.mrTd).toMatch(/^[0-9a-f]{96}$/);
    expect(baseline.reportData).toMatch(/^[0-9a-f]{128}$/);
  });

  it('tdx_quote_outdated does not pass the default policy', () => {
    const r = verifyTdxQuote(dcap, outdated, outdatedCollateral, NOW_OUTDATED);
    expect(r.ok).toBe(false);
    // Its layout is canonical: it fails on its TCB (dcap-qvl finds no matching TCB level), not on structure.
    expect(quoteStructureProblem(outdated, constants.TRUSTED_ROOT_CA_DER)).toBeUndefined();
    expect(r.failures[0]?.message).toMatch(/TCB/);
  });

  it('one flipped byte fails (quote check), including bytes DCAP alone ignores', () => {
    // Every 7th byte, plus the regions plain dcap-qvl tolerates: size fields, certification types,
    // PEM layout, the embedded root certificate and the zero padding.
    const positions = new Set<number>([632, 633, 764, 765, 3030]);
    for (let i = 0; i < quote.length; i += 7) positions.add(i);
    for (let i = 3980; i < quote.length; i += 1) positions.add(i);
    for (const at of positions) {
      const bad = quote.slice();
      bad[at]! ^= 0x01;
      const r = verifyTdxQuote(dcap, bad, collateral, NOW);
      expect(r.ok).toBe(false);
      expect(r.failures[0]?.check, `byte ${at}`).toBe('quote');
    }
  }, 120_000);

  it('outside the collateral validity fails', () => {
    expect(verifyTdxQuote(dcap, quote, collateral, NOW + 400 * 86400)).toMatchObject({ ok: false, failures: [{ check: 'quote' }] });
  });

  it('wrong reportData fails by name, right one passes', () => {
    const right = verifyTdxQuote(dcap, quote, collateral, NOW, { expectedReportData: baseline.reportData });
    expect(right.ok).toBe(true);
    const wrong = verifyTdxQuote(dcap, quote, collateral, NOW, { expectedReportData: '00'.repeat(64) });
    expect(wrong).toMatchObject({ ok: false, status: 'UpToDate', failures: [{ check: 'report_data' }] });
  });

  it('mrTd and rtMr pins fail by name', () => {
    expect(verifyTdxQuote(dcap, quote, collateral, NOW, { mrTd: [baseline.mrTd!] }).ok).toBe(true);
    expect(verifyTdxQuote(dcap, quote, collateral, NOW, { mrTd: ['11'.repeat(48)] })).toMatchObject({ ok: false, failures: [{ check: 'mr_td' }] });
    expect(verifyTdxQuote(dcap, quote, collateral, NOW, { rtMr1: ['11'.repeat(48)] })).toMatchObject({ ok: false, failures: [{ check: 'rt_mr1' }] });
  });

  it('TCB status outside the allowed set fails by name', () => {
    expect(verifyTdxQuote(dcap, quote, collateral, NOW, { allowedStatuses: ['SWHardeningNeeded'] })).toMatchObject({ ok: false, failures: [{ check: 'tcb_status' }] });
  });

  it('garbage inputs are a quote failure, never an exception', () => {
    expect(verifyTdxQuote(dcap, new Uint8Array(10), collateral, NOW).failures[0]?.check).toBe('quote');
    expect(verifyTdxQuote(dcap, quote, null, NOW).failures[0]?.check).toBe('quote');
    expect(verifyTdxQuote(dcap, quote, { tcb_info: 'x' }, NOW).failures[0]?.check).toBe('quote');
  });

  it('reportData binding is sha512(tag + ":" + content)', () => {
    const spki = Buffer.from('3059301306072a8648ce3d020106', 'hex');
    expect(Buffer.from(reportDataFor(DSTACK_TAGS.ratlsCert, spki)).toString('hex')).toBe(createHash('sha512').update(Buffer.concat([Buffer.from('ratls-cert:'), spki])).digest('hex'));
  });
});
