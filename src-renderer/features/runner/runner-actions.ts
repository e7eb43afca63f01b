import type { MethodInput } from '@shared/contract';
import type { RemoteRunnerView, RunnerAuthPolicy, RunnerChanged, RunnerView } from '@shared/contract/runner';
import { onConnectionState, rpc } from '../../rpc';
import { errorText, toastError } from '../../store/actions';
import { useStore } from '../../store/store';
import { CALLS_SHOWN, useRunnerStore } from './runner-store';

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

export function loadCalls(competitionId: string): Promise<void> {
  const inFlight = loadingCalls.get(competitionId);
  if (inFlight) return inFlight;
  const run = (async () => {
    try {
      const { calls } = await rpc().invoke('runner.calls', { competitionId, limit: CALLS_SHOWN });
      store().addCalls(competitionId, calls);
    } catch {
      // The counts above still show; the table fills in on the next change.
    } finally {
      loadingCalls.delete(competitionId);
    }
  })();
  loadingCalls.set(competitionId, run);
  return run;
}

/** A runner.changed event carries the runner's view and its new calls: the page updates from it, without asking again. */
function onChanged({ recentCalls, ...runner }: RunnerChanged): void {
  if (runner.state === 'stopped') return store().removeRunner(runner.competitionId);
  store().upsertRunner(runner);
  if (recentCalls.length > 0) store().addCalls(runner.competitionId, recentCalls);
}

let started = false;

/**
 * Subscribes to runner events once: a runner that starts sends its view, one that stops says so.
 * The whole status is read again only after a reconnection (events may have been missed). Safe
 * to call twice.
 */
export function startRunner(): void {
  if (started) return;
  started = true;
  const client = rpc();
  client.on('runner.changed', onChanged);
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
    store().upsertRunner(await run());
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

/** Switches the runner's mode (gateway: after the TEE check of `tee`); throws for the form to show. */
export async function setMode(input: MethodInput<'runner.setMode'>): Promise<RunnerView> {
  const view = await rpc().invoke('runner.setMode', input);
  store().upsertRunner(view);
  return view;
}
