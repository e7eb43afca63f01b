import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { isProcessAlive as pidAlive } from '@common/process';
import { listManagedContainers, removeManagedContainer, type ManagedContainer } from './managed';
import { LABEL, silentLogger, type RuntimeLogger } from './types';

/**
 * The reaper removes model containers left behind when the app crashed or was killed. It only
 * ever lists containers with the managed label AND this app's scope label, and removes one when:
 * - another app instance of the same scope created it, on this host, and that process is gone
 *   (its pid no longer exists); or on another host (a remote engine) and it is no longer running;
 * - this instance created it but no longer tracks it (a failed removal) and it has stopped.
 * Runs at start-up and then on a timer.
 */

export interface ReaperOptions {
  docker: Docker;
  scope: string;
  /** This app instance's id (the `io.minerva.owner` label it puts on its containers). */
  instance: string;
  /** Container ids this instance is using right now; never reaped. */
  isTracked?: (id: string) => boolean;
  log?: RuntimeLogger;
  /** For tests: whether a process id is alive on this host. */
  isAlive?: (pid: number) => boolean;
  host?: string;
}

export interface ReapResult {
  removed: Array<{ id: string; name: string; reason: string }>;
  kept: number;
}

/** Whether a process id is alive on this host (the one check in src-main/common/process.ts). */
export { pidAlive };

/** Pure: why a container should be reaped, or null to keep it. */
export function reapReason(c: Pick<ManagedContainer, 'id' | 'state' | 'labels'>, me: { instance: string; host: string }, isAlive: (pid: number) => boolean, isTracked: (id: string) => boolean): string | null {
  if (isTracked(c.id)) return null;
  const owner = c.labels[LABEL.owner];
  const host = c.labels[LABEL.ownerHost];
  const pid = Number(c.labels[LABEL.ownerPid]);
  const running = c.state === 'running' || c.state === 'restarting' || c.state === 'paused';
  if (owner === me.instance) return running ? null : 'stopped and no longer used by this app';
  if (host === me.host) return isAlive(pid) ? null : `its app process (pid ${pid}) is gone`;
  return running ? null : 'stopped; created by an app on another host';
}

export async function reap(options: ReaperOptions): Promise<ReapResult> {
  const log = options.log ?? silentLogger;
  const me = { instance: options.instance, host: options.host ?? hostname() };
  const containers = await listManagedContainers(options.docker, [`${LABEL.scope}=${options.scope}`]);
  const result: ReapResult = { removed: [], kept: 0 };
  for (const c of containers) {
    if (c.labels[LABEL.scope] !== options.scope) continue;
    const reason = reapReason(c, me, options.isAlive ?? pidAlive, options.isTracked ?? (() => false));
    if (!reason) {
      result.kept += 1;
      continue;
    }
    try {
      if (await removeManagedContainer(options.docker, c.id, { stopTimeoutS: 0 })) {
        result.removed.push({ id: c.id, name: c.name, reason });
        log.info('reaped a leftover model container', { containerId: c.id.slice(0, 12), reason });
      }
    } catch (err) {
      log.warn('could not reap a leftover model container', { containerId: c.id.slice(0, 12), error: (err as Error).message });
    }
  }
  return result;
}

/** Reaps now and then every `intervalMs`; returns a stop function. */
export function startReaper(options: ReaperOptions & { intervalMs: number; onResult?: (r: ReapResult) => void }): { stop: () => void; first: Promise<ReapResult | null> } {
  const log = options.log ?? silentLogger;
  let running = false;
  const once = async (): Promise<ReapResult | null> => {
    if (running) return null;
    running = true;
    try {
      const r = await reap(options);
      options.onResult?.(r);
      return r;
    } catch (err) {
      log.warn('reaper could not list containers', { error: (err as Error).message });
      return null;
    } finally {
      running = false;
    }
  };
  const first = once();
  const timer = setInterval(() => void once(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), first };
}
