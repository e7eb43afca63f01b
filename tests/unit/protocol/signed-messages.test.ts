import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { checkpointCanonical, publicKeyFromHotkey, signCheckpoint, verifyCheckpoint, withinBlockWindow } from '@shared/protocol/checkpoint-message';
import { pairFromSeed, pairFromSuri, ss58Decode, walletFromSeed } from '@shared/protocol/identities';
import { actionCanonical, eoaJoinProof, signAction, verifyAction, verifyEoaJoinProof, type ActionTarget } from '@shared/protocol/miner-action';
import { MemoryReplayStore } from '@shared/protocol/replay-store';
import { certPub, decidingMechanism, pinnedMatches, signSmp, smpContainerFromMetadata, smpMetadata, spkiFromCertificate, verifySmp } from '@shared/protocol/smp';
import { toBase58 } from '@shared/protocol/encoding';

const fixtures = join(__dirname, '..', '..', 'fixtures');
const seed = new Uint8Array(32).fill(9);

describe('checkpoint messages (§3)', () => {
  const fields = { expert_group: 3, checkpoint_url: 'https://cdn.example/ckpt.bin', block_number: 1000 };
  for (const scheme of ['ed25519', 'sr25519'] as const) {
    it(`${scheme}: canonical bytes, padded b64url signature, verification`, () => {
      const signer = pairFromSeed(seed, scheme);
      const msg = signCheckpoint(signer, fields, { scheme, padded: true });
      expect(Object.keys(msg)).toEqual(['hotkey', 'expert_group', 'checkpoint_url', 'block_number', 'signature']);
      expect(Buffer.from(checkpointCanonical(msg.hotkey, 3, fields.checkpoint_url, 1000)).toString()).toBe(`${signer.address}:3:https://cdn.example/ckpt.bin:1000`);
      expect(msg.signature).toMatch(/^[A-Za-z0-9_-]{86}==$/);
      const opts = { profile: { scheme, padded: true }, publicKeyOf: publicKeyFromHotkey, currentBlock: 1005 };
      expect(verifyCheckpoint(msg, opts)).toEqual({ valid: true });
      const unpadded = signCheckpoint(signer, fields, { scheme, padded: false });
      expect(unpadded.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
      expect(verifyCheckpoint(unpadded, { ...opts, profile: { scheme, padded: false } }).valid).toBe(true);
      expect(verifyCheckpoint(unpadded, opts)).toMatchObject({ valid: false, reason: 'SIGNATURE_INVALID' });
    });
  }
  it('ed25519 signature checks out with node:crypto too', () => {
    const signer = pairFromSeed(seed, 'ed25519');
    const msg = signCheckpoint(signer, fields);
    const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(signer.publicKey)]);
    expect(nodeVerify(null, checkpointCanonical(msg.hotkey, 3, fields.checkpoint_url, 1000), createPublicKey({ key: der, format: 'der', type: 'spki' }), Buffer.from(msg.signature, 'base64url'))).toBe(true);
  });
  it('checks 1–3 each fail alone, in order', () => {
    const signer = pairFromSeed(seed, 'ed25519');
    const msg = signCheckpoint(signer, fields);
    const registered = (h: string) => (h === signer.address ? signer.publicKey : undefined);
    expect(verifyCheckpoint(msg, { publicKeyOf: () => undefined, currentBlock: 1000 })).toMatchObject({ reason: 'UNKNOWN_HOTKEY' });
    expect(verifyCheckpoint(msg, { publicKeyOf: registered, currentBlock: 1011 })).toMatchObject({ reason: 'BLOCK_WINDOW', code: 'BLOCK_WINDOW' });
    expect(verifyCheckpoint(msg, { publicKeyOf: registered, currentBlock: 989 })).toMatchObject({ reason: 'BLOCK_WINDOW' });
    expect(verifyCheckpoint({ ...msg, block_number: 1001 }, { publicKeyOf: registered, currentBlock: 1000 })).toMatchObject({ reason: 'SIGNATURE_INVALID' });
    expect(verifyCheckpoint(msg, { publicKeyOf: () => pairFromSeed(new Uint8Array(32), 'ed25519').publicKey, currentBlock: 1000 })).toMatchObject({ reason: 'SIGNATURE_INVALID' });
    expect(verifyCheckpoint({ ...msg, extra: 1 }, { publicKeyOf: registered })).toMatchObject({ reason: 'MALFORMED' });
    // The key comes from the chain, never the message: a message naming another hotkey fails check 1.
    const other = signCheckpoint(pairFromSeed(new Uint8Array(32).fill(1), 'ed25519'), fields);
    expect(verifyCheckpoint(other, { publicKeyOf: registered })).toMatchObject({ reason: 'UNKNOWN_HOTKEY' });
  });
  it('block window is a pure |current − block| ≤ window', () => {
    expect(withinBlockWindow(100, 90)).toBe(true);
    expect(withinBlockWindow(100, 89)).toBe(false);
    expect(withinBlockWindow(100, 110)).toBe(true);
    expect(withinBlockWindow(100, 111)).toBe(false);
    expect(withinBlockWindow(100, 103, 2)).toBe(false);
  });
});

