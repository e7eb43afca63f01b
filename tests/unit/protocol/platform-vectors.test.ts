import { Keyring } from '@polkadot/keyring';
import { u8aWrapBytes } from '@polkadot/util';
import { cryptoWaitReady, sr25519Verify } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { to0xHex } from '@shared/protocol/encoding';
import { actionCanonical, verifyAction } from '@shared/protocol/miner-action';

/**
 * §4 against the public Platform code. Its own tests sign nothing (they pass a
 * `signature_verifier` lambda), so the vectors are the canonical text its
 * `canonical_upload_message` builds for fixed inputs, transcribed here:
 * BaseIntelligence/base `src/base/security/miner_auth.py` @ d98db9385af416c4e0be4cd2b2b6f2d9099daf05
 * (`"base-upload-v1:" f"{netuid}:{challenge_slug}:{method.upper()}:{path}:" f"{hotkey}:{nonce}:{timestamp}:{body_hash}"`,
 * body_hash = `sha256(body).hexdigest()`), and the earlier PlatformNetwork/platform
 * `src/platform_network/security/miner_auth.py` @ cf36646bede65bc4023c0dd6b9fc84fd6890101e (the same with
 * `platform-upload-v1:`). Inputs as in its tests (netuid 100, challenge "prism", POST
 * `/v1/challenges/prism/submissions`, body b"zip"), with //Alice, a uuid4-hex nonce and a fixed time.
 */
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const NONCE = '0f8fad5bd9cb469fa16570867728950e';
const ZIP_SHA256 = '4a70fe9aa6436e02c2dea340fbd1e352e4ef2d8ce6ca52ad25d4b95471fc8bf2';
const target = (prefix: string) => ({ prefix, netuid: 100, slug: 'prism', method: 'post', path: '/v1/challenges/prism/submissions', body: new TextEncoder().encode('zip') });

beforeAll(async () => {
  await cryptoWaitReady();
});

describe('signed uploads as the public Platform code builds them', () => {
  it('canonical text byte for byte, both prefixes', () => {
    for (const prefix of ['base-upload-v1', 'platform-upload-v1']) {
      expect(new TextDecoder().decode(actionCanonical(target(prefix), ALICE, NONCE, '1700000000'))).toBe(
        `${prefix}:100:prism:POST:/v1/challenges/prism/submissions:${ALICE}:${NONCE}:1700000000:${ZIP_SHA256}`,
      );
    }
  });

  it('our signature verifies as bt.Keypair.verify does (raw bytes), and a <Bytes>-wrapped one (polkadot-js signRaw) is accepted by our receiver', () => {
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const bytes = actionCanonical(target('base-upload-v1'), ALICE, NONCE, '1700000000');
    expect(sr25519Verify(bytes, alice.sign(bytes), alice.publicKey)).toBe(true);
    const wrapped = alice.sign(u8aWrapBytes(bytes));
    const headers = { 'X-Hotkey': ALICE, 'X-Signature': to0xHex(wrapped), 'X-Nonce': NONCE, 'X-Timestamp': '1700000000' };
    expect(verifyAction(headers, target('base-upload-v1'), { nowSeconds: 1_700_000_100 })).toBe(ALICE);
    // The prefix is in the signed bytes: a practice-prefix signature does not pass a base-upload-v1 check.
    expect(() => verifyAction(headers, target('platform-upload-v1'), { nowSeconds: 1_700_000_100 })).toThrow(/does not verify/);
  });
});
