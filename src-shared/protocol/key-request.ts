/**
 * Scoped key issuance (PROTOCOLS §2.3), the bodies both sides exchange:
 *   POST /api/v1/auth/payload_enc_key/session  {"address","signature","session_id","key_version"?}
 *   POST /api/v1/auth/payload_enc_key/task     … plus "task_id"; the signed string is "101:9001"
 *   200 {"payload_enc_key","key_version","scope","scope_type"}
 * The router checks in this order so that a caller who is not allowed learns nothing about
 * sessions: malformed (400, `VALIDATION`) → signature (401, `SIGNATURE_INVALID`) → allowed (403)
 * → unknown session/task (404) → retired version (410). This file covers the first two.
 */
import { AppError } from '@shared/contract/errors';
import { isEvmAddress } from './allowed-list';
import { eip191Recover, eip191Sign } from './eip191';
import { fromHex } from './encoding';
import { isId, isKeyVersion, scopeFor, type ScopeType } from './hkdf-keys';
import { isJsonObject } from './envelope';

export const KEY_ENDPOINTS = {
  session: '/api/v1/auth/payload_enc_key/session',
  task: '/api/v1/auth/payload_enc_key/task',
} as const;

export type KeyRequestBody = {
  address: string;
  signature: string;
  session_id: number;
  task_id?: number;
  key_version?: string;
};

export interface KeyRequest {
  scopeType: ScopeType;
  address: string;
  signature: string;
  sessionId: number;
  taskId: number | null;
  keyVersion: string | undefined;
  /** The signed scope string. */
  scope: string;
}

export type KeyResponse = {
  payload_enc_key: string;
  key_version: string;
  scope: string;
  scope_type: ScopeType;
};

/** The miner's request body: the EOA signs the scope string. */
export function buildKeyRequest(privateKey: Uint8Array, sessionId: number, taskId?: number | null, keyVersion?: string): { endpoint: string; body: KeyRequestBody } {
  const scopeType: ScopeType = taskId === null || taskId === undefined ? 'session' : 'task';
  const scope = scopeFor(scopeType, sessionId, taskId);
  const { address, signature } = eip191Sign(privateKey, scope);
  const body: KeyRequestBody = { address, signature, session_id: sessionId };
  if (scopeType === 'task') body.task_id = taskId as number;
  if (keyVersion !== undefined) body.key_version = keyVersion;
  return { endpoint: KEY_ENDPOINTS[scopeType], body };
}

/** The router's first check (400): shape only, including a `task_id` on the session endpoint. */
export function parseKeyRequest(body: unknown, endpoint: ScopeType): KeyRequest {
  const bad = (message: string): AppError => new AppError('VALIDATION', message);
  if (!isJsonObject(body)) throw bad('The body must be a JSON object.');
  const allowed = endpoint === 'task' ? ['address', 'signature', 'session_id', 'task_id', 'key_version'] : ['address', 'signature', 'session_id', 'key_version'];
  for (const k of Object.keys(body)) if (!allowed.includes(k)) throw bad(k === 'task_id' ? 'The session endpoint takes no task_id.' : `Unknown field "${k}".`);
  if (!isEvmAddress(body.address)) throw bad('address must be 0x + 40 hex.');
  if (typeof body.signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(body.signature)) throw bad('signature must be 0x + 65 bytes hex.');
  if (!isId(body.session_id)) throw bad('session_id must be a non-negative integer.');
  let taskId: number | null = null;
  if (endpoint === 'task') {
    if (!isId(body.task_id)) throw bad('task_id must be a non-negative integer.');
    taskId = body.task_id;
  }
  if (body.key_version !== undefined && !isKeyVersion(body.key_version)) throw bad('key_version must look like v1, v2, …');
  return {
    scopeType: endpoint,
    address: body.address,
    signature: body.signature,
    sessionId: body.session_id,
    taskId,
    keyVersion: body.key_version,
    scope: scopeFor(endpoint, body.session_id, taskId),
  };
}

/** The router's second check (401): the signature over the scope string recovers `address`. */
export function verifyKeyRequestSignature(request: KeyRequest): void {
  const signer = eip191Recover(request.scope, request.signature);
  if (signer.toLowerCase() !== request.address.toLowerCase()) throw new AppError('SIGNATURE_INVALID', 'The signature does not match address.');
}

/** The miner's check of a 200 answer: the right scope, a 32-byte key. */
export function parseKeyResponse(body: unknown, expected: { scopeType: ScopeType; scope: string }): { key: Uint8Array; keyVersion: string } {
  if (!isJsonObject(body)) throw new AppError('VALIDATION', 'The key response is not a JSON object.');
  if (body.scope !== expected.scope || body.scope_type !== expected.scopeType) throw new AppError('VALIDATION', 'The key response is for another scope.');
  if (!isKeyVersion(body.key_version)) throw new AppError('VALIDATION', 'The key response has no valid key_version.');
  const key = fromHex(body.payload_enc_key, 'payload_enc_key', { length: 32, code: 'KEY_INVALID' });
  return { key, keyVersion: body.key_version };
}
