/**
 * Loads the Secure Model Protocol services (src-shared/protocol/smp.proto.ts) for @grpc/grpc-js,
 * and encodes/decodes §5 Variants. Used by the coordinator's client and by tests' runners.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SMP_PROTO_FILES, type VariantTypeName } from '@shared/protocol/smp.proto';

export interface SmpPackage {
  DynamicSubclassService: grpc.ServiceClientConstructor;
  Health: grpc.ServiceClientConstructor;
}

let cached: SmpPackage | undefined;

/** The two service constructors (service definitions: `X.service`). Loaded once per process. */
export function loadSmpPackage(): SmpPackage {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'minerva-smp-proto-'));
  try {
    for (const [name, text] of Object.entries(SMP_PROTO_FILES)) writeFileSync(join(dir, name), text);
    const definition = protoLoader.loadSync(Object.keys(SMP_PROTO_FILES), { includeDirs: [dir], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      dynamic_subclass: { DynamicSubclassService: grpc.ServiceClientConstructor };
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    cached = { DynamicSubclassService: loaded.dynamic_subclass.DynamicSubclassService, Health: loaded.grpc.health.v1.Health };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Variant {
  type: VariantTypeName;
  value: Buffer;
}

export type VariantValue = null | number | bigint | string | { json: unknown };

/** §5 Variant encoding: NONE empty, DOUBLE f64 LE, INT i64 LE, STRING UTF-8, JSON UTF-8 (no NaN/Infinity). */
export function encodeVariant(value: VariantValue): Variant {
  if (value === null) return { type: 'NONE', value: Buffer.alloc(0) };
  if (typeof value === 'bigint') {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(value);
    return { type: 'INT', value: b };
  }
  if (typeof value === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    return { type: 'DOUBLE', value: b };
  }
  if (typeof value === 'string') return { type: 'STRING', value: Buffer.from(value, 'utf8') };
  const text = JSON.stringify(value.json, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('JSON Variants refuse NaN and Infinity.');
    return v;
  });
  return { type: 'JSON', value: Buffer.from(text, 'utf8') };
}

export function decodeVariant(variant: { type?: string; value?: Uint8Array } | null | undefined): VariantValue {
  if (!variant) return null;
  const value = Buffer.from(variant.value ?? new Uint8Array());
  switch (variant.type ?? 'NONE') {
    case 'NONE':
      return null;
    case 'DOUBLE':
      if (value.length !== 8) throw new Error('A DOUBLE Variant is 8 bytes.');
      return value.readDoubleLE();
    case 'INT':
      if (value.length !== 8) throw new Error('An INT Variant is 8 bytes.');
      return value.readBigInt64LE();
    case 'STRING':
      return new TextDecoder('utf-8', { fatal: true }).decode(value);
    case 'JSON':
      return { json: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value)) as unknown };
    default:
      throw new Error(`Variant type ${variant.type} is not supported.`);
  }
}
