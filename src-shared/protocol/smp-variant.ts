/**
 * §5 Variants, shared by the runner (core) and the coordinator (devnet): NONE (empty), DOUBLE
 * (8-byte little-endian IEEE-754), INT (signed 64-bit little-endian, a bigint here, the whole
 * range carried losslessly), STRING (UTF-8), JSON
 * (UTF-8, RFC 8259: NaN and Infinity refused). PARQUET and ARROW are refused unless a competition
 * says otherwise (none does yet).
 */
import type { VariantTypeName } from './smp.proto';

export interface Variant {
  type: VariantTypeName;
  value: Uint8Array;
}

export type VariantValue = null | number | bigint | string | { json: unknown };

/** A Variant this side cannot read: the runner answers INVALID_ARGUMENT. */
export class VariantError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function finiteJson(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new VariantError('JSON Variants refuse NaN and Infinity.');
    return v;
  });
  if (text === undefined) throw new VariantError('The value has no JSON form.');
  return text;
}

export function encodeVariant(value: VariantValue): Variant {
  if (value === null) return { type: 'NONE', value: new Uint8Array(0) };
  if (typeof value === 'bigint') {
    if (value !== BigInt.asIntN(64, value)) throw new VariantError('An INT Variant is a signed 64-bit integer.');
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, value, true);
    return { type: 'INT', value: b };
  }
  if (typeof value === 'number') {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    return { type: 'DOUBLE', value: b };
  }
  if (typeof value === 'string') return { type: 'STRING', value: new TextEncoder().encode(value) };
  return { type: 'JSON', value: new TextEncoder().encode(finiteJson(value.json)) };
}

export function decodeVariant(variant: { type?: string; value?: Uint8Array } | null | undefined): VariantValue {
  if (!variant) return null;
  const value = variant.value ?? new Uint8Array(0);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  switch (variant.type ?? 'NONE') {
    case 'NONE':
      return null;
    case 'DOUBLE':
      if (value.length !== 8) throw new VariantError('A DOUBLE Variant is 8 bytes.');
      return view.getFloat64(0, true);
    case 'INT':
      if (value.length !== 8) throw new VariantError('An INT Variant is 8 bytes.');
      return view.getBigInt64(0, true);
    case 'STRING':
      try {
        return utf8.decode(value);
      } catch {
        throw new VariantError('A STRING Variant is UTF-8.');
      }
    case 'JSON':
      try {
        return { json: JSON.parse(utf8.decode(value)) as unknown };
      } catch {
        throw new VariantError('A JSON Variant is UTF-8 JSON (RFC 8259).');
      }
    default:
      throw new VariantError(`Variant type ${variant.type} is not supported.`);
  }
}

/**
 * A decoded Variant as a plain JSON value for a model: numbers and strings as they are, JSON as
 * its value, NONE as null. An INT within ±(2^53 − 1) is a JSON number; beyond, it is its exact
 * decimal string (a JSON number that large loses digits in most JSON readers, the model channel's
 * included), so the full signed 64-bit range reaches the model without loss.
 */
export function variantToJson(value: VariantValue): unknown {
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return value.toString(10);
    return Number(value);
  }
  if (value !== null && typeof value === 'object') return value.json;
  return value;
}

/** A model's answer as a Variant: null → NONE, a number → DOUBLE, a bigint → INT, a string → STRING, anything else → JSON. */
export function jsonToVariant(value: unknown): Variant {
  if (value === null || value === undefined) return encodeVariant(null);
  if (typeof value === 'bigint') return encodeVariant(value);
  if (typeof value === 'number') return encodeVariant(value);
  if (typeof value === 'string') return encodeVariant(value);
  return encodeVariant({ json: value });
}
