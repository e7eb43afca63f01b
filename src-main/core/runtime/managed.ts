import type Docker from 'dockerode';
import { AppError } from '@shared/contract/errors';
import { LABEL, MANAGED_FILTER } from './types';

/**
 * The only ways the app lists, stops or removes containers. Every list carries the managed label
 * filter, and every stop/remove re-reads the container's labels first: a container without
 * `io.minerva.managed=1` is never touched, whatever id the caller passes.
 */

export interface ManagedContainer {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  createdAt: string;
  labels: Record<string, string>;
}

/** Lists managed containers (running and stopped); `labels` narrows further (`key=value`). */
export async function listManagedContainers(docker: Docker, labels: string[] = []): Promise<ManagedContainer[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [MANAGED_FILTER, ...labels] } });
  // Belt and braces: the engine filtered, and we check again.
  return list
    .filter((c) => c.Labels?.[LABEL.managed] === '1')
    .map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      image: c.Image,
      state: c.State,
      status: c.Status,
      createdAt: new Date(c.Created * 1000).toISOString(),
      labels: c.Labels ?? {},
    }));
}

async function inspectManaged(docker: Docker, id: string): Promise<Docker.ContainerInspectInfo | null> {
  let info: Docker.ContainerInspectInfo;
  try {
    info = await docker.getContainer(id).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
  if (info.Config?.Labels?.[LABEL.managed] !== '1') {
    throw new AppError('FORBIDDEN', `Container ${id.slice(0, 12)} was not created by Minerva, so Minerva will not touch it.`);
  }
  return info;
}

/** Inspects a managed container (refuses unlabeled ones); null when it is gone. */
export async function inspectManagedContainer(docker: Docker, id: string): Promise<Docker.ContainerInspectInfo | null> {
  return inspectManaged(docker, id);
}

/** Stops (if running) and removes a managed container. Missing is fine; unlabeled is refused. */
export async function removeManagedContainer(docker: Docker, id: string, options: { stopTimeoutS?: number } = {}): Promise<boolean> {
  const info = await inspectManaged(docker, id);
  if (!info) return false;
  const container = docker.getContainer(info.Id);
  if (info.State?.Running) {
    try {
      await container.stop({ t: options.stopTimeoutS ?? 2 });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw err;
    }
  }
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    // 404: already gone; 409: removal already in progress.
    if (code !== 404 && code !== 409) throw err;
  }
  return true;
}
