/**
 * The runner's check of a coordinator call (PROTOCOLS §5, "Coordinator → runner"). Pure: the
 * chain facts, the peer certificate of this mTLS connection and the request metadata go in; the
 * verdict comes out with the check that failed, by name. Nothing here logs or returns key material.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import type { RunnerAuthPolicy, RunnerRefusalReason } from '@shared/contract/runner';
import type { TeeRecord } from '@shared/contract/runtime';
import { fromBase64 } from '@shared/protocol/encoding';
import { decidingMechanism, SMP_METADATA_KEYS, smpContainerFromMetadata, spkiFromCertificate, verifySmp, walletKeyFromB58, type SmpCheck, type SmpContainer } from '@shared/protocol/smp';
import { GATEWAY_MAX_AGE_S, GATEWAY_METADATA_KEYS, parseGatewayPayload } from '@shared/protocol/smp-gateway';

/** The coordinator as the chain says now (`chain_getCoordinator`). */
export interface CoordinatorFacts {
  walletB58: string;
  hotkey: string;
  /** `[primary, secondary]`, 64 zeros = an empty slot. */
  certHashes: readonly [string, string];
}

export type AuthVerdict = { ok: true; mechanism: 'v1' | 'pinned' | 'gateway' } | { ok: false; reason: RunnerRefusalReason; detail: string };

const ZERO_HASH = '0'.repeat(64);

const V1_REASONS: Record<Exclude<SmpCheck, 'model_id'>, RunnerRefusalReason> = {
  wallet: 'v1.wallet_pubkey',
  signature: 'v1.signature',
  keys: 'v1.message_keys',
  cert_pub: 'v1.cert_pub',
  hotkey: 'v1.hotkey',
};

/** The check's number and name as §5 lists it, for the log: `v1 (2) signature`. */
export function describeReason(reason: RunnerRefusalReason): string {
  const numbers: Partial<Record<RunnerRefusalReason, string>> = {
    'v1.wallet_pubkey': 'v1 check 1 (x-auth-wallet-pubkey is the coordinator wallet on chain)',
    'v1.signature': 'v1 check 2 (signature by the coordinator wallet from the chain)',
    'v1.message_keys': 'v1 check 3 (message has exactly cert_pub and hotkey)',
    'v1.cert_pub': 'v1 check 4 (cert_pub is the client certificate of this connection)',
    'v1.hotkey': 'v1 check 5 (hotkey is the coordinator hotkey on chain now)',
    'pinned.cert_hash': 'pinned (sha256 of the client certificate key is a coordinator hash on chain)',
    metadata: 'x-auth-* metadata (each key once, all three together)',
    handshake: 'mTLS handshake (a client certificate from the network CA)',
    'gateway.metadata': 'gateway check 1 (x-gateway-auth-* each once, canonical base64)',
    'gateway.cert_hash': 'gateway check 2 (sha256 of the presented key is a coordinator hash on chain)',
    'gateway.signature': 'gateway check 3 (RSA PKCS#1 v1.5 SHA-256 signature by that key)',
    'gateway.payload': 'gateway check 4 (payload is exactly model_id and an integer timestamp)',
    'gateway.timestamp': `gateway check 5 (timestamp within ${GATEWAY_MAX_AGE_S} s)`,
    'gateway.model_id': 'gateway check 6 (model_id is this runner’s model)',
  };
  return numbers[reason] ?? reason;
}

/**
 * Authenticates one call under `policy`. `facts` null = the chain names no coordinator (every
 * coordinator call fails). `peerCertDer` is the client certificate of this connection.
 */
/**
 * Verdicts of v1 checks by every input they depend on (the container, the chain facts, the peer's
 * key): the same coordinator sends the same container on every call, and ed25519 verification is
 * what a call would otherwise spend most of its time on. Bounded; failures are kept too, so a
 * flood of one forged container costs one verification.
 */
const V1_CACHE_MAX = 512;
const v1Cache = new Map<string, AuthVerdict>();

function remember(key: string, verdict: AuthVerdict): AuthVerdict {
  if (v1Cache.size >= V1_CACHE_MAX) v1Cache.delete(v1Cache.keys().next().value!);
  v1Cache.set(key, verdict);
  return verdict;
}

