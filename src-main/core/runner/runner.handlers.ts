/**
 * The `runner.*` share of the contract (docs/runner.md): each method finds the competition's
 * runner, asks it, and answers with its new view; changes the miner makes are audited.
 */
import type { MethodName } from '@shared/contract';
import { AppError } from '@shared/contract/errors';
import type { RunnerStatus, RunnerView } from '@shared/contract/runner';
import type { TeeRecord } from '@shared/contract/runtime';
import type { AuditRepo } from '../db/audit.repo';
import type { HandlerGroup } from '../rpc/handlers';
import type { GatewayTeeInput } from './gateway-mode';
import type { RemoteRunners } from './remote';
import type { RunnerCallLog } from './runner-calls';
import type { RunnerWorker } from './runner-worker';
import type { RunnerRepo } from './runner.repo';

export type RunnerMethod = Extract<MethodName, `runner.${string}`>;

export interface RunnerHandlerDeps {
  repo: RunnerRepo;
  calls: RunnerCallLog;
  remote: RemoteRunners;
  audit: AuditRepo;
  now: () => Date;
  status(): RunnerStatus;
  viewOf(worker: RunnerWorker): RunnerView;
  /** The TEE check of the machine the competition's runner runs on (gateway mode). */
  gatewayTee(competitionId: string, input: GatewayTeeInput): Promise<TeeRecord>;
  /** The runner of a joined competition, or NOT_FOUND in words. */
  requireWorker(competitionId: string): Promise<RunnerWorker>;
}

export function runnerHandlers(d: RunnerHandlerDeps): HandlerGroup<RunnerMethod> {
  const audited = (action: string, detail: Record<string, unknown>): void => {
    d.audit.append({ at: d.now().toISOString(), actor: 'user', action, detail });
  };
  return {
    'runner.status': () => d.status(),
    'runner.calls': ({ competitionId, limit }) => {
      d.calls.flush();
      return { calls: d.repo.calls(competitionId, limit) };
    },
    'runner.setPolicy': async ({ competitionId, policy }) => {
      const w = await d.requireWorker(competitionId);
      w.setPolicy(policy);
      audited('runner.setPolicy', { competition: competitionId, policy });
      return d.viewOf(w);
    },
    'runner.setListen': async ({ competitionId, host, port, acknowledgeRisk }) => {
      const w = await d.requireWorker(competitionId);
      await w.setListen(host, port, acknowledgeRisk);
      audited('runner.setListen', { competition: competitionId, host, port: port ?? null, acknowledgeRisk });
      return d.viewOf(w);
    },
    'runner.setMode': async ({ competitionId, mode, tee }) => {
      const w = await d.requireWorker(competitionId);
      let record: TeeRecord | null = null;
      if (mode === 'gateway') {
        if (!tee) throw new AppError('VALIDATION', 'Gateway mode needs a TEE check of this computer first: give its TDX quote (and collateral) so Minerva can check it.');
        record = await d.gatewayTee(competitionId, tee);
      }
      await w.setMode(mode, record);
      audited('runner.setMode', { competition: competitionId, mode, tee_ok: record?.ok ?? null, tcb_status: record?.tcbStatus ?? null });
      return d.viewOf(w);
    },
    'runner.rotateHotkey': async ({ competitionId }) => {
      const w = await d.requireWorker(competitionId);
      await w.rotateHotkey();
      audited('runner.rotateHotkey', { competition: competitionId });
      return d.viewOf(w);
    },
    'runner.renewCertificate': async ({ competitionId }) => {
      const w = await d.requireWorker(competitionId);
      await w.renewCertificate();
      return d.viewOf(w);
    },
    'runner.addRemote': (input) => d.remote.add(input),
  };
}
