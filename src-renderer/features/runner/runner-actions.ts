import type { MethodInput } from '@shared/contract';
import type { RemoteRunnerView, RunnerAuthPolicy, RunnerView } from '@shared/contract/runner';
import { onConnectionState, rpc } from '../../rpc';
import { errorText, toastError } from '../../store/actions';
import { useStore } from '../../store/store';
import { useRunnerStore } from './runner-store';

/** Plain functions that call `runner.*` and keep the Runner page current. */

const store = () => useRunnerStore.getState();

export async function refreshRunners(): Promise<void> {
  try {
    store().setStatus(await rpc().invoke('runner.status', {}));
  } catch (error) {
    store().setStatusError(errorText(error));
  }
}

const loadingCalls = new Map<string, Promise<void>>();
/** Call totals last seen per runner: a changed total means new calls to list. */
const seenTotals = new Map<string, number>();

export function loadCalls(competitionId: string): Promise<void> {
  const inFlight = loadingCalls.get(competitionId);
  if (inFlight) return inFlight;
  const run = (async () => {
    try {
      const { calls } = await rpc().invoke('runner.calls', { competitionId, limit: 50 });
      store().setCalls(competitionId, calls);
    } catch {
      // The counts above still show; the table fills in on the next change.
    } finally {
      loadingCalls.delete(competitionId);
    }
  })();
  loadingCalls.set(competitionId, run);
  return run;
}

function onRunner(runner: RunnerView): void {
  store().upsertRunner(runner);
  const total = runner.calls.accepted + runner.calls.refused;
  if (seenTotals.get(runner.competitionId) !== total) {
    seenTotals.set(runner.competitionId, total);
    void loadCalls(runner.competitionId);
  }
}

let started = false;

/** Subscribes to runner events once; reloads after a reconnection or a membership change. Safe to call twice. */
export function startRunner(): void {
  if (started) return;
  started = true;
  const client = rpc();
  client.on('runner.changed', onRunner);
  client.on('competitions.changed', () => void refreshRunners());
  client.on('vault.unlocked', () => void refreshRunners());
  client.on('vault.locked', () => void refreshRunners());
  onConnectionState((state) => {
    if (state === 'open') void refreshRunners();
  });
}

/** Loads the status and every runner's recent calls. */
export async function loadRunnerPage(): Promise<void> {
  await refreshRunners();
  await Promise.all(store().runners.map((r) => loadCalls(r.competitionId)));
}

/** Runs a runner.* call that answers with the runner's new view; errors become a toast. */
async function runnerCall(run: () => Promise<RunnerView>, done?: string): Promise<boolean> {
  try {
    onRunner(await run());
    if (done) useStore.getState().pushToast('info', done);
    return true;
  } catch (error) {
    toastError(error);
    return false;
  }
}

export const setPolicy = (competitionId: string, policy: RunnerAuthPolicy) => runnerCall(() => rpc().invoke('runner.setPolicy', { competitionId, policy }));

export const setListen = (input: MethodInput<'runner.setListen'>) => runnerCall(() => rpc().invoke('runner.setListen', input), 'The runner listens at its new address.');

export const rotateHotkey = (competitionId: string) => runnerCall(() => rpc().invoke('runner.rotateHotkey', { competitionId }));

export const renewCertificate = (competitionId: string) => runnerCall(() => rpc().invoke('runner.renewCertificate', { competitionId }), 'The certificate was renewed.');

/** Checks and (when every check passes) registers a TEE-hosted runner; throws for the form to show. */
export async function addRemote(input: MethodInput<'runner.addRemote'>): Promise<RemoteRunnerView> {
  const view = await rpc().invoke('runner.addRemote', input);
  store().upsertRemote(view);
  return view;
}