describe('signed miner actions (§4)', () => {
  const alice = pairFromSuri('bottom drive obey lake curtain smoke basket hold race lonely fit walk//Alice', 'sr25519');
  const target: ActionTarget = { netuid: 7, slug: 'text-gen', method: 'POST', path: '/v1/join?x=1', body: Buffer.from('{"a":1}') };
  const now = 1_800_000_000;
  const nonce = 'a'.repeat(32);
  it('canonical bytes with default and configured prefix', () => {
    const body = createHash('sha256').update(target.body!).digest('hex');
    expect(Buffer.from(actionCanonical(target, alice.address, nonce, String(now))).toString()).toBe(`platform-upload-v1:7:text-gen:POST:/v1/join:${alice.address}:${nonce}:${now}:${body}`);
    expect(Buffer.from(actionCanonical({ ...target, prefix: 'base-upload-v1:' }, alice.address, nonce, String(now))).toString().startsWith('base-upload-v1:7:')).toBe(true);
  });
  it('a precomputed body hash gives the same bytes, and must agree with a body when both are given', () => {
    const hash = createHash('sha256').update(target.body!).digest('hex');
    const { body: _body, ...streamed } = target;
    expect(actionCanonical({ ...streamed, bodySha256Hex: hash }, alice.address, nonce, String(now))).toEqual(actionCanonical(target, alice.address, nonce, String(now)));
    expect(() => actionCanonical({ ...target, bodySha256Hex: '0'.repeat(64) }, alice.address, nonce, String(now))).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => actionCanonical({ ...streamed, bodySha256Hex: hash.toUpperCase() }, alice.address, nonce, String(now))).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    const h = signAction(alice, { ...streamed, bodySha256Hex: hash }, { timestamp: String(now) });
    expect(verifyAction(h, target, { nowSeconds: now })).toBe(alice.address);
  });
  it('signs, verifies, and accepts the <Bytes>-wrapped form', () => {
    const h = signAction(alice, target, { timestamp: String(now) });
    expect(h['X-Signature']).toMatch(/^0x[0-9a-f]{128}$/);
    expect(h['X-Nonce']).toMatch(/^[0-9a-f]{32}$/);
    expect(verifyAction(h, target, { nowSeconds: now })).toBe(alice.address);
    const wrapped = alice.sign(Buffer.concat([Buffer.from('<Bytes>'), actionCanonical(target, alice.address, nonce, String(now)), Buffer.from('</Bytes>')]));
    const hw = { 'X-Hotkey': alice.address, 'X-Signature': `0x${Buffer.from(wrapped).toString('hex')}`, 'X-Nonce': nonce, 'X-Timestamp': String(now) };
    expect(verifyAction(hw, target, { nowSeconds: now })).toBe(alice.address);
  });
  it('each receiver check fails alone with its own error', () => {
    const h = signAction(alice, target, { timestamp: String(now) });
    const store = new MemoryReplayStore();
    const run = (headers: Record<string, string>, o: Partial<Parameters<typeof verifyAction>[2]> = {}, t = target) => {
      try {
        verifyAction(headers, t, { nowSeconds: now, ...o });
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        return (e as AppError).code;
      }
    };
    expect(run(h, { publicKeyOf: () => undefined })).toBe('UNAUTHENTICATED');
    expect(run(h, { nowSeconds: now + 301 })).toBe('STALE_TIMESTAMP');
    expect(run(h, {}, { ...target, netuid: 8 })).toBe('SIGNATURE_INVALID');
    expect(run(h, {}, { ...target, slug: 'other' })).toBe('SIGNATURE_INVALID');
    expect(run(h, {}, { ...target, prefix: 'base-upload-v1' })).toBe('SIGNATURE_INVALID');
    expect(run({ ...h, 'X-Signature': h['X-Signature'].slice(0, -2) })).toBe('SIGNATURE_INVALID');
    expect(run(h, { replayStore: store })).toBe('ok');
    expect(run(h, { replayStore: store, nowSeconds: now + 200 })).toBe('NONCE_REPLAYED');
    const big = { ...target, body: Buffer.alloc(7_500_001) };
    expect(run(signAction(alice, big, { timestamp: String(now) }), {}, big)).toBe('TOO_LARGE');
  });
});

