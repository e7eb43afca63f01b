/**
 * Offchain payload v2 (PROTOCOLS §2.4), plain and encrypted.
 *
 * Encrypted: AES-256-GCM with a fresh random 12-byte nonce; the ciphertext holds the whole plain
 * `data` object as UTF-8 JSON; the additional authenticated data is
 *   UTF-8("cts:v0:" + scope_type + ":" + scope + ":" + key_version)
 * so a ciphertext cannot move to another scope or version. The scope comes from `scope_type`,
 * never from which ids happen to be present, and `task_id` is null exactly for session scope.
 *
 * Parsing is strict: unknown `version`, `payload_type` or `alg`, a missing or extra field, or a
 * non-canonical base64 field is `ENVELOPE_MALFORMED`; failed authentication is `DECRYPT_FAILED`.
 * Nothing here ever treats ciphertext as plaintext.
 */
import { AppError } from '@shared/contract/errors';
import { aesGcmDecrypt, aesGcmEncrypt, GCM_NONCE_BYTES, GCM_TAG_BYTES } from './aes-gcm';
import { fromBase64, toBase64 } from './encoding';
import { isId, isKeyVersion, scopeFor, type ScopeType } from './hkdf-keys';
import { randomBytes, utf8Decode, utf8Encode } from './runtime';

export type JsonObject = { [key: string]: unknown };

export interface PlainEnvelope {
  version: 'v2';
  payload_type: 'plain';
  data: JsonObject;
}

export interface EncryptedData {
  alg: 'aes-256-gcm';
  scope_type: ScopeType;
  session_id: number;
  task_id: number | null;
  key_version: string;
  nonce: string;
  tag: string;
  ciphertext: string;
  created_at: string;
}

export interface EncryptedEnvelope {
  version: 'v2';
  payload_type: 'encrypted';
  data: EncryptedData;
}

export type Envelope = PlainEnvelope | EncryptedEnvelope;

/** Which key an encrypted envelope needs (and which a result must use, §2.4). */
export interface EnvelopeScope {
  scopeType: ScopeType;
  sessionId: number;
  taskId: number | null;
  keyVersion: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ENCRYPTED_KEYS = ['alg', 'scope_type', 'session_id', 'task_id', 'key_version', 'nonce', 'tag', 'ciphertext', 'created_at'] as const;

function malformed(message: string): AppError {
  return new AppError('ENVELOPE_MALFORMED', message);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function exactKeys(value: JsonObject, keys: readonly string[], what: string): void {
  const actual = Object.keys(value);
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(value, k)) throw malformed(`${what} is missing "${k}".`);
  if (actual.length !== keys.length) throw malformed(`${what} has fields other than ${keys.join(', ')}.`);
}

/** The additional authenticated data binding a ciphertext to its scope and key version. */
export function envelopeAad(scope: EnvelopeScope): Uint8Array {
  return utf8Encode(`cts:v0:${scope.scopeType}:${scopeFor(scope.scopeType, scope.sessionId, scope.taskId)}:${scope.keyVersion}`);
}

function checkScope(scope: EnvelopeScope): void {
  if (scope.scopeType !== 'session' && scope.scopeType !== 'task') throw malformed('scope_type must be "session" or "task".');
  if (!isId(scope.sessionId)) throw malformed('session_id must be a non-negative integer.');
  if (scope.scopeType === 'session' && scope.taskId !== null) throw malformed('task_id must be null for session scope.');
  if (scope.scopeType === 'task' && !isId(scope.taskId)) throw malformed('task_id must be a non-negative integer for task scope.');
  if (!isKeyVersion(scope.keyVersion)) throw malformed('key_version must look like v1, v2, …');
}

function parseEncryptedData(data: unknown): { data: EncryptedData; nonce: Uint8Array; tag: Uint8Array } {
  if (!isJsonObject(data)) throw malformed('data must be an object.');
  exactKeys(data, ENCRYPTED_KEYS, 'Encrypted data');
  if (data.alg !== 'aes-256-gcm') throw malformed('alg must be "aes-256-gcm".');
  const scopeType = data.scope_type;
  if (scopeType !== 'session' && scopeType !== 'task') throw malformed('scope_type must be "session" or "task".');
  const taskId = data.task_id;
  if (taskId !== null && !isId(taskId)) throw malformed('task_id must be an integer or null.');
  const scope: EnvelopeScope = { scopeType, sessionId: data.session_id as number, taskId, keyVersion: data.key_version as string };
  checkScope(scope);
  const nonce = fromBase64(data.nonce, 'nonce', 'ENVELOPE_MALFORMED');
  if (nonce.length !== GCM_NONCE_BYTES) throw malformed(`nonce must be ${GCM_NONCE_BYTES} bytes.`);
  const tag = fromBase64(data.tag, 'tag', 'ENVELOPE_MALFORMED');
  if (tag.length !== GCM_TAG_BYTES) throw malformed(`tag must be ${GCM_TAG_BYTES} bytes.`);
  if (typeof data.ciphertext !== 'string') throw malformed('ciphertext must be a base64 string.');
  if (typeof data.created_at !== 'string' || !ISO.test(data.created_at) || Number.isNaN(Date.parse(data.created_at))) {
    throw malformed('created_at must be an RFC 3339 UTC time with milliseconds.');
  }
  return { data: data as unknown as EncryptedData, nonce, tag };
}

/**
 * Validates an envelope (already JSON-parsed). The ciphertext's base64 is checked when it is
 * decrypted, so that parsing a large envelope does not decode it twice.
 */
export function parseEnvelope(value: unknown): Envelope {
  if (!isJsonObject(value)) throw malformed('An envelope must be a JSON object.');
  exactKeys(value, ['version', 'payload_type', 'data'], 'The envelope');
  if (value.version !== 'v2') throw malformed('version must be "v2".');
  if (value.payload_type === 'plain') {
    if (!isJsonObject(value.data)) throw malformed('A plain envelope\'s data must be an object.');
    return value as unknown as PlainEnvelope;
  }
  if (value.payload_type === 'encrypted') {
    parseEncryptedData(value.data);
    return value as unknown as EncryptedEnvelope;
  }
  throw malformed('payload_type must be "plain" or "encrypted".');
}

/** Parses envelope JSON text. */
export function parseEnvelopeJson(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('The envelope is not JSON.');
  }
  return parseEnvelope(value);
}

