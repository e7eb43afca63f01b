import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { downloadVerified, fetchUpdateInfo, refuseDowngrade, releaseKeyFrom } from '@core/updates/feed';
import { compareVersions } from '@core/updates/version-order';
import { channelYaml, installerBytes, sha512, startTestFeed, type TestFeed } from '../../../helpers/update-feed';

/**
 * The update feed and its checks against a real generic feed on loopback HTTP: a good update,
 * a tampered file, a wrong signature, a downgrade, a feed naming a file on another host.
 */
const stranger = generateKeyPairSync('ed25519');
const installer = installerBytes('0.2.0', 160_000);

let feed: TestFeed;
let feedUrl: string;
beforeAll(async () => {
  feed = await startTestFeed();
  feedUrl = feed.url;
});
afterAll(() => feed.close());
const serve = (release: { version: string; url?: string; hash?: string; signer?: KeyObject; served?: Buffer; yml?: string }) =>
  feed.publish({
    version: release.version,
    file: installer,
    ...(release.served ? { served: release.served } : {}),
    ...(release.signer ? { signer: release.signer } : {}),
    ...(release.yml || release.url || release.hash
      ? { yml: release.yml ?? channelYaml({ version: release.version, url: release.url ?? `Minerva-${release.version}.AppImage`, sha512: release.hash ?? sha512(installer), size: installer.length }) }
      : {}),
  });