describe('EOA join proof (§2.9)', () => {
  const pk = new Uint8Array(32).fill(12);
  const hotkey = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
  it('binds the competition and the hotkey', () => {
    const proof = eoaJoinProof(pk, 'pi-1', hotkey);
    expect(verifyEoaJoinProof(proof, 'pi-1', hotkey)).toBe(proof.eoa.toLowerCase());
    expect(() => verifyEoaJoinProof(proof, 'pi-2', hotkey)).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    expect(() => verifyEoaJoinProof(proof, 'pi-1', '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty')).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    expect(() => verifyEoaJoinProof({ ...proof, eoa: `0x${'1'.repeat(40)}` }, 'pi-1', hotkey)).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    expect(() => verifyEoaJoinProof({ eoa: 'x' }, 'pi-1', hotkey)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});

describe('Secure Model Protocol (§5)', () => {
  const runnerPem = readFileSync(join(fixtures, 'smp', 'runner.pem'), 'utf8');
  const coordPem = readFileSync(join(fixtures, 'smp', 'coordinator.pem'), 'utf8');
  const walletSeed = new Uint8Array(32).fill(5);
  const wallet = walletFromSeed(walletSeed);
  const hotkey = toBase58(walletFromSeed(new Uint8Array(32).fill(6)).publicKey);
  const runnerExpect = { role: 'runner' as const, expectedWallet: wallet.publicKey, peerCert: runnerPem, expectedHotkey: hotkey, expectedModelId: 'demo' };

  it('signs a runner message that verifies with node:crypto ed25519', () => {
    const { message, container } = signSmp(walletSeed, { cert_pub: certPub(runnerPem), hotkey, model_id: 'demo' });
    expect(message).toBe(`{"cert_pub": "${certPub(runnerPem)}", "hotkey": "${hotkey}", "model_id": "demo"}`);
    expect(container.wallet_pubkey_b58).toBe(wallet.address);
    const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(wallet.publicKey)]);
    expect(nodeVerify(null, Buffer.from(container.message_b64, 'base64'), createPublicKey({ key: der, format: 'der', type: 'spki' }), Buffer.from(container.signature_b64, 'base64'))).toBe(true);
    expect(verifySmp(container, runnerExpect)).toMatchObject({ valid: true });
  });

  it('each runner check (1–6) fails alone, by number and name', () => {
    const sign = (f: Record<string, string>) => signSmp(walletSeed, f as never).container;
    const good = sign({ cert_pub: certPub(runnerPem), hotkey, model_id: 'demo' });
    const other = walletFromSeed(new Uint8Array(32).fill(7));
    expect(verifySmp({ ...good, wallet_pubkey_b58: other.address }, runnerExpect)).toMatchObject({ valid: false, number: 1, check: 'wallet' });
    expect(verifySmp(good, { ...runnerExpect, expectedWallet: other.publicKey })).toMatchObject({ number: 1, check: 'wallet' });
    const sig = Buffer.from(good.signature_b64, 'base64');
    sig[10]! ^= 1;
    expect(verifySmp({ ...good, signature_b64: sig.toString('base64') }, runnerExpect)).toMatchObject({ number: 2, check: 'signature' });
    // A container presenting the right wallet but signed by another key fails check 2: the chain's key verifies.
    const forged = signSmp(other.seed, { cert_pub: certPub(runnerPem), hotkey, model_id: 'demo' }).container;
    expect(verifySmp({ ...forged, wallet_pubkey_b58: wallet.address }, runnerExpect)).toMatchObject({ number: 2 });
    expect(verifySmp(sign({ cert_pub: certPub(runnerPem), hotkey }), runnerExpect)).toMatchObject({ number: 3, check: 'keys' });
    expect(verifySmp(good, { ...runnerExpect, peerCert: coordPem })).toMatchObject({ number: 4, check: 'cert_pub' });
    expect(verifySmp(good, { ...runnerExpect, expectedHotkey: 'x' })).toMatchObject({ number: 5, check: 'hotkey' });
    expect(verifySmp(good, { ...runnerExpect, expectedModelId: 'other' })).toMatchObject({ number: 6, check: 'model_id', reason: '6:model_id' });
  });

  it('coordinator messages: exactly cert_pub and hotkey (model_id fails check 3)', () => {
    const expectCoord = { role: 'coordinator' as const, expectedWallet: wallet.publicKey, peerCert: coordPem, expectedHotkey: hotkey };
    const good = signSmp(walletSeed, { cert_pub: certPub(coordPem), hotkey }).container;
    expect(verifySmp(good, expectCoord).valid).toBe(true);
    const withModel = signSmp(walletSeed, { cert_pub: certPub(coordPem), hotkey, model_id: 'demo' }).container;
    expect(verifySmp(withModel, expectCoord)).toMatchObject({ number: 3, check: 'keys' });
  });

  it('metadata form: one value per key, all or nothing', () => {
    const { container } = signSmp(walletSeed, { cert_pub: certPub(runnerPem), hotkey, model_id: 'demo' });
    const md = smpMetadata(container, 'runner');
    expect(Object.keys(md)).toEqual(['x-server-auth-message', 'x-server-auth-signature', 'x-server-wallet-pubkey']);
    const get = (m: Record<string, string[]>) => (k: string) => m[k] ?? [];
    expect(smpContainerFromMetadata(get(Object.fromEntries(Object.entries(md).map(([k, v]) => [k, [v]]))), 'runner')).toEqual(container);
    expect(smpContainerFromMetadata(get({}), 'runner')).toBeUndefined();
    expect(() => smpContainerFromMetadata(get({ 'x-server-auth-message': ['a', 'b'] }), 'runner')).toThrow(AppError);
    const nonCanonical = { ...container, signature_b64: container.signature_b64.replace(/==$/, '') };
    expect(verifySmp(nonCanonical, runnerExpect)).toMatchObject({ number: 2 });
  });

  it('pinned policy: SPKI hash in one of two slots, zeros never match', () => {
    const spki = spkiFromCertificate(coordPem);
    const hash = createHash('sha256').update(spki).digest('hex');
    expect(pinnedMatches(spki, ['0'.repeat(64), hash])).toBe(true);
    expect(pinnedMatches(spki, [hash.toUpperCase(), '0'.repeat(64)])).toBe(true);
    expect(pinnedMatches(spki, ['0'.repeat(64), '0'.repeat(64)])).toBe(false);
    expect(decidingMechanism('either', true)).toBe('v1');
    expect(decidingMechanism('either', false)).toBe('pinned');
    expect(decidingMechanism('pinned', true)).toBe('pinned');
  });

  it('ss58 round trip', () => {
    expect(ss58Decode('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY')).toHaveLength(32);
    expect(() => ss58Decode('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ')).toThrow(AppError);
  });
});
