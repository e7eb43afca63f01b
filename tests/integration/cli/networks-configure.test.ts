import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { NetworksView } from '@shared/contract/networks';
import { startChopsticks, type ChopsticksChain } from '../../helpers/chopsticks';
import { startPlatformReceiver, type PlatformReceiver } from '../../helpers/platform-receiver';
import { runCli, startServe, tempDataDir, type CliRun, type ServeHandle } from '../../helpers/serve-process';

/**
 * `minerva networks configure <id> --platform-hub URL --platform-netuid N | --no-platform` (issue
 * 14): the real CLI, spawned, talking to a real `minerva serve` (its control socket) that holds a
 * Bittensor profile of the real subtensor runtime (spec 218, chopsticks on loopback). Wrong values
 * and combinations are usage errors in words (exit 2) and change nothing; a hub that is set puts
 * its active challenges in `minerva competitions` (a hub written from the public Platform code:
 * tests/helpers/platform-receiver.ts); one flag alone changes that half; `--no-platform` clears it.
 */
let chain: ChopsticksChain;
let rx: PlatformReceiver;
let serve: ServeHandle | undefined;
let dataDir: string;

beforeAll(async () => {
  chain = await startChopsticks();
  rx = await startPlatformReceiver(chain.url, 1);
  dataDir = tempDataDir('minerva-cli-configure-');
  serve = await startServe({ dataDir, args: ['--demo-ms', '0'] });
}, 180_000);

afterAll(async () => {
  await serve?.stop();
  await rx?.close();
  await chain?.stop();
});

/** The CLI as a child process, asynchronously: the Platform hub runs in this process and must answer the app meanwhile. */
function minerva(args: string[]): Promise<CliRun> {
  return runCli([...args, '--data-dir', dataDir]);
}

async function ok<T>(args: string[]): Promise<T> {
  const res = await minerva([...args, '--json']);
  expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
  expect(res.stderr).toBe('');
  return JSON.parse(res.stdout) as T;
}

async function platformOf(id: string): Promise<unknown> {
  return (await ok<NetworksView>(['networks'])).profiles.find((p) => p.id === id)?.settings?.platform;
}

describe('minerva networks configure: the Platform hub', () => {
  let id = '';

  it('adds the Bittensor network through the running app', async () => {
    const before = await ok<NetworksView>(['networks']);
    const added = await ok<NetworksView>(['networks', 'add', '--kind', 'bittensor', '--endpoint', chain.url, '--name', 'Local subtensor']);
    id = added.profiles.find((p) => !before.profiles.some((b) => b.id === p.id))?.id ?? '';
    expect(id).toMatch(/^net-[0-9a-f]{8}$/);
    expect((await minerva(['networks'])).stdout).toMatch(/from the running app: process \d+/);
    expect(await platformOf(id)).toBeNull();
  });

  it('refuses wrong addresses, subnets and combinations as usage errors in words, and changes nothing', async () => {
    const insecure = await minerva(['networks', 'configure', id, '--platform-hub', 'http://hub.example.com', '--platform-netuid', '1']);
    expect(insecure.code).toBe(2);
    expect(insecure.stdout).toBe('');
    expect(insecure.stderr).toContain("option '--platform-hub <url>' argument 'http://hub.example.com' is invalid. use an https:// address (http:// only for 127.0.0.1 or localhost), without user, query or fragment.");

    const withUser = await minerva(['networks', 'configure', id, '--platform-hub', 'https://me:pw@hub.example.com', '--platform-netuid', '1']);
    expect(withUser.code).toBe(2);
    expect(withUser.stderr).toContain('without user, query or fragment');

    const zero = await minerva(['networks', 'configure', id, '--platform-hub', rx.url, '--platform-netuid', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("option '--platform-netuid <n>' argument '0' is invalid. a whole number from 1 to 65535.");

    // One half of a hub this network does not have yet.
    const half = await minerva(['networks', 'configure', id, '--platform-netuid', '1', '--json']);
    expect(half.code).toBe(2);
    expect(half.stdout).toBe('');
    expect(JSON.parse(half.stderr)).toEqual({ error: { code: 'VALIDATION', message: 'A Platform hub needs both --platform-hub and --platform-netuid (this network has none yet).' } });

    const both = await minerva(['networks', 'configure', id, '--no-platform', '--platform-hub', rx.url]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('minerva: --no-platform removes the Platform hub: give it alone');

    const connito = await minerva(['networks', 'configure', id, '--no-connito', '--connito-netuid', '1']);
    expect(connito.code).toBe(2);
    expect(connito.stderr).toContain('minerva: --no-connito removes the Connito competition: give it alone');

    expect(await platformOf(id)).toBeNull();
  });

  it('sets the hub: its active challenges are in `minerva competitions` once the network is selected', async () => {
    const set = await minerva(['networks', 'configure', id, '--platform-hub', rx.url, '--platform-netuid', '1']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`Platform hub: ${rx.url} on subnet 1; its active challenges are in \`minerva competitions\` while this network is selected (joining needs a UID on subnet 1).`);
    expect(set.stdout).toContain('Signed miner actions use the prefix base-upload-v1.');
    expect(await platformOf(id)).toEqual({ hubUrl: rx.url, netuid: 1 });

    expect((await minerva(['networks', 'select', id])).code).toBe(0);
    const listed = await ok<CompetitionsView>(['competitions', '--refresh']);
    expect(listed.error).toBeNull();
    expect(listed.competitions.map((c) => [c.id, c.kind, c.title])).toEqual([['platform-sn1-demo-challenge', 'challenge', 'Demo challenge']]);
    expect((await minerva(['competitions'])).stdout).toMatch(/platform-sn1-demo-challenge\s+challenge\s+Demo challenge/);
  });

  it('one flag alone changes that half of the hub; --no-platform removes it', async () => {
    const moved = await ok<NetworksView>(['networks', 'configure', id, '--platform-netuid', '7']);
    expect(moved.profiles.find((p) => p.id === id)?.settings).toEqual({ actionPrefix: 'base-upload-v1', connito: null, platform: { hubUrl: rx.url, netuid: 7 } });
    // The catalogue follows the settings at once (core drops its cached list).
    expect((await ok<CompetitionsView>(['competitions'])).competitions.map((c) => c.id)).toEqual(['platform-sn7-demo-challenge']);

    const cleared = await minerva(['networks', 'configure', id, '--no-platform']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toContain('No Platform hub on this network.');
    expect(await platformOf(id)).toBeNull();
    expect((await ok<CompetitionsView>(['competitions'])).competitions).toEqual([]);
  });

  it('says so for the practice network and for a network that is not in the list', async () => {
    const practice = await minerva(['networks', 'configure', 'practice', '--platform-hub', rx.url, '--platform-netuid', '1', '--json']);
    expect(practice.code).toBe(1);
    const notBittensor = (JSON.parse(practice.stderr) as { error: { code: string; message: string } }).error;
    expect(notBittensor.code).toBe('UNSUPPORTED');
    expect(notBittensor.message).toContain('is not a Bittensor network; only Bittensor networks have these settings');
    const unknown = await minerva(['networks', 'configure', 'net-00000000', '--no-platform', '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr)).toEqual({ error: { code: 'NOT_FOUND', message: 'That network is not in your list.' } });
    const half = await minerva(['networks', 'configure', 'net-00000000', '--platform-netuid', '3', '--json']);
    expect(half.code).toBe(1);
    expect(JSON.parse(half.stderr)).toEqual({ error: { code: 'NOT_FOUND', message: 'That network is not in your list (`minerva networks` lists them).' } });
  });
});
