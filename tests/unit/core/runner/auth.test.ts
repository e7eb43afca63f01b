/**
 * The runner's check of a coordinator call (PROTOCOLS §5), without a network: each policy, each
 * v1 check by name in §5's order, pinned's empty slots, and that a cached verdict never outlives a
 * change of the chain's facts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { walletFromSeed } from '@shared/protocol/identities';
import { certificateHash, certPub, signSmp, smpMetadata, type SmpContainer } from '@shared/protocol/smp';
import { pemToDer } from '@shared/protocol/x509';
import { authenticateCoordinator, type CoordinatorFacts } from '@core/runner/auth';
import { CertificateAuthority, generateRsaKeyPair, rsa2048Spki } from '@devnet/coordinator/ca';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const seed = new Uint8Array(32).fill(21);
const hotkey = walletFromSeed(new Uint8Array(32).fill(22)).address;
let der: Uint8Array;
let otherPem: string;
let facts: CoordinatorFacts;

const headers = (c: SmpContainer): ((k: string) => string[]) => {
  const md = smpMetadata(c, 'coordinator');
  return (k) => (md[k] === undefined ? [] : [md[k]]);
};
const none = (): string[] => [];

beforeAll(async () => {
  const ca = await CertificateAuthority.open(mkdtempSync(join(tmpdir(), 'minerva-auth-unit-')));
  const issue = async (): Promise<string> => (await ca.issue({ spki: rsa2048Spki(generateRsaKeyPair().publicKeyPem), commonName: 'c', usage: 'client', sanDns: [], daysValid: 1 })).pem;
  const pem = await issue();
  otherPem = await issue();
  der = pemToDer(pem);
  facts = { walletB58: walletFromSeed(seed).address, hotkey, certHashes: [certificateHash(pem), '0'.repeat(64)] };
});

describe('authenticateCoordinator', () => {
  it('v1 accepts the chain’s coordinator; each check fails by its own name', () => {
    const good = signSmp(seed, { cert_pub: certPub(der), hotkey }).container;
    expect(authenticateCoordinator('v1', facts, der, headers(good))).toEqual({ ok: true, mechanism: 'v1' });
    const reason = (c: SmpContainer, f = facts) => {
      const v = authenticateCoordinator('v1', f, der, headers(c));
      return v.ok ? 'ok' : v.reason;
    };
    expect(reason(signSmp(new Uint8Array(32).fill(1), { cert_pub: certPub(der), hotkey }).container)).toBe('v1.wallet_pubkey');
    const sig = Buffer.from(good.signature_b64, 'base64');
    sig[0] = sig[0]! ^ 1;
    expect(reason({ ...good, signature_b64: sig.toString('base64') })).toBe('v1.signature');
    expect(reason(signSmp(seed, { cert_pub: certPub(der), hotkey, model_id: 'x' }).container)).toBe('v1.message_keys');
    expect(reason(signSmp(seed, { cert_pub: certPub(otherPem), hotkey }).container)).toBe('v1.cert_pub');
    expect(reason(signSmp(seed, { cert_pub: certPub(der), hotkey: walletFromSeed(new Uint8Array(32).fill(3)).address }).container)).toBe('v1.hotkey');
    // The same container once the chain names another hotkey: the cached verdict does not apply.
    expect(reason(good, { ...facts, hotkey: walletFromSeed(new Uint8Array(32).fill(4)).address })).toBe('v1.hotkey');
    expect(reason(good)).toBe('ok');
    expect(authenticateCoordinator('v1', null, der, headers(good))).toMatchObject({ ok: false, reason: 'v1.wallet_pubkey' });
    expect(authenticateCoordinator('v1', facts, der, none)).toMatchObject({ ok: false, reason: 'v1.wallet_pubkey' });
  });

  it('pinned matches the primary or secondary hash, never an empty slot, and ignores x-auth-*', () => {
    const forged = signSmp(new Uint8Array(32).fill(1), { cert_pub: 'AAAA', hotkey: 'x' }).container;
    expect(authenticateCoordinator('pinned', facts, der, headers(forged))).toEqual({ ok: true, mechanism: 'pinned' });
    expect(authenticateCoordinator('pinned', { ...facts, certHashes: ['0'.repeat(64), facts.certHashes[0]] }, der, none)).toMatchObject({ ok: true });
    expect(authenticateCoordinator('pinned', { ...facts, certHashes: ['0'.repeat(64), '0'.repeat(64)] }, der, none)).toMatchObject({ ok: false, reason: 'pinned.cert_hash' });
    expect(authenticateCoordinator('pinned', facts, pemToDer(otherPem), none)).toMatchObject({ ok: false, reason: 'pinned.cert_hash' });
  });

  it('either: any x-auth-* header makes v1 decide alone; none, pinned', () => {
    const good = signSmp(seed, { cert_pub: certPub(der), hotkey }).container;
    expect(authenticateCoordinator('either', facts, der, none)).toEqual({ ok: true, mechanism: 'pinned' });
    expect(authenticateCoordinator('either', facts, der, headers(good))).toEqual({ ok: true, mechanism: 'v1' });
    // A pinned certificate does not rescue a bad v1 message, nor a partial set of headers.
    const partial = (k: string) => (k === 'x-auth-message' ? [good.message_b64] : []);
    expect(authenticateCoordinator('either', facts, der, partial)).toMatchObject({ ok: false, reason: 'metadata' });
    const stranger = signSmp(new Uint8Array(32).fill(1), { cert_pub: certPub(der), hotkey }).container;
    expect(authenticateCoordinator('either', facts, der, headers(stranger))).toMatchObject({ ok: false, reason: 'v1.wallet_pubkey' });
    const repeated = (k: string) => (k === 'x-auth-signature' ? [`${good.signature_b64}, ${good.signature_b64}`] : headers(good)(k));
    expect(authenticateCoordinator('either', facts, der, repeated)).toMatchObject({ ok: false, reason: 'metadata' });
  });

  it('no readable client certificate is a handshake refusal', () => {
    expect(authenticateCoordinator('pinned', facts, undefined, none)).toMatchObject({ ok: false, reason: 'handshake' });
    expect(authenticateCoordinator('pinned', facts, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), none)).toMatchObject({ ok: false, reason: 'handshake' });
  });
});
