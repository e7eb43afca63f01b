import type { DemoModel } from '@shared/contract/runtime';
import { rpc } from '../../rpc';
import { errorText, toastError } from '../../store/actions';
import { useStore } from '../../store/store';
import { useRuntimeStore } from './runtime-store';

/** Plain functions that call `runtime.*` and keep the Runtime page current. */

const store = () => useRuntimeStore.getState();

export async function refreshRuntime(recheck = false): Promise<void> {
  const client = rpc();
  try {
    const status = await client.invoke(recheck ? 'runtime.checkEngine' : 'runtime.status', {});
    store().set({ status, loadError: null });
    const tee = (await client.invoke('runtime.teeChecks', {})).records;
    store().set({ tee });
    if (status.engine.state !== 'running') {
      store().set({ images: [], containers: [], isolation: null });
      return;
    }
    const [images, containers] = await Promise.all([client.invoke('runtime.images', {}), client.invoke('runtime.containers', {})]);
    store().set({ images: images.images, containers: containers.containers });
    const selected = store().selected ?? containers.containers[0]?.id ?? null;
    if (selected && containers.containers.some((c) => c.id === selected)) await selectContainer(selected);
    else store().set({ selected: null, isolation: null, logs: [] });
  } catch (error) {
    store().set({ loadError: errorText(error) });
  }
}

export async function selectContainer(id: string): Promise<void> {
  const client = rpc();
  const container = store().containers.find((c) => c.id === id);
  store().set({ selected: id });
  try {
    const isolation = await client.invoke('runtime.isolation', { containerId: id });
    const logs = container?.model ? (await client.invoke('runtime.logs', { key: container.model.key, limit: 200 })).lines : [];
    if (store().selected === id) store().set({ isolation, logs });
  } catch (error) {
    toastError(error);
  }
}

async function withBusy(label: string, run: () => Promise<void>): Promise<void> {
  store().set({ busy: label });
  try {
    await run();
  } catch (error) {
    toastError(error);
  } finally {
    store().set({ busy: null });
    await refreshRuntime();
  }
}

export function startDemo(name: DemoModel): Promise<void> {
  return withBusy(`Starting ${name}`, async () => {
    const started = await rpc().invoke('runtime.startDemo', { name });
    if (started.containerId) store().set({ selected: started.containerId });
    useStore.getState().pushToast('info', `Demo model ${name} is running in a locked-down container.`);
  });
}

/** Pulls a pinned reference; progress arrives as runtime.pullProgressed events. Resolves true on success. */
export async function pullImage(reference: string): Promise<boolean> {
  store().set({ pull: { reference, layers: {}, last: 'Starting…' } });
  try {
    await rpc().invoke('runtime.pullImage', { reference });
    useStore.getState().pushToast('info', `Pulled and pinned ${reference}.`);
    return true;
  } catch (error) {
    toastError(error);
    return false;
  } finally {
    store().set({ pull: null });
    await refreshRuntime();
  }
}

export function stopModel(key: string): Promise<void> {
  return withBusy(`Stopping ${key}`, async () => {
    await rpc().invoke('runtime.stopModel', { key });
    store().set({ selected: null, isolation: null, logs: [] });
  });
}

export function reapNow(): Promise<void> {
  return withBusy('Cleaning up', async () => {
    const r = await rpc().invoke('runtime.reap', {});
    useStore.getState().pushToast('info', r.removed === 0 ? 'Nothing was left behind.' : `Removed ${r.removed} container(s) left by an earlier crash.`);
  });
}

let started = false;

/** Subscribes to model state changes. Safe to call twice. */
export function startRuntime(): void {
  if (started) return;
  started = true;
  rpc().on('runtime.modelChanged', () => void refreshRuntime());
  rpc().on('settings.changed', () => void refreshRuntime());
  rpc().on('runtime.pullProgressed', ({ reference, status, layer, current, total }) => {
    const pull = store().pull;
    if (!pull || pull.reference !== reference) return;
    const text = `${status}${current !== null && total ? ` ${Math.round((100 * current) / total)}%` : ''}`;
    store().set({ pull: { reference, last: layer ? `${layer}: ${text}` : text, layers: layer ? { ...pull.layers, [layer]: text } : pull.layers } });
  });
  rpc().on('runtime.modelLogged', ({ key, line }) => {
    const s = store();
    const selected = s.containers.find((c) => c.id === s.selected);
    if (selected?.model?.key !== key || s.logs.some((l) => l.seq === line.seq)) return;
    s.set({ logs: [...s.logs, line].slice(-500) });
  });
}