/** SPKI and its sha256 per certificate object (the server hands the same DER object for a connection). */
const peerKeys = new WeakMap<Uint8Array, { spki: Uint8Array; hash: string } | null>();
function peerKey(der: Uint8Array): { spki: Uint8Array; hash: string } | null {
  let k = peerKeys.get(der);
  if (k === undefined) {
    try {
      const spki = spkiFromCertificate(der);
      k = { spki, hash: createHash('sha256').update(spki).digest('hex') };
    } catch {
      k = null;
    }
    peerKeys.set(der, k);
  }
  return k;
}

export function authenticateCoordinator(policy: RunnerAuthPolicy, facts: CoordinatorFacts | null, peerCertDer: Uint8Array | undefined, get: (key: string) => readonly unknown[]): AuthVerdict {
  if (!peerCertDer) return { ok: false, reason: 'handshake', detail: 'no client certificate on this connection' };
  const peer = peerKey(peerCertDer);
  if (!peer) return { ok: false, reason: 'handshake', detail: 'the client certificate cannot be read' };
  const { spki: peerSpki, hash: peerHash } = peer;
  const keys = SMP_METADATA_KEYS.coordinator;
  const anyHeader = [keys.message, keys.signature, keys.wallet].some((k) => get(k).length > 0);
  const mechanism = decidingMechanism(policy, anyHeader);
  if (mechanism === 'pinned') {
    if (!facts) return { ok: false, reason: 'pinned.cert_hash', detail: 'no coordinator on chain' };
    // §5: one of the two hashes on chain; 64 zeros is an empty slot and never matches.
    const pinned = facts.certHashes.some((h) => typeof h === 'string' && h !== ZERO_HASH && h.toLowerCase() === peerHash);
    return pinned ? { ok: true, mechanism } : { ok: false, reason: 'pinned.cert_hash', detail: `client key hash ${peerHash.slice(0, 16)}… is neither coordinator hash on chain` };
  }
  // HTTP/2 may hand a repeated header over as one value joined by ", " (base64 and base58 hold no comma).
  if ([keys.message, keys.signature, keys.wallet].some((k) => get(k).some((v) => typeof v !== 'string' || v.includes(',')))) {
    return { ok: false, reason: 'metadata', detail: 'an x-auth-* key is repeated or not ASCII' };
  }
  let container: SmpContainer | undefined;
  try {
    container = smpContainerFromMetadata(get, 'coordinator');
  } catch {
    return { ok: false, reason: 'metadata', detail: 'an x-auth-* key is missing, repeated or not ASCII' };
  }
  if (!container) return { ok: false, reason: 'v1.wallet_pubkey', detail: 'no x-auth-* metadata (the policy is v1)' };
  if (!facts) return { ok: false, reason: 'v1.wallet_pubkey', detail: 'no coordinator on chain' };
  const cacheKey = `${container.message_b64}|${container.signature_b64}|${container.wallet_pubkey_b58}|${facts.walletB58}|${facts.hotkey}|${peerHash}`;
  const cached = v1Cache.get(cacheKey);
  if (cached) return cached;
  let wallet: Uint8Array;
  try {
    wallet = walletKeyFromB58(facts.walletB58);
  } catch {
    return { ok: false, reason: 'v1.wallet_pubkey', detail: 'the chain’s coordinator wallet is not a 32-byte key' };
  }
  const verdict = verifySmp(container, { role: 'coordinator', expectedWallet: wallet, peerSpki, expectedHotkey: facts.hotkey });
  if (verdict.valid) return remember(cacheKey, { ok: true, mechanism });
  const check = verdict.check === 'model_id' ? 'keys' : verdict.check;
  return remember(cacheKey, { ok: false, reason: V1_REASONS[check], detail: verdict.message });
}

// ---- gateway mode (a runner behind a TLS-terminating proxy; issue 15) -----------------------------

/**
 * Gateway mode accepts calls without a client certificate, so it is allowed only for a runner whose
 * TEE check (PROTOCOLS §6) passed: the gateway and the runner then run inside one attested VM.
 * Anything else — no record, a failed check — keeps mTLS.
 */
