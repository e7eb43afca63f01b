/**
 * Offchain payload URNs (PROTOCOLS §2.5): `urn:cts:payload:v2:<session_id>:<uuid v4>`.
 * The uuid is lowercase on output; parsing accepts either case (RFC 4122 says compare
 * case-insensitively) and returns the canonical lowercase form. A URN may arrive percent-encoded
 * in a path; `parseUrn` decodes it first.
 */
import { AppError } from '@shared/contract/errors';
import { toHex } from './encoding';
import { isId } from './hkdf-keys';
import { randomBytes } from './runtime';

const URN = /^urn:cts:payload:v2:(0|[1-9][0-9]{0,15}):([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$/;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface Urn {
  sessionId: number;
  uuid: string;
  urn: string;
}

/** A fresh random uuid v4, lowercase. */
export function uuidV4(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function isUuidV4(value: unknown): value is string {
  return typeof value === 'string' && UUID4.test(value);
}

export function formatUrn(sessionId: number, uuid: string = uuidV4()): string {
  if (!isId(sessionId)) throw new AppError('URN_MALFORMED', 'A URN needs a non-negative integer session id.');
  const lower = uuid.toLowerCase();
  if (!UUID4.test(lower)) throw new AppError('URN_MALFORMED', 'A URN needs a uuid v4.');
  return `urn:cts:payload:v2:${sessionId}:${lower}`;
}

export function parseUrn(text: unknown): Urn {
  if (typeof text !== 'string' || text.length > 200) throw new AppError('URN_MALFORMED', 'A URN is urn:cts:payload:v2:<session_id>:<uuid v4>.');
  let decoded = text;
  if (text.includes('%')) {
    try {
      decoded = decodeURIComponent(text);
    } catch {
      throw new AppError('URN_MALFORMED', 'The URN has broken percent-encoding.');
    }
  }
  const m = URN.exec(decoded);
  const sessionId = m === null ? NaN : Number(m[1]);
  if (m === null || !isId(sessionId)) throw new AppError('URN_MALFORMED', 'A URN is urn:cts:payload:v2:<session_id>:<uuid v4>.');
  const uuid = m[2]!.toLowerCase();
  return { sessionId, uuid, urn: `urn:cts:payload:v2:${sessionId}:${uuid}` };
}
