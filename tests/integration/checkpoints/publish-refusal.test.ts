import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import { tempDir } from '../../unit/vault/helpers';

/**
 * The red-team finding of issue 19: `checkpoints.submitFile` published any readable file. Through
 * the real router of a real core, the wallet file, the process environment, a device, a folder and a
 * named pipe are refused in words before anything is hashed, committed or published.
 */
const KDF = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 } as const;
let data: ReturnType<typeof tempDir>;
let home: ReturnType<typeof tempDir>;
let core: Core;

/** A FIFO outside the data folder (opening it for reading would block forever: it must be refused from its stat). */
function fifo(): string {
  const path = join(home.path, 'checkpoint.fifo');
  if (!existsSync(path)) execFileSync('mkfifo', [path]);
  return path;
}

beforeAll(async () => {
  data = tempDir('publish-refusal-data');
  home = tempDir('publish-refusal-home');
  // No practice network: the refusal comes before any network is needed.
  core = createCore({ dataDir: data.path, host: 'headless', version: 'test', logConsole: false, homeDir: home.path });
  (core.vault.service as unknown as { kdf: unknown }).kdf = KDF;
  const created = await core.router.call('vault.create', { password: 'orbit-lantern-walnut-cascade', words: 12 }, { transport: 'test', clientId: 't' });
  expect(created.ok).toBe(true);
  expect(existsSync(join(data.path, 'vault.json'))).toBe(true);
});
afterAll(async () => {
  await core.close();
  data.cleanup();
  home.cleanup();
});

describe('checkpoints.submitFile refuses private files', () => {
  for (const [what, path, words] of [
    ['the wallet file', () => join(data.path, 'vault.json'), /data folder/],
    ['the process environment', () => '/proc/self/environ', /system file/],
    ['a device', () => '/dev/zero', /system file/],
    // Said as what they are, not "There is no file at …" (issue 19, part 5).
    ['a folder', () => home.path, /is a folder, not a regular file/],
    ['a named pipe', () => fifo(), /is a named pipe \(FIFO\), not a regular file/],
  ] as const) {
    it(what, async () => {
      const reply = await core.router.call('checkpoints.submitFile', { competitionId: 'practice-checkpoint', path: path(), expertGroup: 'default' }, { transport: 'test', clientId: 't' });
      expect(reply.ok).toBe(false);
      if (reply.ok) return;
      expect(reply.error.code).toBe('FORBIDDEN');
      expect(reply.error.message).toMatch(words);
      const list = await core.router.call('checkpoints.list', {}, { transport: 'test', clientId: 't' });
      expect(list.ok && (list.result as { submissions: unknown[] }).submissions).toEqual([]);
    });
  }
});
