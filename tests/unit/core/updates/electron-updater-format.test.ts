import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppUpdater } from 'electron-updater';
import { GenericProvider } from 'electron-updater/out/providers/GenericProvider';
import type { ProviderRuntimeOptions } from 'electron-updater/out/providers/Provider';
import { channelFileFor, fetchUpdateInfo, parseChannel, releaseKeyFrom, verifyChannelSignature } from '@core/updates/feed';
import { REPO_ROOT } from '../../../helpers/serve-process';
import { channelYaml, installerBytes, sha512, startTestFeed, testKey, type TestFeed } from '../../../helpers/update-feed';

/**
 * Our feed, read by electron-updater's OWN generic provider (the code the issue names): the channel
 * file our test feed serves (written as electron-builder writes it) and the one signed by
 * scripts/sign-update-feed.mjs parse to the same version, file URL, size and sha512 that core reads,
 * and core looks for the channel file electron-updater would ask for. Electron-free: the provider's
 * HTTP goes through a two-line executor over Node's fetch instead of Electron's `net`.
 */
const run = promisify(execFile);

/** electron-updater's provider asks its executor for `request(options)`; Electron's `net` is not here, fetch is. */
const fetchExecutor = {
  request: async (options: RequestOptions): Promise<string> => {
    const res = await fetch(`${options.protocol ?? 'http:'}//${options.hostname}:${options.port}${options.path}`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.text();
  },
};

function electronUpdaterProvider(url: string, platform: ProviderRuntimeOptions['platform'] = 'linux'): GenericProvider {
  const updater = { channel: null, isAddNoCacheQuery: false } as unknown as AppUpdater;
  return new GenericProvider({ provider: 'generic', url }, updater, { isUseMultipleRangeRequest: false, platform, executor: fetchExecutor as unknown as ProviderRuntimeOptions['executor'] });
}

let feed: TestFeed;
beforeAll(async () => {
  feed = await startTestFeed({ prefix: '/releases/stable/' });
});
afterAll(() => feed.close());

describe('our update feed, read by electron-updater', () => {
  it('the generic provider reads the same version, file URL, size and sha512 as core', async () => {
    const { file, name } = feed.publish({ version: '0.4.2', file: installerBytes('0.4.2', 70_001) });
    const provider = electronUpdaterProvider(feed.url);
    const theirs = await provider.getLatestVersion();
    const [resolved] = provider.resolveFiles(theirs);
    const ours = await fetchUpdateInfo({ feedUrl: feed.url, publicKey: releaseKeyFrom(feed.key.publicKey), platform: 'linux' });

    expect(theirs.version).toBe(ours.version);
    expect(theirs.version).toBe('0.4.2');
    expect(resolved?.url.href).toBe(ours.file.url);
    expect(resolved?.url.href).toBe(`${feed.url}${name}`);
    expect(resolved?.info.sha512).toBe(ours.file.sha512);
    expect(resolved?.info.sha512).toBe(sha512(file));
    expect(resolved?.info.size).toBe(ours.file.size);
    expect(theirs.releaseDate).toBe(ours.releaseDate);
  });

  it('a channel file signed by scripts/sign-update-feed.mjs verifies in core and parses the same in electron-updater', async () => {
    const key = testKey();
    const dir = mkdtempSync(join(tmpdir(), 'minerva-feed-'));
    const file = installerBytes('1.0.0-beta.3', 4_096);
    writeFileSync(join(dir, 'latest-linux.yml'), channelYaml({ version: '1.0.0-beta.3', url: 'Minerva 1.0.0-beta.3.AppImage', sha512: sha512(file), size: file.length }));
    const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'scripts', 'sign-update-feed.mjs'), dir], { env: { ...process.env, MINERVA_RELEASE_KEY: key.privatePem } });
    expect(stdout).toContain('signed latest-linux.yml');
    const bytes = readFileSync(join(dir, 'latest-linux.yml'));
    expect(() => verifyChannelSignature(bytes, readFileSync(join(dir, 'latest-linux.yml.sig'), 'utf8'), releaseKeyFrom(key.publicKey))).not.toThrow();

    // The same bytes, served: a name with a space and a pre-release version, as electron-builder may write them.
    feed.routes.clear();
    feed.routes.set('/releases/stable/latest-linux.yml', bytes);
    const provider = electronUpdaterProvider(feed.url);
    const theirs = await provider.getLatestVersion();
    const [resolved] = provider.resolveFiles(theirs);
    const ours = parseChannel(bytes, feed.url, 'latest-linux.yml');
    expect({ version: theirs.version, url: resolved?.url.href, sha512: resolved?.info.sha512, size: resolved?.info.size }).toEqual({
      version: ours.version,
      url: ours.file.url,
      sha512: ours.file.sha512,
      size: ours.file.size,
    });
    expect(ours.file.name).toBe('Minerva 1.0.0-beta.3.AppImage');
  });

  it('core asks for the channel file electron-updater asks for, on each platform', () => {
    const names = (platform: ProviderRuntimeOptions['platform']): string => {
      const provider = electronUpdaterProvider(feed.url, platform) as unknown as { channel: string };
      return `${provider.channel}.yml`;
    };
    expect(channelFileFor('linux')).toBe(names('linux'));
    expect(channelFileFor('darwin')).toBe(names('darwin'));
    expect(channelFileFor('win32')).toBe(names('win32'));
    expect(channelFileFor('linux', 'arm64')).toBe('latest-linux-arm64.yml');
  });
});
