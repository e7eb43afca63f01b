import { describe, expect, it } from 'vitest';
import { to0xHex } from '@shared/protocol/encoding';
import { pairFromSuri } from '@shared/protocol/identities';
import { actionCanonical, actionNonce, verifyAction } from '@shared/protocol/miner-action';

/** §4 actions signed by an ed25519 hotkey (checkpoint competitions, PROTOCOLS §3) verify only as ed25519. */
describe('signed miner actions with an ed25519 hotkey', () => {
  const pair = pairFromSuri('//CheckpointSigner', 'ed25519');
  const target = { netuid: 3, slug: 'practice-checkpoint', method: 'POST', path: '/v1/competitions/practice-checkpoint/join', body: new TextEncoder().encode('{}') };
  const now = 1_800_000_000;
  const nonce = actionNonce();
  const headers = {
    'X-Hotkey': pair.address,
    'X-Signature': to0xHex(pair.sign(actionCanonical(target, pair.address, nonce, String(now)))),
    'X-Nonce': nonce,
    'X-Timestamp': String(now),
  };

  it('verifies with scheme ed25519 and the registered key', () => {
    expect(verifyAction(headers, target, { nowSeconds: now, scheme: 'ed25519', publicKeyOf: () => pair.publicKey })).toBe(pair.address);
  });

  it('is refused as sr25519 (the default)', () => {
    expect(() => verifyAction(headers, target, { nowSeconds: now, publicKeyOf: () => pair.publicKey })).toThrow(/does not verify/);
  });
});
