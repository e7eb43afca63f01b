/**
 * Gateway mode's TEE check (issue 15): before the runner on this computer accepts calls without a
 * client certificate, the machine it runs on must pass the runtime's one TEE check flow (PROTOCOLS
 * §6: quote + collateral, TCB status, optional mrTd allowlist and reportData binding) — the same
 * flow a TEE-hosted runner passes (remote.ts). The record is kept with the enrolment (public:
 * measurements and verdicts; the quote is not stored) and shown on the Runner page.
 */
import type { MethodParsedInput } from '@shared/contract';
import type { TeeRecord } from '@shared/contract/runtime';
import type { RuntimeService } from '../runtime/runtime.service';
import { decodeQuote } from './remote';

export type GatewayTeeInput = NonNullable<MethodParsedInput<'runner.setMode'>['tee']>;

/** The TEE check of the machine this competition's runner runs on (never throws for a failed check: the record says which). */
export function checkGatewayTee(runtime: Pick<RuntimeService, 'tee'>, competitionId: string, input: GatewayTeeInput): Promise<TeeRecord> {
  const quote = decodeQuote(input.quoteB64);
  const atMs = input.at ? Date.parse(input.at) : undefined;
  return runtime.tee.check(
    {
      id: `local-runner:${competitionId}`,
      quote: () => Promise.resolve(quote),
      ...(input.expectedReportData ? { binding: { reportDataHex: input.expectedReportData.replace(/^0x/, '').toLowerCase() } } : {}),
      policy: { allowSwHardening: input.allowSwHardening, ...(input.mrTd ? { mrTd: input.mrTd } : {}) },
    },
    { ...(input.collateral ? { collateral: input.collateral } : {}), ...(atMs !== undefined ? { nowMs: atMs } : {}) },
  );
}
