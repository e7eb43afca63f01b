/**
 * The router's start-up configuration (PROTOCOLS §2.1, §2.2, §2.7): every refusal names the
 * variable and never its value; the practice network's own seed and token file is 0600.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRouterConfig, parseApiTokens, routerEnvFile, tokenMatches, writePrivateFile, type RouterEnv } from '@devnet/router/router-config';
import { RouterNode } from '@devnet/router/router-server';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'minerva-router-cfg-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SEED = 'ab'.repeat(32);
const TOKENS = 'token-0123456789abcdef';
const ADDR = `0x${'aa'.repeat(20)}`;

function refusal(env: RouterEnv): Error {
  try {
    loadRouterConfig(temp(), env);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the configuration was accepted');
}

describe('router configuration', () => {
  it.each([
    ['a short seed', { ENCRYPTION_SEED: 'ab'.repeat(31) }, 'ENCRYPTION_SEED', 'ab'.repeat(31)],
    ['a seed that is not hex', { ENCRYPTION_SEED: 'zz'.repeat(32) }, 'ENCRYPTION_SEED', 'zz'.repeat(32)],
    ['a bad version name', { ENCRYPTION_KEY_VERSION: 'version2' }, 'ENCRYPTION_KEY_VERSION', 'version2'],
    ['a malformed legacy list', { ENCRYPTION_KEY_VERSION: 'v2', ENCRYPTION_LEGACY_SEEDS: `v1=${'cd'.repeat(32)}` }, 'ENCRYPTION_LEGACY_SEEDS entry 1', 'cd'.repeat(32)],
    ['a duplicate version', { ENCRYPTION_KEY_VERSION: 'v2', ENCRYPTION_LEGACY_SEEDS: `v1:${'cd'.repeat(32)},v2:${'ef'.repeat(32)}` }, 'ENCRYPTION_LEGACY_SEEDS entry 2', 'ef'.repeat(32)],
    ['a short legacy seed', { ENCRYPTION_LEGACY_SEEDS: `v9:${'cd'.repeat(8)}` }, 'ENCRYPTION_LEGACY_SEEDS entry 1', 'cd'.repeat(8)],
    ['an empty allowed-list entry', { ENCRYPTION_ALLOWED_LIST: `${ADDR};;` }, 'ENCRYPTION_ALLOWED_LIST entry 2', 'never-present'],
    ['a malformed allowed-list entry', { ENCRYPTION_ALLOWED_LIST: `${ADDR};101-x:${ADDR}` }, 'ENCRYPTION_ALLOWED_LIST entry 2', 'never-present'],
    ['a short API token', { ROUTER_API_TOKENS: `${TOKENS},short` }, 'ROUTER_API_TOKENS entry 2', 'short'],
  ])('refuses %s, naming the variable and not the value', (_what, env, named, secret) => {
    const error = refusal({ ENCRYPTION_SEED: SEED, ROUTER_API_TOKENS: TOKENS, ...env });
    expect(error.message).toContain(named);
    expect(error.message).not.toContain(secret);
  });

  it('refuses before opening anything when the router is built with a bad variable', () => {
    const dataDir = temp();
    expect(() => new RouterNode({ dataDir, chainUrl: null, env: { ENCRYPTION_SEED: '00', ROUTER_API_TOKENS: TOKENS } })).toThrow(/ENCRYPTION_SEED/);
    expect(existsSync(join(dataDir, 'devnet', 'router', 'router.db'))).toBe(false);
  });

  it('generates the practice seed and token once, mode 0600, and reads them back', () => {
    const dataDir = temp();
    const first = loadRouterConfig(dataDir);
    const file = routerEnvFile(dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.envFile).toBe(file);
    const again = loadRouterConfig(dataDir);
    expect(again.keyring.seeds.get('v1')).toEqual(first.keyring.seeds.get('v1'));
    const token = /ROUTER_API_TOKENS=(\S+)/.exec(readFileSync(file, 'utf8'))![1]!;
    expect(tokenMatches(again.tokenHashes, token)).toBe(true);
    chmodSync(file, 0o644);
    expect(() => loadRouterConfig(dataDir)).toThrow(/readable by others/);
  });

  it('writes the keyring file 0600 through a temp file: a new one never replaces another, a replacement is whole, no temp is left', () => {
    const dir = temp();
    const file = join(dir, 'router.env');
    writePrivateFile(file, 'ENCRYPTION_KEY_VERSION=v1\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => writePrivateFile(file, 'ENCRYPTION_KEY_VERSION=v2\n')).toThrow(expect.objectContaining({ code: 'EEXIST' }) as Error);
    expect(readFileSync(file, 'utf8')).toBe('ENCRYPTION_KEY_VERSION=v1\n');
    writePrivateFile(file, 'ENCRYPTION_KEY_VERSION=v2\n', { replace: true });
    expect(readFileSync(file, 'utf8')).toBe('ENCRYPTION_KEY_VERSION=v2\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['router.env']);
  });

  it('compares tokens exactly', () => {
    const hashes = parseApiTokens(`${TOKENS},other-token-0123456789`);
    expect(tokenMatches(hashes, TOKENS)).toBe(true);
    expect(tokenMatches(hashes, 'other-token-0123456789')).toBe(true);
    expect(tokenMatches(hashes, `${TOKENS}x`)).toBe(false);
    expect(tokenMatches(hashes, '')).toBe(false);
  });
});
