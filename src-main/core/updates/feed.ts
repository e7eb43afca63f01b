import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { load as loadYaml, JSON_SCHEMA } from 'js-yaml';
import { z } from 'zod';
import { AppError } from '@shared/contract/errors';
import { compareVersions, isVersion } from './version-order';

/**
 * The update feed: electron-updater's generic provider layout (`<feed>/latest-linux.yml`,
 * `latest-mac.yml`, `latest.yml` on Windows, each naming files with their sha512 and size),
 * plus one detached signature `<channel file>.sig`: ed25519 over the exact bytes of the channel
 * file, base64, by the release key whose public half the app pins (release-key.ts). The channel
 * file carries each file's sha512, so the signature covers the installer too (docs/updates.md).
 *
 * Order of checks (each refusal is an AppError in words, nothing is installed, nothing touched):
 *   1. the channel file and its signature are fetched; the signature must verify   → UPDATE_SIGNATURE_INVALID
 *   2. the channel file must parse as the generic provider's format               → UPDATE_FEED_INVALID
 *   3. its version must be newer than this app's (equal: up to date)              → UPDATE_DOWNGRADE
 *   4. the file is downloaded beside, its size and sha512 must match              → UPDATE_TAMPERED
 * Only then is the file renamed to its final name in `<data dir>/updates/`.
 */

const fileSchema = z.object({
  url: z.string().min(1),
  sha512: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'sha512 must be 64 bytes in base64'),
  size: z.number().int().positive(),
});

const channelSchema = z.object({
  version: z.string().refine(isVersion, 'version must look like 1.2.3'),
  files: z.array(fileSchema.passthrough()).min(1),
  releaseDate: z.string().optional(),
  releaseNotes: z.string().nullable().optional(),
});

export interface UpdateFile {
  /** The file's name (no folders): where it is saved under `<data dir>/updates/`. */
  name: string;
  url: string;
  sha512: string;
  size: number;
}

export interface UpdateInfo {
  version: string;
  releaseDate: string | null;
  releaseNotes: string | null;
  file: UpdateFile;
}

/**
 * The channel file a platform reads, named as electron-updater names it (checked against its own
 * Provider in tests/unit/core/updates/electron-updater-format.test.ts): Linux on another CPU than
 * x64 reads `latest-linux-<arch>.yml`, as electron-builder writes it for that architecture.
 */
export function channelFileFor(platform: NodeJS.Platform, arch: string = process.arch): string {
  if (platform === 'darwin') return 'latest-mac.yml';
  if (platform === 'linux') return arch === 'x64' ? 'latest-linux.yml' : `latest-linux-${arch}.yml`;
  return 'latest.yml';
}

/** Loads the pinned public key (base64 of the raw 32 bytes, or an SPKI PEM). */
export function releaseKeyFrom(publicKey: string): KeyObject {
  try {
    if (publicKey.includes('BEGIN PUBLIC KEY')) return createPublicKey(publicKey);
    const raw = Buffer.from(publicKey, 'base64');
    if (raw.length !== 32) throw new Error('not 32 bytes');
    // SPKI DER prefix for an Ed25519 public key (RFC 8410), then the 32 raw bytes.
    return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
  } catch (error) {
    throw new AppError('UPDATE_NOT_CONFIGURED', 'This build’s release key is not a valid Ed25519 public key, so it cannot check updates. Download the next version from the Minerva website.', { cause: error });
  }
}

