/**
 * Loads the Secure Model Protocol services (src-shared/protocol/smp.proto.ts) for @grpc/grpc-js;
 * §5 Variants come from src-shared/protocol/smp-variant.ts. Used by the coordinator's client and by
 * tests' runners.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SMP_PROTO_FILES } from '@shared/protocol/smp.proto';

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

export { decodeVariant, encodeVariant, type Variant, type VariantValue } from '@shared/protocol/smp-variant';