export function gatewayModeAllowed(tee: TeeRecord | null | undefined): { allowed: true } | { allowed: false; why: string } {
  if (!tee) return { allowed: false, why: 'Gateway mode needs a passed TEE check of the computer the runner runs on: give its TDX quote (Runner page, "Connection mode", or minerva runner mode).' };
  if (!tee.ok) {
    const failed = tee.checks.filter((c) => c.outcome === 'failed').map((c) => c.name);
    return { allowed: false, why: `Gateway mode needs a passed TEE check; this one failed (${failed.join(', ') || tee.tcbStatus}). The runner stays in mutual TLS.` };
  }
  return { allowed: true };
}

/** One ASCII value per key (HTTP/2 may join repeats with ", "; base64 holds no comma). */
function single(get: (key: string) => readonly unknown[], key: string): string | null {
  const values = get(key);
  if (values.length !== 1 || typeof values[0] !== 'string' || values[0].includes(',')) return null;
  return values[0];
}

/**
 * A coordinator call in gateway mode, in this order (the public runner's, plus check 6, which
 * its interceptor leaves out): (1) the three `x-gateway-auth-*` values, each once, canonical base64;
 * (2) sha256 of the presented SPKI DER is one of the chain's coordinator hashes (64 zeros never
 * matches); (3) an RSA key, and its PKCS#1 v1.5 / SHA-256 signature over the exact message bytes;
 * (4) the payload is exactly `{model_id, timestamp}` with an integer timestamp; (5) |now −
 * timestamp| ≤ `maxAgeS`; (6) `model_id` is this runner's model. Never throws.
 */
export function authenticateGateway(facts: CoordinatorFacts | null, modelId: string, get: (key: string) => readonly unknown[], nowMs: number, maxAgeS = GATEWAY_MAX_AGE_S): AuthVerdict {
  const k = GATEWAY_METADATA_KEYS;
  const texts = [single(get, k.message), single(get, k.signature), single(get, k.pubkey)];
  if (texts.some((t) => t === null)) return { ok: false, reason: 'gateway.metadata', detail: 'an x-gateway-auth-* key is missing, repeated or not ASCII' };
  let message: Uint8Array;
  let signature: Uint8Array;
  let spki: Uint8Array;
  try {
    message = fromBase64(texts[0], 'x-gateway-auth-message');
    signature = fromBase64(texts[1], 'x-gateway-auth-signature');
    spki = fromBase64(texts[2], 'x-gateway-auth-pubkey');
  } catch {
    return { ok: false, reason: 'gateway.metadata', detail: 'an x-gateway-auth-* value is not canonical base64' };
  }
  if (!facts) return { ok: false, reason: 'gateway.cert_hash', detail: 'no coordinator on chain' };
  const hash = createHash('sha256').update(spki).digest('hex');
  if (!facts.certHashes.some((h) => typeof h === 'string' && h !== ZERO_HASH && h.toLowerCase() === hash)) {
    return { ok: false, reason: 'gateway.cert_hash', detail: `presented key hash ${hash.slice(0, 16)}… is neither coordinator hash on chain` };
  }
  let verified = false;
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    // The public client signs only with RSA keys (gateway_credentials.py), as the chain's certificates are.
    verified = key.asymmetricKeyType === 'rsa' && verifySignature('sha256', message, key, signature);
  } catch {
    verified = false;
  }
  if (!verified) return { ok: false, reason: 'gateway.signature', detail: 'the signature does not verify with the presented RSA key' };
  const payload = parseGatewayPayload(message);
  if (!payload) return { ok: false, reason: 'gateway.payload', detail: 'the payload is not exactly {model_id, timestamp}' };
  const ageS = Math.abs(nowMs / 1000 - payload.timestamp);
  if (!(ageS <= maxAgeS)) return { ok: false, reason: 'gateway.timestamp', detail: `the token is ${Math.round(ageS)} s from this runner's clock (at most ${maxAgeS} s)` };
  if (payload.model_id !== modelId) return { ok: false, reason: 'gateway.model_id', detail: 'the token was made for another model' };
  return { ok: true, mechanism: 'gateway' };
}