/** Verifies the detached signature over the channel file's exact bytes. */
export function verifyChannelSignature(channelBytes: Buffer, signatureText: string, key: KeyObject): void {
  const signature = Buffer.from(signatureText.trim(), 'base64');
  let ok = false;
  try {
    ok = signature.length === 64 && verifySignature(null, channelBytes, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new AppError(
      'UPDATE_SIGNATURE_INVALID',
      'The update feed is not signed by the Minerva release key, so the update was refused and nothing was installed. The feed or your connection may have been tampered with; try again later, or download Minerva from its website.',
    );
  }
}

/**
 * Parses a verified channel file; the file must be a plain name on the feed (no folders, no other
 * host). With `fileExtension` (the host's installer kind, e.g. `AppImage`), the first file whose
 * name ends with it — as electron-updater's `findFile` — else the first file.
 */
export function parseChannel(channelBytes: Buffer, feedUrl: string, channelName: string, fileExtension?: string): UpdateInfo {
  let doc: unknown;
  try {
    doc = loadYaml(channelBytes.toString('utf8'), { schema: JSON_SCHEMA });
  } catch (error) {
    throw feedInvalid(`${channelName} is not valid YAML`, error);
  }
  const parsed = channelSchema.safeParse(doc);
  if (!parsed.success) throw feedInvalid(`${channelName}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'} ${i.message}`).join('; ')}`);
  const files = parsed.data.files;
  const wanted = fileExtension ? `.${fileExtension.toLowerCase()}` : null;
  const first = wanted ? files.find((f) => (f.url.split(/[?#]/)[0] ?? '').toLowerCase().endsWith(wanted)) : files[0]!;
  if (!first) throw feedInvalid(`${channelName} lists no .${fileExtension} file for this installation`);
  const base = new URL(feedUrl.endsWith('/') ? feedUrl : `${feedUrl}/`);
  let url: URL;
  try {
    url = new URL(first.url, base);
  } catch (error) {
    throw feedInvalid(`${channelName} names a file that is not a URL`, error);
  }
  const name = decodeURIComponent(basename(url.pathname));
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname) || name === '' || name === '.' || name === '..' || /[\\/]/.test(name)) {
    throw feedInvalid(`${channelName} names a file outside the feed (${url.origin}${url.pathname})`);
  }
  return {
    version: parsed.data.version,
    releaseDate: parsed.data.releaseDate ?? null,
    releaseNotes: parsed.data.releaseNotes ?? null,
    file: { name, url: url.toString(), sha512: first.sha512, size: first.size },
  };
}

function feedInvalid(why: string, cause?: unknown): AppError {
  return new AppError('UPDATE_FEED_INVALID', `The update feed could not be read (${why}), so nothing was downloaded. Try again later; if it keeps failing, download Minerva from its website.`, cause === undefined ? undefined : { cause });
}

/** Refuses anything not newer than the running version (a signed older release is still a downgrade). */
export function refuseDowngrade(current: string, offered: string): 'newer' | 'same' {
  const order = compareVersions(offered, current);
  if (order > 0) return 'newer';
  if (order === 0) return 'same';
  throw new AppError(
    'UPDATE_DOWNGRADE',
    `The update feed offers Minerva ${offered}, older than this version (${current}). Going back could lose data written by the newer version, so it was refused; nothing was installed.`,
  );
}

export interface FetchFeedOptions {
  feedUrl: string;
  publicKey: KeyObject;
  platform: NodeJS.Platform;
  /** The host installer's file kind (parseChannel). */
  fileExtension?: string;
  timeoutMs?: number;
}

/** Fetches and checks the channel file (steps 1–2). */
export async function fetchUpdateInfo(options: FetchFeedOptions): Promise<UpdateInfo> {
  const channel = channelFileFor(options.platform);
  const base = options.feedUrl.endsWith('/') ? options.feedUrl : `${options.feedUrl}/`;
  const [channelBytes, signature] = await Promise.all([get(new URL(channel, base), options.timeoutMs), get(new URL(`${channel}.sig`, base), options.timeoutMs)]);
  verifyChannelSignature(channelBytes, signature.toString('utf8'), options.publicKey);
  return parseChannel(channelBytes, base, channel, options.fileExtension);
}

/** Channel and signature files are small; anything larger is not a feed. */
const MAX_CHANNEL_BYTES = 256 * 1024;

async function get(url: URL, timeoutMs = 15_000): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (error) {
    throw new AppError('NETWORK_ERROR', `The update feed (${url.origin}) could not be reached. Check your connection and try again later.`, { cause: error });
  }
  if (!res.ok) throw feedInvalid(`${basename(url.pathname)} answered HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_CHANNEL_BYTES) throw feedInvalid(`${basename(url.pathname)} is larger than a feed file can be`);
  return body;
}

/**
 * Downloads the update's file into `dir` (step 4): streamed to `<name>.partial` while hashing,
 * stopped as soon as it grows past the announced size, and renamed only when size and sha512
 * match. A refused file is deleted. Returns the verified file's path.
 */
export async function downloadVerified(info: UpdateInfo, dir: string, options: { timeoutMs?: number; onProgress?: (received: number, total: number) => void } = {}): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const final = join(dir, info.file.name);
  const partial = `${final}.partial`;
  const tampered = (why: string): AppError =>
    new AppError('UPDATE_TAMPERED', `The downloaded update does not match what the signed feed announced (${why}), so it was deleted and nothing was installed. Try again later; if it keeps happening, download Minerva from its website.`);
  let res: Response;
  try {
    res = await fetch(info.file.url, { signal: AbortSignal.timeout(options.timeoutMs ?? 30 * 60_000), redirect: 'error' });
  } catch (error) {
    throw new AppError('NETWORK_ERROR', 'The update could not be downloaded. Check your connection and try again.', { cause: error });
  }
  if (!res.ok || !res.body) throw new AppError('NETWORK_ERROR', `The update could not be downloaded (HTTP ${res.status}). Try again later.`);
  const hash = createHash('sha512');
  const out = createWriteStream(partial, { mode: 0o600 });
  let received = 0;
  try {
    // Node's web streams are async-iterable (the DOM typing of `fetch` does not say so).
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      if (received > info.file.size) throw tampered(`it is larger than ${info.file.size} bytes`);
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
      options.onProgress?.(received, info.file.size);
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    if (received !== info.file.size) throw tampered(`${received} bytes instead of ${info.file.size}`);
    if (hash.digest('base64') !== info.file.sha512) throw tampered('its sha512 differs');
    await rename(partial, final);
    return final;
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    if (error instanceof AppError) throw error;
    throw new AppError('NETWORK_ERROR', 'The update download was interrupted. Try again.', { cause: error });
  }
}
