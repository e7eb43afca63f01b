import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { AppError } from '@shared/contract/errors';
import { ModelChannel, createDemuxer, type CallOptions } from './channel';
import { buildCreateOptions, type ContainerSpec } from './container-spec';
import { isolationReport, type IsolationReport } from './isolation';
import { LogBuffer } from './log-buffer';
import { inspectManagedContainer, removeManagedContainer } from './managed';
import { silentLogger, type RedactFn, type RuntimeLogger } from './types';

/**
 * One model running in one locked-down container, reached only through the JSON-lines channel
 * over its attached stdio. Starts on demand, answers calls, checks health, and restarts with
 * exponential backoff when the model crashes, hangs past a timeout or breaks the protocol; gives
 * up (state `failed`) after too many crashes in a window.
 */

export type ModelState = 'idle' | 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface RestartPolicy {
  /** Crashes allowed within `windowMs` before the model is marked failed. */
  maxRestarts: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = { maxRestarts: 5, windowMs: 60_000, baseDelayMs: 250, maxDelayMs: 10_000 };

export interface ModelContainerOptions {
  docker: Docker;
  spec: ContainerSpec;
  redact: RedactFn;
  log?: RuntimeLogger;
  /** Cap on one message in either direction (default 8 MiB). */
  maxMessageBytes?: number;
  /** Default per-call timeout (default 30 s). */
  callTimeoutMs?: number;
  /** Time for a fresh container to answer its first `health` (default 20 s). */
  startTimeoutMs?: number;
  /** Idle health checks; 0 turns them off (default 15 s). */
  healthIntervalMs?: number;
  restart?: Partial<RestartPolicy>;
  /** Restart the model when a call times out (it is probably stuck). Default true. */
  restartOnTimeout?: boolean;
  onStateChange?: (state: ModelState, detail: { containerId: string | null; reason?: string }) => void;
}

interface Instance {
  id: string;
  container: Docker.Container;
  stream: Duplex;
  channel: ModelChannel;
  exited: Promise<void>;
  gone: boolean;
  /** Why we killed it, when we did (timeout, protocol error, failed health check). */
  recycleReason?: string;
}

export interface ModelUsage {
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  cpuPercent: number | null;
  pids: number | null;
}

export class ModelContainer {
  private stateValue: ModelState = 'idle';
  private current: Instance | null = null;
  private crashes: number[] = [];
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private lastError: string | null = null;
  private readonly log: RuntimeLogger;
  private readonly restartPolicy: RestartPolicy;
  readonly logs: LogBuffer;
  private lastUsedAt = Date.now();
  private lastCpu: { id: string; total: number; system: number } | null = null;

  constructor(private readonly options: ModelContainerOptions) {
    this.log = options.log ?? silentLogger;
    this.restartPolicy = { ...DEFAULT_RESTART, ...options.restart };
    this.logs = new LogBuffer({ redact: options.redact });
  }

  get state(): ModelState {
    return this.stateValue;
  }

  get containerId(): string | null {
    return this.current?.id ?? null;
  }

  get restartCount(): number {
    return this.restarts;
  }

  get lastFailure(): string | null {
    return this.lastError;
  }

  get idleMs(): number {
    return Date.now() - this.lastUsedAt;
  }

  private setState(state: ModelState, reason?: string): void {
    this.stateValue = state;
    if (state === 'ready') {
      for (const w of this.waiters.splice(0)) w.resolve();
    } else if (state === 'failed' || state === 'stopped' || state === 'stopping') {
      const err = new AppError('MODEL_FAILED', state === 'failed' ? `The model stopped working${this.lastError ? ` (${this.lastError})` : ''} and was not restarted again. Check its log, then start it again.` : 'The model was stopped.');
      for (const w of this.waiters.splice(0)) w.reject(err);
    }
    this.options.onStateChange?.(state, { containerId: this.current?.id ?? null, ...(reason ? { reason } : {}) });
  }

  /** Starts the container (if idle) and resolves once the model answers `health`. */
  async start(): Promise<void> {
    if (this.stateValue === 'ready') return;
    if (this.stateValue === 'failed' || this.stateValue === 'stopped') {
      this.crashes = [];
      this.stateValue = 'idle';
    }
    if (this.stateValue === 'idle') {
      this.setState('starting');
      void this.launch();
    }
    await this.whenReady(this.options.startTimeoutMs ?? 20_000);
  }

  private whenReady(timeoutMs: number): Promise<void> {
    if (this.stateValue === 'ready') return Promise.resolve();
    if (this.stateValue === 'failed' || this.stateValue === 'stopped' || this.stateValue === 'stopping') {
      return Promise.reject(new AppError('MODEL_FAILED', `The model is ${this.stateValue}${this.lastError ? ` (${this.lastError})` : ''}.`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new AppError('TIMEOUT', `The model container did not become ready within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Creates, attaches and starts a container, then waits for its first health answer. Never throws. */
  private async launch(): Promise<void> {
    let instance: Instance | null = null;
    try {
      instance = await this.createInstance();
      await instance.channel.request('health', null, { timeoutMs: this.options.startTimeoutMs ?? 20_000 });
      if (this.current !== instance || instance.gone) return;
      this.setState('ready');
      this.scheduleHealth();
    } catch (err) {
      this.launchFailed(instance, err);
    }
  }

  private async createInstance(): Promise<Instance> {
    const { docker, spec } = this.options;
    const maxMessageBytes = this.options.maxMessageBytes ?? 8 * 1024 * 1024;
    // spec.name is a prefix: every instance (restarts included) gets its own unique name.
    const name = spec.name ? `${spec.name}-${randomUUID().slice(0, 8)}` : undefined;
    // The model's side (serve.cjs) caps incoming messages with the same limit.
    const env = { ...spec.env, MINERVA_MAX_MESSAGE_BYTES: String(maxMessageBytes) };
    const container = await docker.createContainer(buildCreateOptions({ ...spec, env, ...(name ? { name } : {}) }));
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') {
      await removeManagedContainer(docker, container.id).catch(() => undefined);
      throw new AppError('MODEL_FAILED', 'The model was stopped while it was starting.');
    }
    let stream: Duplex;
    try {
      stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    } catch (err) {
      await removeManagedContainer(docker, container.id).catch(() => undefined);
      throw err;
    }
    const instance: Instance = {
      id: container.id,
      container,
      stream,
      gone: false,
      exited: Promise.resolve(),
      channel: new ModelChannel({
        maxMessageBytes,
        defaultTimeoutMs: this.options.callTimeoutMs ?? 30_000,
        send: (line) => {
          if (stream.destroyed || stream.writableEnded) throw new Error('stdin closed');
          stream.write(line);
        },
        onFatal: (err) => this.recycle(instance, err.message),
        // stdout is the data channel: a stray line may hold decrypted data, so only its size is kept.
        onStray: (line) => this.logs.append(`[minerva] dropped ${Buffer.byteLength(line)} bytes of non-protocol output on stdout (models must log to stderr)`, 'runtime'),
        onTimeout: (method) => {
          if (this.options.restartOnTimeout !== false) this.recycle(instance, `"${method}" timed out`);
        },
      }),
    };
    const demux = createDemuxer(
      (b) => instance.channel.feed(b),
      (b) => this.logs.write(b, 'stderr'),
      (err) => this.recycle(instance, err.message),
    );
    stream.on('data', (chunk: Buffer) => demux(chunk));
    stream.on('error', (err) => this.log.warn('model stdio stream error', { containerId: instance.id.slice(0, 12), error: err.message }));
    this.current = instance;
    await container.start();
    instance.exited = container.wait().then(
      (r: { StatusCode?: number }) => this.onExit(instance, `exit code ${r.StatusCode ?? '?'}`),
      (err: Error) => this.onExit(instance, `lost contact with the container (${err.message})`),
    );
    this.log.info('model container started', { containerId: instance.id.slice(0, 12), image: spec.imageId.slice(0, 19) });
    return instance;
  }

  private launchFailed(instance: Instance | null, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') return;
    if (instance) {
      if (instance.gone) return; // its exit was already handled as a crash
      instance.gone = true;
      instance.channel.close(new AppError('MODEL_FAILED', `The model did not start (${message}).`));
      instance.stream.destroy();
      void removeManagedContainer(this.options.docker, instance.id, { stopTimeoutS: 0 }).catch(() => undefined);
    }
    this.lastError = `start failed: ${message}`;
    this.log.warn('model container did not start', { error: message });
    this.logs.append(`[minerva] the model did not start: ${message}`, 'runtime');
    this.crashed(this.lastError);
  }

  /** Kills the current container; its exit then follows the crash path (restart with backoff). */
  private recycle(instance: Instance, reason: string): void {
    if (instance.gone || this.current !== instance || instance.recycleReason) return;
    instance.recycleReason = reason;
    this.logs.append(`[minerva] restarting the model: ${reason}`, 'runtime');
    this.log.warn('model recycled', { containerId: instance.id.slice(0, 12), reason });
    // From now on calls wait for the replacement instead of reaching the dying container.
    instance.channel.close(new AppError('MODEL_FAILED', `The model is being restarted (${reason}).`));
    this.clearHealth();
    if (this.stateValue === 'ready') this.setState('restarting', reason);
    instance.container.kill().catch(() => {
      // already exiting; the wait() resolves either way
    });
  }

  private onExit(instance: Instance, how: string): void {
    if (instance.gone) return;
    instance.gone = true;
    this.logs.flush();
    instance.channel.close(new AppError('MODEL_FAILED', `The model stopped (${how}).`));
    instance.stream.destroy();
    if (this.current !== instance) return;
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') return;
    this.lastError = instance.recycleReason ?? `the model exited (${how})`;
    this.log.warn('model container exited', { containerId: instance.id.slice(0, 12), how });
    this.logs.append(`[minerva] the model exited (${how})`, 'runtime');
    void removeManagedContainer(this.options.docker, instance.id, { stopTimeoutS: 0 }).catch((err: unknown) =>
      this.log.warn('could not remove exited model container', { containerId: instance.id.slice(0, 12), error: (err as Error).message }),
    );
    this.crashed(this.lastError);
  }

  private crashed(how: string): void {
    this.clearHealth();
    const now = Date.now();
    const { maxRestarts, windowMs, baseDelayMs, maxDelayMs } = this.restartPolicy;
    this.crashes = [...this.crashes.filter((t) => now - t < windowMs), now];
    this.current = null;
    if (this.crashes.length > maxRestarts) {
      this.log.error('model failed too often; not restarting', { crashes: this.crashes.length, windowMs });
      this.setState('failed', how);
      return;
    }
    const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (this.crashes.length - 1));
    if (this.stateValue !== 'restarting') this.setState('restarting', how);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stateValue !== 'restarting') return;
      this.restarts += 1;
      void this.launch();
    }, delay);
  }

  private scheduleHealth(): void {
    this.clearHealth();
    const every = this.options.healthIntervalMs ?? 15_000;
    if (every <= 0) return;
    this.healthTimer = setInterval(() => {
      const instance = this.current;
      if (!instance || this.stateValue !== 'ready' || instance.channel.inFlight > 0) return;
      instance.channel.request('health', null, { timeoutMs: Math.min(10_000, every) }).catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'TIMEOUT') return; // onTimeout already recycles
        this.recycle(instance, `health check failed: ${(err as Error).message}`);
      });
    }, every);
    this.healthTimer.unref();
  }

  private clearHealth(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
  }

  /**
   * One request to the model. Starts the container on first use; while the model restarts the
   * call waits for it, all within the call's timeout.
   */
  async call(method: string, params: unknown = null, options: CallOptions = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.options.callTimeoutMs ?? 30_000;
    const started = Date.now();
    this.lastUsedAt = started;
    if (this.stateValue === 'idle') {
      this.setState('starting');
      void this.launch();
    }
    if (this.stateValue !== 'ready') await this.whenReady(Math.max(timeoutMs, this.options.startTimeoutMs ?? 20_000));
    const instance = this.current;
    if (!instance) throw new AppError('MODEL_FAILED', 'The model is not running.');
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    try {
      return await instance.channel.request(method, params, { ...options, timeoutMs: left });
    } finally {
      this.lastUsedAt = Date.now();
    }
  }

  /** The isolation report as Docker applied it (read back with inspect). */
  async isolation(): Promise<IsolationReport | null> {
    const id = this.current?.id;
    if (!id) return null;
    const info = await inspectManagedContainer(this.options.docker, id);
    return info ? isolationReport(info, { outputMount: this.options.spec.outputDir !== undefined }) : null;
  }

  async usage(): Promise<ModelUsage | null> {
    const id = this.current?.id;
    if (!id) return null;
    // one-shot: a single sample instead of waiting a second for two (so no CPU percentage).
    const s = (await this.options.docker.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as {
      memory_stats?: { usage?: number; limit?: number };
      cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
      precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
      pids_stats?: { current?: number };
    };
    // One-shot stats carry no previous sample: compare with the one we kept from the last call.
    const cpu = { total: s.cpu_stats?.cpu_usage?.total_usage ?? 0, system: s.cpu_stats?.system_cpu_usage ?? 0 };
    const prev = this.lastCpu?.id === id ? this.lastCpu : { total: s.precpu_stats?.cpu_usage?.total_usage ?? 0, system: s.precpu_stats?.system_cpu_usage ?? 0 };
    this.lastCpu = { id, ...cpu };
    const cpuDelta = cpu.total - prev.total;
    const sysDelta = cpu.system - prev.system;
    return {
      memoryBytes: s.memory_stats?.usage ?? null,
      memoryLimitBytes: s.memory_stats?.limit ?? null,
      cpuPercent: sysDelta > 0 ? (cpuDelta / sysDelta) * (s.cpu_stats?.online_cpus ?? 1) * 100 : null,
      pids: s.pids_stats?.current ?? null,
    };
  }

  /** Stops the model: closes its stdin (a polite model exits), then removes the container. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    this.setState('stopping');
    this.clearHealth();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const instance = this.current;
    if (instance) {
      if (!instance.gone) {
        instance.channel.close(new AppError('MODEL_FAILED', 'The model was stopped.'));
        try {
          instance.stream.end();
        } catch {
          // already closed
        }
        const politely = await Promise.race([instance.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref())]);
        if (!politely) this.log.debug('model did not exit on stdin close; removing it', { containerId: instance.id.slice(0, 12) });
      }
      instance.gone = true;
      instance.stream.destroy();
      await removeManagedContainer(this.options.docker, instance.id, { stopTimeoutS: 0 });
    }
    this.current = null;
    this.setState('stopped');
  }
}