const key = (): KeyObject => releaseKeyFrom(feed.key.publicKey);
const check = () => fetchUpdateInfo({ feedUrl, publicKey: key(), platform: 'linux' });
async function refusal(p: Promise<unknown>): Promise<AppError> {
  const error = await p.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('update feed on loopback', () => {
  it('accepts a signed newer release and downloads the file with a matching sha512', async () => {
    serve({ version: '0.2.0' });
    const info = await check();
    expect(info).toMatchObject({ version: '0.2.0', file: { name: 'Minerva-0.2.0.AppImage', size: installer.length } });
    expect(refuseDowngrade('0.1.0', info.version)).toBe('newer');
    const dir = mkdtempSync(join(tmpdir(), 'minerva-upd-'));
    const file = await downloadVerified(info, dir);
    expect(readFileSync(file).equals(installer)).toBe(true);
    expect(readdirSync(dir)).toEqual(['Minerva-0.2.0.AppImage']);
  });

  it('refuses a channel file signed by another key (or with no valid signature)', async () => {
    serve({ version: '0.2.0', signer: stranger.privateKey });
    const error = await refusal(check());
    expect(error.code).toBe('UPDATE_SIGNATURE_INVALID');
    expect(error.message).toMatch(/not signed by the Minerva release key.*nothing was installed/);
    // A signed file altered afterwards (here: a different hash) fails the same check.
    serve({ version: '0.2.0' });
    feed.routes.set('/feed/latest-linux.yml', Buffer.from(channelYaml({ version: '0.2.0', sha512: sha512(Buffer.from('evil')), size: installer.length })));
    expect((await refusal(check())).code).toBe('UPDATE_SIGNATURE_INVALID');
    feed.routes.set('/feed/latest-linux.yml.sig', Buffer.from('not base64 at all'));
    expect((await refusal(check())).code).toBe('UPDATE_SIGNATURE_INVALID');
  });

  it('refuses a tampered file: different bytes, or more bytes than announced, and deletes it', async () => {
    const tampered = Buffer.from(installer);
    tampered[100] = 0x41 ^ tampered[100]!;
    serve({ version: '0.2.0', served: tampered });
    const info = await check();
    const dir = mkdtempSync(join(tmpdir(), 'minerva-upd-'));
    const error = await refusal(downloadVerified(info, dir));
    expect(error.code).toBe('UPDATE_TAMPERED');
    expect(error.message).toMatch(/sha512 differs.*deleted and nothing was installed/);
    expect(readdirSync(dir)).toEqual([]);

    serve({ version: '0.2.0', served: Buffer.concat([installer, Buffer.from('extra')]) });
    const longer = await refusal(downloadVerified(await check(), dir));
    expect(longer.code).toBe('UPDATE_TAMPERED');
    expect(longer.message).toMatch(/larger than/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a downgrade even when it is signed; the same version is "up to date"', async () => {
    serve({ version: '0.0.9' });
    const info = await check();
    const error = (() => {
      try {
        refuseDowngrade('0.1.0', info.version);
        return null;
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(error?.code).toBe('UPDATE_DOWNGRADE');
    expect(error?.message).toContain('offers Minerva 0.0.9, older than this version (0.1.0)');
    expect(refuseDowngrade('0.1.0', '0.1.0')).toBe('same');
  });

  it('refuses a signed feed that names a file on another host or outside the feed folder', async () => {
    for (const file of ['https://evil.example/Minerva.AppImage', '../Minerva-0.2.0.AppImage', '/other/Minerva-0.2.0.AppImage']) {
      serve({ version: '0.2.0', url: file });
      const error = await refusal(check());
      expect(error.code).toBe('UPDATE_FEED_INVALID');
      expect(error.message).toMatch(/outside the feed/);
    }
  });

  it('refuses a signed feed that is not the generic provider format', async () => {
    serve({ version: '0.2.0', yml: 'version: banana\nfiles: []\n' });
    const error = await refusal(check());
    expect(error.code).toBe('UPDATE_FEED_INVALID');
    expect(error.message).toContain('version must look like 1.2.3');
  });

  it("picks the file of the installer's kind when the channel file lists several (AppImage and deb share latest-linux.yml)", async () => {
    const hash = sha512(installer);
    // electron-builder merges the deb and the AppImage of one Linux build into latest-linux.yml, in either order.
    const yml = [
      'version: 0.2.0',
      'files:',
      `  - url: minerva_0.2.0_amd64.deb\n    sha512: ${hash}\n    size: ${installer.length}`,
      `  - url: Minerva-0.2.0-x86_64.AppImage\n    sha512: ${hash}\n    size: ${installer.length}`,
      '',
    ].join('\n');
    serve({ version: '0.2.0', yml });
    const appImage = await fetchUpdateInfo({ feedUrl, publicKey: key(), platform: 'linux', fileExtension: 'AppImage' });
    expect(appImage.file.name).toBe('Minerva-0.2.0-x86_64.AppImage');
    // Without an installer (shown only) the first file is named, as before.
    expect((await check()).file.name).toBe('minerva_0.2.0_amd64.deb');
    const error = await refusal(fetchUpdateInfo({ feedUrl, publicKey: key(), platform: 'linux', fileExtension: 'exe' }));
    expect(error.code).toBe('UPDATE_FEED_INVALID');
    expect(error.message).toMatch(/lists no \.exe file for this installation/);
  });

  it('says the feed cannot be reached when nothing listens', async () => {
    const error = await refusal(fetchUpdateInfo({ feedUrl: 'http://127.0.0.1:1/feed/', publicKey: key(), platform: 'linux' }));
    expect(error.code).toBe('NETWORK_ERROR');
  });

  it('refuses a release key that is not an Ed25519 public key', () => {
    expect(() => releaseKeyFrom('c2hvcnQ=')).toThrow(/not a valid Ed25519 public key/);
  });
});

describe('version order', () => {
  it('orders releases and pre-releases as semver does', () => {
    const sorted = ['1.0.0', '0.1.0', '1.0.0-beta.2', '1.0.0-alpha', '1.0.0-beta.11', '0.10.0', '0.9.1'].sort(compareVersions);
    expect(sorted).toEqual(['0.1.0', '0.9.1', '0.10.0', '1.0.0-alpha', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0']);
    expect(compareVersions('1.2.3+build.5', '1.2.3')).toBe(0);
  });
});
