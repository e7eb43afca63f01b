/**
 * The runner's check of a coordinator call (PROTOCOLS §5, "Coordinator → runner"). Pure: the
 * chain facts, the peer certificate of this mTLS connection and the request metadata go in; the
 * verdict comes out with the check that failed, by name. Nothing here logs or returns key material.
 */
import { createHash } from 'node:crypto';
import type { RunnerAuthPolicy, RunnerRefusalReason } from '@shared/contract/runner';
import { decidingMechanism, SMP_METADATA_KEYS, smpContainerFromMetadata, spkiFromCertificate, verifySmp, walletKeyFromB58, type SmpCheck, type SmpContainer } from '@shared/protocol/smp';

/** The coordinator as the chain says now (`chain_getCoordinator`). */
export interface CoordinatorFacts {
  walletB58: string;
  hotkey: string;
  /** `[primary, secondary]`, 64 zeros = an empty slot. */
  certHashes: readonly [string, string];
}

export type AuthVerdict = { ok: true; mechanism: 'v1' | 'pinned' } | { ok: false; reason: RunnerRefusalReason; detail: string };

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
