import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { z } from 'zod';
import { AppError } from '@shared/contract/errors';
import { LABEL, silentLogger, type RuntimeLogger } from './types';
import { packTar, type TarInput } from './tar';

/**
 * Model bundles (resources/models/README.md is the author's guide): a folder holding
 * `minerva-model.json` and plain Node files. Offline, a bundle is built locally into an image on
 * top of a base image holding only the `node` binary and its libraries; the resulting image ID is
 * its digest, recorded in the pinned reference `minerva-model/<name>:<version>@sha256:<id>`.
 */

export const MANIFEST_FILE = 'minerva-model.json';

const METHOD = z.enum(['health', 'infer', 'setup', 'call', 'reset']);

export const bundleManifestSchema = z
  .object({
    schema: z.literal(1),
    name: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'lowercase letters, digits and . _ - only').max(64),
    version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a docker tag: letters, digits and . _ -'),
    description: z.string().max(500).default(''),
    kind: z.enum(['inference', 'runner', 'trainer']),
    /** The script the container runs with `node`, relative to the bundle. */
    entry: z.string().regex(/^[A-Za-z0-9._/-]+\.(c?js|mjs)$/).refine((p) => !p.split('/').includes('..') && !p.startsWith('/'), 'must stay inside the bundle'),
    methods: z.array(METHOD).min(1),
    /** Runner bundles: the base class name coordinators set up (PROTOCOLS §5). */
    className: z.string().max(128).optional(),
    resources: z
      .object({
        memoryMb: z.number().int().min(32).max(65536).default(256),
        cpus: z.number().min(0.1).max(64).default(1),
        pids: z.number().int().min(8).max(4096).default(64),
        tmpfsMb: z.number().int().min(1).max(4096).default(16),
        gpu: z.enum(['none', 'if-available', 'required']).default('none'),
      })
      .prefault({}),
  })
  .strict();

export type BundleManifest = z.output<typeof bundleManifestSchema>;

export interface BundleFile {
  /** Path inside the bundle, `/`-separated. */
  path: string;
  hostPath: string;
  size: number;
  executable: boolean;
}

export interface Bundle {
  dir: string;
  manifest: BundleManifest;
  files: BundleFile[];
  totalBytes: number;
  /** sha256 over (path, size, content) of every file in path order: what was reviewed. */
  sha256: string;
}

export interface BundleLimits {
  maxFiles: number;
  maxTotalBytes: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = { maxFiles: 10_000, maxTotalBytes: 4 * 1024 ** 3 };

/** Reads and checks a bundle folder: a valid manifest, regular files only (no links), within limits. */
export async function readBundle(dir: string, limits: BundleLimits = DEFAULT_BUNDLE_LIMITS): Promise<Bundle> {
  const root = await realpath(dir).catch(() => {
    throw new AppError('NOT_FOUND', `The model bundle folder ${dir} does not exist.`);
  });
  let manifestText: string;
  try {
    manifestText = await readFile(join(root, MANIFEST_FILE), 'utf8');
  } catch {
    throw new AppError('VALIDATION', `The folder ${dir} is not a model bundle: it has no ${MANIFEST_FILE}. See resources/models/README.md for the format.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch {
    throw new AppError('VALIDATION', `${MANIFEST_FILE} in ${dir} is not valid JSON.`);
  }
  const parsed = bundleManifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AppError('VALIDATION', `${MANIFEST_FILE} in ${dir} is invalid: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown problem'}.`);
  }
  const manifest = parsed.data;
  const files: BundleFile[] = [];
  let totalBytes = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const host = join(root, childRel);
      const info = await lstat(host);
      if (info.isSymbolicLink()) throw new AppError('VALIDATION', `The model bundle holds a symbolic link (${childRel}); bundles may hold only regular files and folders.`);
      if (info.isDirectory()) await walk(childRel);
      else if (info.isFile()) {
        totalBytes += info.size;
        files.push({ path: childRel, hostPath: host, size: info.size, executable: (info.mode & 0o111) !== 0 });
        if (files.length > limits.maxFiles) throw new AppError('TOO_LARGE', `The model bundle has more than ${limits.maxFiles} files.`);
        if (totalBytes > limits.maxTotalBytes) throw new AppError('TOO_LARGE', `The model bundle is larger than ${limits.maxTotalBytes} bytes.`);
      } else throw new AppError('VALIDATION', `The model bundle holds a special file (${childRel}); bundles may hold only regular files and folders.`);
    }
  };
  await walk('');
  if (!files.some((f) => f.path === manifest.entry)) throw new AppError('VALIDATION', `The bundle's entry script ${manifest.entry} is missing from ${dir}.`);
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(`${f.path}\0${f.size}\0`);
    for await (const chunk of createReadStream(f.hostPath) as AsyncIterable<Buffer>) hash.update(chunk);
  }
  return { dir: root, manifest, files, totalBytes, sha256: hash.digest('hex') };
}

// ---------------------------------------------------------------------------------------------
// Base image: the host's node binary and the shared libraries it loads (Linux hosts).

const execFileAsync = promisify(execFile);