export function envelopeScope(envelope: EncryptedEnvelope): EnvelopeScope {
  const d = envelope.data;
  return { scopeType: d.scope_type, sessionId: d.session_id, taskId: d.task_id, keyVersion: d.key_version };
}

export function plainEnvelope(data: JsonObject): PlainEnvelope {
  if (!isJsonObject(data)) throw malformed('A plain envelope\'s data must be an object.');
  return { version: 'v2', payload_type: 'plain', data };
}

/** Encrypts raw plaintext bytes into an envelope (the bytes should be the UTF-8 JSON of `data`). */
export async function sealEnvelopeBytes(key: Uint8Array, scope: EnvelopeScope, plaintext: Uint8Array, now: Date = new Date()): Promise<EncryptedEnvelope> {
  checkScope(scope);
  const nonce = randomBytes(GCM_NONCE_BYTES);
  const sealed = await aesGcmEncrypt(key, nonce, plaintext, envelopeAad(scope));
  return {
    version: 'v2',
    payload_type: 'encrypted',
    data: {
      alg: 'aes-256-gcm',
      scope_type: scope.scopeType,
      session_id: scope.sessionId,
      task_id: scope.scopeType === 'session' ? null : scope.taskId,
      key_version: scope.keyVersion,
      nonce: toBase64(nonce),
      tag: toBase64(sealed.tag),
      ciphertext: toBase64(sealed.ciphertext),
      created_at: now.toISOString(),
    },
  };
}

/** Decrypts an encrypted envelope to its plaintext bytes. */
export async function openEnvelopeBytes(key: Uint8Array, envelope: unknown): Promise<Uint8Array> {
  if (!isJsonObject(envelope)) throw malformed('An envelope must be a JSON object.');
  exactKeys(envelope, ['version', 'payload_type', 'data'], 'The envelope');
  if (envelope.version !== 'v2') throw malformed('version must be "v2".');
  if (envelope.payload_type !== 'encrypted') throw malformed('The envelope is not encrypted.');
  const { data, nonce, tag } = parseEncryptedData(envelope.data);
  const ciphertext = fromBase64(data.ciphertext, 'ciphertext', 'ENVELOPE_MALFORMED');
  const scope: EnvelopeScope = { scopeType: data.scope_type, sessionId: data.session_id, taskId: data.task_id, keyVersion: data.key_version };
  return aesGcmDecrypt(key, nonce, { ciphertext, tag }, envelopeAad(scope));
}

/** Encrypts a plain `data` object (`{"prompt",…}` or `{"output",…}`) under the scope's key. */
export async function encryptEnvelope(key: Uint8Array, scope: EnvelopeScope, data: JsonObject, now?: Date): Promise<EncryptedEnvelope> {
  if (!isJsonObject(data)) throw new AppError('VALIDATION', 'The data to encrypt must be a JSON object.');
  let text: string;
  try {
    text = JSON.stringify(data);
  } catch (cause) {
    throw new AppError('VALIDATION', 'The data to encrypt is not JSON-serialisable.', { cause });
  }
  return sealEnvelopeBytes(key, scope, utf8Encode(text), now);
}

/** Decrypts an encrypted envelope back to its plain `data` object. */
export async function decryptEnvelope(key: Uint8Array, envelope: unknown): Promise<JsonObject> {
  const bytes = await openEnvelopeBytes(key, envelope);
  let data: unknown;
  try {
    data = JSON.parse(utf8Decode(bytes, 'decrypted payload'));
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw malformed('The decrypted payload is not JSON.');
  }
  if (!isJsonObject(data)) throw malformed('The decrypted payload is not a JSON object.');
  return data;
}
