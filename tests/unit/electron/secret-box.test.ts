import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeMiningKeys, encodeMiningKeys } from '@core/vault/mining-keys';
import { secretBoxFrom, type SafeStorageLike } from '../../../src-main/electron/secret-box';

/** safeStorage's contract (a string in, opaque bytes out, the same user opens them) with AES-GCM. */
function storage(available = true, key = randomBytes(32)): SafeStorageLike {
  return {
    isEncryptionAvailable: () => available,
    encryptString(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decryptString(sealed) {
      const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      d.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([d.update(sealed.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

describe('the desktop secret box over safeStorage', () => {
  it('round-trips the mining keys file and refuses another keychain', () => {
    const box = secretBoxFrom(storage());
    const pair = { scheme: 'sr25519' as const, publicKey: new Uint8Array(32).fill(7), secretKey: new Uint8Array(64).fill(9) };
    const text = encodeMiningKeys({ pairs: new Map([['hotkey', pair]]), identities: [] }, new Date(0), box);
    expect(text).not.toContain(Buffer.from(pair.secretKey).toString('hex'));
    expect(decodeMiningKeys(text, box).pairs.get('hotkey')?.secretKey).toEqual(pair.secretKey);
    expect(() => decodeMiningKeys(text, secretBoxFrom(storage()))).toThrow(/could not open/u);
    expect(secretBoxFrom(storage(false)).available()).toBe(false);
  });
});
