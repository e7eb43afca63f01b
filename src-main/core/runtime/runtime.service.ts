import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppError } from '@shared/contract/errors';
import { extractArchive, type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from './archive';
import { buildBundleImage, readBundle, type BuiltBundleImage, type BundleManifest } from './bundle';
import { currentOwner, type ContainerLimits, type ContainerRole, type GpuRequest } from './container-spec';
import { connectEngine, type Engine, type EngineOptions, type EngineStatus } from './engine';
import { listManagedImages, pullImage, resolveImage, type ManagedImage, type PullProgress } from './images';
import { isolationReport, type IsolationReport } from './isolation';
import type { ModelLogLine } from './log-buffer';
import { inspectManagedContainer, listManagedContainers, type ManagedContainer } from './managed';
import { ModelContainer, type ModelContainerOptions, type ModelState } from './model-container';
import { reap, startReaper, type ReapResult } from './reaper';
import { pccsCollateral, TeeChecker, type CollateralFetcher } from './tee-checks';
import { LABEL, silentLogger, type RedactFn, type RuntimeLogger } from './types';

/**
 * The runtime as core uses it: one engine connection, the images Minerva built (with pinned
 * digests), the models it runs (started on demand, kept warm while a competition is active,
 * stopped on leave or exit), and the reaper for leftovers of a crashed run.
 */

export interface RuntimeServiceOptions {
  dataDir: string;
  /** Read on every image check, so a settings change applies at once. */
  developerMode: () => boolean;
  redact: RedactFn;
  log?: RuntimeLogger;
  engine?: Engine | EngineOptions;
  reaperIntervalMs?: number;
  /** Stop a model that is not kept warm after this long unused (0 = never). Default 10 min. */
  idleStopMs?: number;
  /** Defaults for every model container (timeouts, message cap, restart policy). */
  model?: Partial<Omit<ModelContainerOptions, 'docker' | 'spec' | 'redact' | 'log' | 'onStateChange'>>;
  archiveLimits?: ArchiveLimits;
  onModelState?: (key: string, state: ModelState) => void;
  /** Each stored (already redacted) model log line, for streaming to the UI. */
  onModelLog?: (key: string, line: ModelLogLine) => void;
  /** Where TEE collateral comes from (default: Phala's PCCS, only contacted when a check runs). */
  teeCollateral?: CollateralFetcher;
  /** Clock for TEE checks (ms). */
  now?: () => number;
  /**
   * A pinned base image (`name:tag@sha256:…`, with node at /usr/local/bin/node, e.g. an official
   * node image) for bundle builds; default: built from this computer's node (Linux only). Also
   * read from MINERVA_MODEL_BASE_IMAGE.
   */
  baseImage?: string;
}

export interface ModelRequest {
  /** Stable key for this use (e.g. `job:<id>` or `runner:<competition>`). */
  key: string;
  role: ContainerRole;
  /** Pinned image reference `name:tag@sha256:…`. */
  image: string;
  limits?: Partial<ContainerLimits>;
  gpu?: GpuRequest;
  /** Keep running while idle (an active competition); otherwise stopped after `idleStopMs`. */
  keepWarm?: boolean;
  outputDir?: string;
  inputDir?: string;
  /** The competition this model works for: it is stopped when the miner leaves it. */
  competitionId?: string;
}

export interface ModelSummary {
  key: string;
  image: string;
  state: ModelState;
  containerId: string | null;
  restarts: number;
  lastFailure: string | null;
  keepWarm: boolean;
}

export interface PinnedImage {
  /** `name:tag@sha256:…`: what Minerva runs. */
  reference: string;
  source: 'built' | 'pulled';
  imageId: string;
  pinnedAt: string;
  bundleSha256: string | null;
  manifest: Pick<BundleManifest, 'name' | 'version' | 'kind' | 'description'> | null;
}

interface Entry {
  request: ModelRequest;
  model: ModelContainer;
}

/** A readable container name prefix for `docker ps` (each container adds a random suffix). */
export function containerName(key: string): string {
  const slug = key.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model';
  return `minerva-${slug}`;
}

export function scopeForDataDir(dataDir: string): string {
  return createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
}

export class RuntimeService {
  readonly engine: Engine;
  readonly scope: string;
  readonly instance = randomUUID();
  /** Per-runner TEE attestation checks (PROTOCOLS §6); work goes only to runners that pass. */
  readonly tee: TeeChecker;
  private readonly log: RuntimeLogger;
  private readonly models = new Map<string, Entry>();
  private readonly acquiring = new Map<string, Promise<ModelContainer>>();
  private reaper: { stop: () => void; first: Promise<ReapResult | null> } | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly dir: string;
  private lastReap: (ReapResult & { at: string }) | null = null;
  private closed = false;

  constructor(private readonly options: RuntimeServiceOptions) {
    this.log = options.log ?? silentLogger;
    this.engine = options.engine && 'probe' in options.engine ? options.engine : connectEngine(options.engine);
    this.scope = scopeForDataDir(options.dataDir);
    this.dir = join(options.dataDir, 'runtime');
    this.tee = new TeeChecker({
      fetchCollateral: options.teeCollateral ?? pccsCollateral(),
      cacheDir: join(this.dir, 'tee'),
      log: this.log,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Probes the engine; when it runs, reaps leftovers now and on a timer. Never throws. */
  async start(): Promise<EngineStatus> {
    const status = await this.engine.probe();
    if (this.closed) return status;
    if (status.state === 'running') {
      this.log.info('docker engine found', { version: status.version, endpoint: status.endpoint, gpu: status.gpu.available });
      this.startReaper();
    } else {
      this.log.warn('docker engine not available', { state: status.state, endpoint: status.endpoint });
    }
    const idleStopMs = this.options.idleStopMs ?? 10 * 60_000;
    if (idleStopMs > 0 && !this.idleTimer) {
      this.idleTimer = setInterval(() => void this.stopIdle(idleStopMs), Math.min(idleStopMs, 60_000));
      this.idleTimer.unref();
    }
    return status;
  }

  private startReaper(): void {
    if (this.reaper || this.closed) return;
    this.reaper = startReaper({
      docker: this.engine.docker,
      scope: this.scope,
      instance: this.instance,
      isTracked: (id) => [...this.models.values()].some((e) => e.model.containerId === id),
      log: this.log,
      intervalMs: this.options.reaperIntervalMs ?? 60_000,
      onResult: (r) => {
        this.lastReap = { ...r, at: new Date().toISOString() };
      },
    });
  }

  /** Resolves once the start-up reap has finished (tests, ordered shutdown). */
  async reaped(): Promise<ReapResult | null> {
    return this.reaper ? this.reaper.first : null;
  }

  get lastReapResult(): (ReapResult & { at: string }) | null {
    return this.lastReap;
  }

  /** Reaps leftovers now (the UI's "clean up" button). */
  async reapNow(): Promise<ReapResult> {
    await this.engine.require();
    const r = await reap({
      docker: this.engine.docker,
      scope: this.scope,
      instance: this.instance,
      isTracked: (id) => [...this.models.values()].some((e) => e.model.containerId === id),
      log: this.log,
    });
    this.lastReap = { ...r, at: new Date().toISOString() };
    return r;
  }

  async status(): Promise<EngineStatus> {
    const status = await this.engine.probe();
    if (status.state === 'running') this.startReaper();
    return status;
  }

  async images(): Promise<Array<ManagedImage & { pinned: PinnedImage | null }>> {
    await this.engine.require();
    const pins = Object.values(this.readPins());
    const images = await listManagedImages(this.engine.docker);
    // Pulled images carry no Minerva label (their config is the publisher's): list them by pin.
    for (const pin of pins) {
      if (pin.source !== 'pulled' || images.some((i) => i.id === pin.imageId)) continue;
      try {
        const info = await this.engine.docker.getImage(pin.imageId).inspect();
        images.push({
          id: info.Id,
          tags: info.RepoTags ?? [],
          references: [pin.reference],
          sizeBytes: info.Size,
          createdAt: info.Created,
          bundle: null,
          base: false,
        });
      } catch {
        // removed outside Minerva: nothing to show
      }
    }
    return images.map((img) => ({ ...img, pinned: pins.find((p) => p.imageId === img.id) ?? null }));
  }

  /** Pulls a pinned reference with progress and records the pin. */
  async pull(reference: string, onProgress?: (p: PullProgress) => void): Promise<PinnedImage> {
    await this.engine.require();
    const resolved = await pullImage(this.engine.docker, reference, { developerMode: this.options.developerMode() }, onProgress);
    const pin: PinnedImage = { reference, source: 'pulled', imageId: resolved.imageId, pinnedAt: new Date().toISOString(), bundleSha256: null, manifest: null };
    this.writePin(`${resolved.ref.name}:${resolved.ref.tag ?? 'latest'}`, pin);
    this.log.info('image pulled and pinned', { reference });
    return pin;
  }

  pins(): Record<string, PinnedImage> {
    return this.readPins();
  }

  private readPins(): Record<string, PinnedImage> {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'pins.json'), 'utf8')) as Record<string, PinnedImage>;
    } catch {
      return {};
    }
  }

  private writePin(tag: string, pin: PinnedImage): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const pins = { ...this.readPins(), [tag]: pin };
    const tmp = join(this.dir, `pins.json.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(pins, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, join(this.dir, 'pins.json'));
  }

  /** Builds a bundle folder into a local image and records its pinned reference. */
  async buildBundle(dir: string, onProgress?: (line: string) => void): Promise<BuiltBundleImage> {
    await this.engine.require();
    const bundle = await readBundle(dir);
    const baseRef = this.options.baseImage ?? process.env.MINERVA_MODEL_BASE_IMAGE;
    const base = baseRef ? await resolveImage(this.engine.docker, baseRef, { developerMode: this.options.developerMode() }) : null;
    const built = await buildBundleImage(this.engine.docker, bundle, {
      log: this.log,
      ...(base ? { base: { id: base.imageId, tag: baseRef! } } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    this.writePin(built.tag, {
      reference: built.reference,
      source: 'built',
      imageId: built.imageId,
      bundleSha256: built.bundleSha256,
      pinnedAt: new Date().toISOString(),
      manifest: { name: built.manifest.name, version: built.manifest.version, kind: built.manifest.kind, description: built.manifest.description },
    });
    this.log.info('model image built and pinned', { reference: built.reference });
    return built;
  }

  /** Checks an untrusted bundle archive, unpacks it into the data dir, and builds it. */
  async importBundleArchive(archivePath: string, onProgress?: (line: string) => void): Promise<BuiltBundleImage> {
    const root = join(this.dir, 'bundles');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const dest = await mkdtemp(join(root, 'import-'));
    try {
      await extractArchive(archivePath, dest, this.options.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS);
      return await this.buildBundle(dest, onProgress);
    } finally {
      // The image now holds the bundle (and its hash is pinned); a refused archive leaves nothing.
      await rm(dest, { recursive: true, force: true });
    }
  }

  /**
   * The model for a key, created (not yet started) if new; the image is policy-checked and resolved
   * first. Concurrent callers for one key share one acquisition: without that, two jobs starting
   * the same model at once both created a container and the second orphaned the first.
   */
  acquire(request: ModelRequest): Promise<ModelContainer> {
    const pending = this.acquiring.get(request.key);
    // Once it settles, ask again: the entry it made is found (or replaced, for another image).
    if (pending) return pending.then(() => this.acquire(request));
    const run = this.acquireNow(request).finally(() => this.acquiring.delete(request.key));
    this.acquiring.set(request.key, run);
    return run;
  }

  private async acquireNow(request: ModelRequest): Promise<ModelContainer> {
    const existing = this.models.get(request.key);
    if (existing && existing.request.image === request.image && existing.model.state !== 'failed' && existing.model.state !== 'stopped') {
      existing.request.keepWarm = request.keepWarm ?? existing.request.keepWarm;
      return existing.model;
    }
    if (existing) await this.release(request.key);
    const status = await this.engine.require();
    const image = await resolveImage(this.engine.docker, request.image, { developerMode: this.options.developerMode() });
    const model = new ModelContainer({
      ...this.options.model,
      docker: this.engine.docker,
      redact: this.options.redact,
      log: this.log,
      spec: {
        name: containerName(request.key),
        imageId: image.imageId,
        owner: currentOwner(this.scope, this.instance),
        role: request.role,
        gpu: request.gpu ?? 'none',
        gpuAvailable: status.gpu.available,
        ...(request.limits ? { limits: request.limits } : {}),
        ...(request.outputDir ? { outputDir: request.outputDir } : {}),
        ...(request.inputDir ? { inputDir: request.inputDir } : {}),
      },
      onStateChange: (state) => this.options.onModelState?.(request.key, state),
    });
    if (this.options.onModelLog) {
      const onLog = this.options.onModelLog;
      model.logs.onLine((line) => onLog(request.key, line));
    }
    this.models.set(request.key, { request, model });
    return model;
  }

  /** Acquire + start: resolves once the model answers its health check. */
  async ensureRunning(request: ModelRequest): Promise<ModelContainer> {
    const model = await this.acquire(request);
    await model.start();
    return model;
  }

  /** Calls a model by key (starting it on demand). */
  async call(key: string, method: string, params: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const entry = this.models.get(key);
    if (!entry) throw new AppError('NOT_FOUND', `No model is set up for ${key}.`);
    return entry.model.call(method, params, options);
  }

  async release(key: string): Promise<void> {
    const entry = this.models.get(key);
    if (!entry) return;
    this.models.delete(key);
    await entry.model.stop();
  }

  /** Stops every model working for a competition (the miner left it). Returns the keys stopped. */
  async releaseCompetition(competitionId: string): Promise<string[]> {
    const keys = [...this.models.entries()].filter(([, e]) => e.request.competitionId === competitionId).map(([k]) => k);
    for (const key of keys) {
      this.log.info('stopping a model: its competition was left', { key, competitionId });
      await this.release(key);
    }
    return keys;
  }

  private async stopIdle(idleStopMs: number): Promise<void> {
    for (const [key, entry] of this.models) {
      if (!entry.request.keepWarm && entry.model.state === 'ready' && entry.model.idleMs > idleStopMs) {
        this.log.info('stopping an idle model', { key });
        await this.release(key).catch((err: unknown) => this.log.warn('could not stop an idle model', { key, error: (err as Error).message }));
      }
    }
  }

  model(key: string): ModelContainer | null {
    return this.models.get(key)?.model ?? null;
  }

  summaries(): ModelSummary[] {
    return [...this.models.entries()].map(([key, e]) => ({
      key,
      image: e.request.image,
      state: e.model.state,
      containerId: e.model.containerId,
      restarts: e.model.restartCount,
      lastFailure: e.model.lastFailure,
      keepWarm: e.request.keepWarm ?? false,
    }));
  }

  logs(key: string, limit = 200, afterSeq = 0): ModelLogLine[] {
    return this.models.get(key)?.model.logs.tail(limit, afterSeq) ?? [];
  }

  /** Containers of this app's scope (always filtered by the managed label). */
  async containers(): Promise<ManagedContainer[]> {
    await this.engine.require();
    return listManagedContainers(this.engine.docker, [`${LABEL.scope}=${this.scope}`]);
  }

  async isolation(containerId: string): Promise<IsolationReport | null> {
    await this.engine.require();
    const info = await inspectManagedContainer(this.engine.docker, containerId);
    if (!info) return null;
    if (info.Config?.Labels?.[LABEL.scope] !== this.scope) throw new AppError('FORBIDDEN', 'That container belongs to another Minerva data folder.');
    return isolationReport(info, { outputMount: (info.Mounts ?? []).some((m) => m.Destination === '/out') });
  }

  /** Stops every model and the timers (app exit). */
  async close(): Promise<void> {
    this.closed = true;
    this.reaper?.stop();
    this.reaper = null;
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    const keys = [...this.models.keys()];
    await Promise.allSettled(keys.map((k) => this.release(k)));
  }
}
