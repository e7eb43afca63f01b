import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { dump as dumpYaml } from 'js-yaml';
import { channelFileFor } from '@core/updates/feed';

/**
 * A real update feed on loopback HTTP in electron-updater's generic layout (docs/updates.md):
 * `<feed>/latest-linux.yml`, its `.sig` (Ed25519 over the channel file's bytes) and the installer
 * it names. Shared by the core tests (tests/unit/core/updates), the electron-updater parser check
 * and the Settings → Updates e2e spec; each test publishes what it needs, good or bad.
 */
export interface TestKey {
  privateKey: KeyObject;
  /** The public half as the app takes it (`MINERVA_UPDATE_PUBLIC_KEY`): base64 of the raw 32 bytes. */
  publicKey: string;
  /** PKCS#8 PEM, as `scripts/sign-update-feed.mjs` reads it from MINERVA_RELEASE_KEY. */
  privatePem: string;
}

export function testKey(): TestKey {
  const pair = generateKeyPairSync('ed25519');
  return {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64'),
    privatePem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

export const sha512 = (bytes: Buffer): string => createHash('sha512').update(bytes).digest('base64');

/** A stand-in installer of a given size (the feed never runs it). */
export function installerBytes(version: string, size = 150_000): Buffer {
  const line = Buffer.from(`#!/bin/sh\necho "Minerva ${version}"\n`);
  return Buffer.concat(Array.from({ length: Math.ceil(size / line.length) }, () => line)).subarray(0, size);
}

export interface ChannelFields {
  version: string;
  /** The file's url as the channel file writes it (default `Minerva-<version>.AppImage`). */
  url?: string;
  sha512: string;
  size: number;
  releaseDate?: string;
}

/**
 * A channel file as electron-builder writes one (app-builder-lib's updateInfoBuilder: `version`,
 * `files[]` with url/sha512/size, the legacy `path`/`sha512`, `releaseDate`), serialized by
 * js-yaml as electron-builder's `serializeToYaml` does.
 */
export function channelYaml(fields: ChannelFields): string {
  const url = fields.url ?? `Minerva-${fields.version}.AppImage`;
  return dumpYaml(
    { version: fields.version, files: [{ url, sha512: fields.sha512, size: fields.size }], path: url, sha512: fields.sha512, releaseDate: fields.releaseDate ?? '2026-12-06T04:00:00.000Z' },
    { lineWidth: 8000 },
  );
}

export interface Release {
  version: string;
  /** The installer's bytes as announced (sha512 and size of these). */
  file?: Buffer;
  /** What the feed actually serves as the installer (default: `file`): a tampered download. */
  served?: Buffer;
  /** Who signs the channel file (default: the feed's key). */
  signer?: KeyObject;
  /** A channel file written by hand instead (still signed). */
  yml?: string;
}

export interface TestFeed {
  /** `http://127.0.0.1:<port><prefix>` with a trailing slash. */
  url: string;
  key: TestKey;
  /** What the feed serves, path → body; `publish` replaces it. */
  routes: Map<string, Buffer>;
  /** Serves a release: the channel file, its signature and the installer. Returns the installer's bytes. */
  publish(release: Release): { yml: Buffer; file: Buffer; name: string };
  close(): Promise<void>;
}

export async function startTestFeed(options: { prefix?: string; key?: TestKey } = {}): Promise<TestFeed> {
  const prefix = options.prefix ?? '/feed/';
  const key = options.key ?? testKey();
  const routes = new Map<string, Buffer>();
  const server: Server = createServer((req, res) => {
    const body = routes.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    key,
    routes,
    publish(release) {
      const file = release.file ?? installerBytes(release.version);
      const name = `Minerva-${release.version}.AppImage`;
      const yml = Buffer.from(release.yml ?? channelYaml({ version: release.version, url: name, sha512: sha512(file), size: file.length }));
      const channel = channelFileFor('linux');
      routes.clear();
      routes.set(`${prefix}${channel}`, yml);
      routes.set(`${prefix}${channel}.sig`, Buffer.from(`${sign(null, yml, release.signer ?? key.privateKey).toString('base64')}\n`));
      routes.set(`${prefix}${name}`, release.served ?? file);
      return { yml, file, name };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
