/**
 * Gateway authentication of coordinator calls (crunchdao/model-runner-client 0.12,
 * `security/gateway_*`; issue 15). A runner behind a TLS-terminating proxy (a Phala-hosted one)
 * sees no client certificate, so the coordinator signs every call instead:
 *   x-gateway-auth-message    b64 of `json.dumps({"model_id": <id>, "timestamp": <unix s>}, separators=(",", ":"))`
 *   x-gateway-auth-signature  b64 of RSA PKCS#1 v1.5 / SHA-256 over exactly those bytes
 *   x-gateway-auth-pubkey     b64 of the coordinator key's DER SubjectPublicKeyInfo
 * The runner accepts when sha256(pubkey DER) is one of the coordinator's certificate hashes on
 * chain (the pinned hashes of §5), the signature verifies with that key, the payload has exactly
 * `model_id` and an integer `timestamp`, the timestamp is within `GATEWAY_MAX_AGE_S` of its clock
 * and `model_id` is the runner's model. The RSA verification itself needs node:crypto, so it lives
 * in core (src-main/core/runner/auth.ts); the byte forms are here for both sides.
 */
import { toBase64 } from './encoding';
import { pythonJsonString } from './smp';
import { utf8Decode, utf8Encode } from './runtime';

export const GATEWAY_METADATA_KEYS = { message: 'x-gateway-auth-message', signature: 'x-gateway-auth-signature', pubkey: 'x-gateway-auth-pubkey' } as const;

/** The public runner's default `max_age_seconds`, both ways (|now − timestamp|). */
export const GATEWAY_MAX_AGE_S = 30;

/** The signed bytes exactly as the public client writes them (ensure_ascii: non-ASCII as \uXXXX). */
export function gatewayPayloadBytes(modelId: string, timestamp: number): Uint8Array {
  if (!Number.isSafeInteger(timestamp)) throw new RangeError('timestamp must be an integer number of seconds');
  return utf8Encode(`{${pythonJsonString('model_id')}:${pythonJsonString(modelId)},${pythonJsonString('timestamp')}:${timestamp}}`);
}

/** The payload when it is a JSON object of exactly `model_id` (string) and `timestamp` (integer); else null. */
export function parseGatewayPayload(bytes: Uint8Array): { model_id: string; timestamp: number } | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(bytes, 'x-gateway-auth-message'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (Object.keys(o).length !== 2 || typeof o.model_id !== 'string' || typeof o.timestamp !== 'number' || !Number.isSafeInteger(o.timestamp)) return null;
  return { model_id: o.model_id, timestamp: o.timestamp };
}

/**
 * The three `x-gateway-auth-*` values of one call, as the public client's interceptor builds them
 * (crunchdao/model-runner-client 0.12, model_runner_client/security/gateway_auth_interceptor.py,
 * `_build_auth_metadata`): b64 of the payload bytes, b64 of the RSA PKCS#1 v1.5 / SHA-256
 * signature over exactly those bytes (`sign`, done by the caller's crypto), b64 of the key's DER
 * SubjectPublicKeyInfo.
 */
export function gatewayMetadata(modelId: string, timestamp: number, signer: { sign(bytes: Uint8Array): Uint8Array; spkiDer: Uint8Array }): Record<string, string> {
  const payload = gatewayPayloadBytes(modelId, timestamp);
  return {
    [GATEWAY_METADATA_KEYS.message]: toBase64(payload),
    [GATEWAY_METADATA_KEYS.signature]: toBase64(signer.sign(payload)),
    [GATEWAY_METADATA_KEYS.pubkey]: toBase64(signer.spkiDer),
  };
}