export async function nodeRuntimeFiles(nodePath: string = process.execPath): Promise<{ node: string; libs: string[] }> {
  if (process.platform !== 'linux') {
    throw new AppError('UNSUPPORTED', 'Building the model base image from this computer\'s Node only works on Linux. Pass a pinned base image (name:tag@sha256:…) that has node at /usr/local/bin/node instead.');
  }
  const node = await realpath(nodePath);
  const { stdout } = await execFileAsync('ldd', [node]);
  const libs = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return { node, libs: [...libs] };
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** Follows a build's JSON progress stream; rejects with the engine's error text. */
async function followBuild(docker: Docker, stream: NodeJS.ReadableStream, onProgress?: (line: string) => void): Promise<string | null> {
  let imageId: string | null = null;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; aux?: { ID?: string } }>) => {
        if (err) return reject(err);
        const failed = output.find((o) => o.error);
        if (failed?.error) return reject(new AppError('MODEL_FAILED', `Docker could not build the model image: ${failed.error.trim()}`));
        for (const o of output) if (o.aux?.ID) imageId = o.aux.ID;
        resolve();
      },
      (event: { stream?: string; status?: string }) => {
        const text = (event.stream ?? event.status ?? '').trim();
        if (text && onProgress) onProgress(text);
      },
    );
  });
  return imageId;
}

export interface BaseImage {
  id: string;
  tag: string;
}

const BASE_REPO = 'minerva-base/node';

/** Builds (or finds) the base image `minerva-base/node:<version>-<binary hash>` from this host's node. */
export async function ensureBaseImage(docker: Docker, log: RuntimeLogger = silentLogger): Promise<BaseImage> {
  const files = await nodeRuntimeFiles();
  const binHash = (await fileSha256(files.node)).slice(0, 12);
  const tag = `${BASE_REPO}:${process.versions.node}-${binHash}`;
  try {
    const existing = await docker.getImage(tag).inspect();
    if (existing.Config?.Labels?.[LABEL.image] === '1') return { id: existing.Id, tag };
  } catch {
    // not built yet
  }
  log.info('building the model base image from this computer\'s node', { tag });
  const entries: TarInput[] = [{ path: 'Dockerfile', type: 'file', content: Buffer.from('FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/usr/local/bin/node"]\n') }];
  const dirs = new Set<string>();
  const addFile = async (hostPath: string, inImage: string): Promise<void> => {
    const parts = inImage.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i += 1) {
      const d = `rootfs/${parts.slice(0, i).join('/')}`;
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ path: d, type: 'directory' });
      }
    }
    const info = await stat(hostPath);
    entries.push({ path: `rootfs/${parts.join('/')}`, type: 'file', mode: 0o755, content: { hostPath, size: info.size } });
  };
  await addFile(files.node, '/usr/local/bin/node');
  for (const lib of files.libs) await addFile(await realpath(lib), lib);
  entries.push({ path: 'rootfs/tmp', type: 'directory', mode: 0o1777 });
  const stream = await docker.buildImage(packTar(entries), {
    t: tag,
    labels: { [LABEL.image]: '1', [LABEL.base]: `node-${process.versions.node}` },
    rm: true,
    forcerm: true,
    networkmode: 'none',
  } as Docker.ImageBuildOptions);
  await followBuild(docker, stream);
  const built = await docker.getImage(tag).inspect();
  return { id: built.Id, tag };
}

export interface BuiltBundleImage {
  /** `minerva-model/<name>:<version>@sha256:<image id>`: the pinned reference to run. */
  reference: string;
  imageId: string;
  tag: string;
  bundleSha256: string;
  manifest: BundleManifest;
  sizeBytes: number;
}

export const MODEL_REPO_PREFIX = 'minerva-model/';

/**
 * Builds a bundle into an image on top of the base image. The image runs as nobody (65534),
 * with the bundle read-only at /model and `node <entry>` as its entry point.
 */
export async function buildBundleImage(
  docker: Docker,
  bundle: Bundle,
  options: { base?: BaseImage; log?: RuntimeLogger; onProgress?: (line: string) => void } = {},
): Promise<BuiltBundleImage> {
  const log = options.log ?? silentLogger;
  const base = options.base ?? (await ensureBaseImage(docker, log));
  const tag = `${MODEL_REPO_PREFIX}${bundle.manifest.name}:${bundle.manifest.version}`;
  const dockerfile = [
    // By image ID: the base is pinned exactly, whatever its tag points at later.
    `FROM ${base.id}`,
    'COPY model/ /model/',
    'WORKDIR /model',
    'USER 65534:65534',
    `ENTRYPOINT ["/usr/local/bin/node", "/model/${bundle.manifest.entry}"]`,
    '',
  ].join('\n');
  const entries: TarInput[] = [{ path: 'Dockerfile', type: 'file', content: Buffer.from(dockerfile) }, { path: 'model', type: 'directory' }];
  const dirs = new Set<string>();
  for (const f of bundle.files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const d = `model/${parts.slice(0, i).join('/')}`;
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ path: d, type: 'directory' });
      }
    }
    entries.push({ path: `model/${f.path}`, type: 'file', mode: f.executable ? 0o755 : 0o644, content: { hostPath: f.hostPath, size: f.size } });
  }
  log.info('building model image', { tag, bundleSha256: bundle.sha256, files: bundle.files.length });
  const stream = await docker.buildImage(packTar(entries), {
    t: tag,
    labels: {
      [LABEL.image]: '1',
      [LABEL.bundleName]: bundle.manifest.name,
      [LABEL.bundleVersion]: bundle.manifest.version,
      [LABEL.bundleSha256]: bundle.sha256,
    },
    rm: true,
    forcerm: true,
    networkmode: 'none',
  } as Docker.ImageBuildOptions);
  await followBuild(docker, stream, options.onProgress);
  const built = await docker.getImage(tag).inspect();
  if (built.Config?.Labels?.[LABEL.bundleSha256] !== bundle.sha256) {
    throw new AppError('MODEL_FAILED', 'The model image Docker reports is not the one just built (its bundle hash differs). Build it again.');
  }
  return { reference: `${tag}@${built.Id}`, imageId: built.Id, tag, bundleSha256: bundle.sha256, manifest: bundle.manifest, sizeBytes: built.Size };
}
