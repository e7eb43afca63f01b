import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { assertPublishable } from '@core/checkpoints/publishable';
import { isAppError } from '@shared/contract/errors';

/** Real files on disk: what a checkpoint publish must refuse, and what it must let through. */
let root: string;
let dataDir: string;
let work: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'minerva-publishable-'));
  dataDir = join(root, 'data');
  work = join(root, 'work');
  mkdirSync(join(dataDir, 'uploads'), { recursive: true });
  mkdirSync(join(dataDir, 'checkpoints'), { recursive: true });
  mkdirSync(work);
  writeFileSync(join(dataDir, 'vault.json'), JSON.stringify({ format: 'minerva-vault', version: 1, kdf: {} }));
  writeFileSync(join(dataDir, 'minerva.db'), randomBytes(4096));
  writeFileSync(join(dataDir, 'uploads', 'dropped.ckpt'), randomBytes(4096));
  writeFileSync(join(dataDir, 'checkpoints', 'demo.ckpt'), randomBytes(4096));
  writeFileSync(join(work, 'model.ckpt'), randomBytes(200_000));
  writeFileSync(join(work, 'model.safetensors'), Buffer.concat([Buffer.from('{"__metadata__":{"format":"pt"}}'), randomBytes(1000)]));
  writeFileSync(join(work, 'key.pem'), String(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })));
  writeFileSync(join(work, 'phrase.txt'), `${generateMnemonic(wordlist, 128)}\n`);
  writeFileSync(join(work, 'polkadot.json'), JSON.stringify({ encoded: 'abc', encoding: { content: ['pkcs8', 'sr25519'] }, address: '5F' }));
  writeFileSync(join(work, 'btkey'), JSON.stringify({ accountId: '0x', publicKey: '0x', secretPhrase: 'x', secretSeed: '0x', ss58Address: '5F' }));
  writeFileSync(join(work, 'seed.hex'), `0x${randomBytes(32).toString('hex')}`);
  symlinkSync(join(dataDir, 'vault.json'), join(work, 'innocent.ckpt'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function refusal(path: string): Promise<string> {
  try {
    await assertPublishable(path, dataDir);
  } catch (error) {
    if (isAppError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('what a checkpoint publish refuses', () => {
  it('Minerva’s data folder (vault, database), also through a symlink', async () => {
    expect(await refusal(join(dataDir, 'vault.json'))).toMatch(/^FORBIDDEN: .*data folder/);
    expect(await refusal(join(dataDir, 'minerva.db'))).toMatch(/^FORBIDDEN: .*data folder/);
    expect(await refusal(join(work, 'innocent.ckpt'))).toMatch(/^FORBIDDEN: .*data folder/);
  });
  it('/proc, /sys, /dev and what is not a regular file', async () => {
    expect(await refusal('/proc/self/environ')).toMatch(/^FORBIDDEN: .*system file/);
    expect(await refusal('/dev/zero')).toMatch(/^FORBIDDEN: .*system file/);
    expect(await refusal(work)).toMatch(/^FORBIDDEN: .*not a regular file/);
  });
  it('key material anywhere: PEM key, recovery phrase, polkadot-js and Bittensor key files, a raw seed', async () => {
    expect(await refusal(join(work, 'key.pem'))).toMatch(/PEM private key/);
    expect(await refusal(join(work, 'phrase.txt'))).toMatch(/recovery phrase/);
    expect(await refusal(join(work, 'polkadot.json'))).toMatch(/polkadot-js/);
    expect(await refusal(join(work, 'btkey'))).toMatch(/Bittensor/);
    expect(await refusal(join(work, 'seed.hex'))).toMatch(/private key or seed/);
  });
  it('a relative path, and a missing file, in words', async () => {
    expect(await refusal('model.ckpt')).toMatch(/^FORBIDDEN: .*full path/);
    expect(await refusal(join(work, 'nope.ckpt'))).toMatch(/^NOT_FOUND/);
  });
  it('lets real checkpoints through, Minerva’s own upload and demo folders included', async () => {
    for (const p of [join(work, 'model.ckpt'), join(work, 'model.safetensors'), join(dataDir, 'uploads', 'dropped.ckpt'), join(dataDir, 'checkpoints', 'demo.ckpt')]) expect(await refusal(p)).toBe('accepted');
  });
});
