/**
 * The Secure Model Protocol services for @grpc/grpc-js, loaded from the very .proto text the
 * coordinator loads (src-shared/protocol/smp.proto.ts). Core may not import the practice network,
 * so this is core's own loader of the shared text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SMP_PROTO_FILES } from '@shared/protocol/smp.proto';

export interface SmpServices {
  DynamicSubclassService: grpc.ServiceClientConstructor;
  Health: grpc.ServiceClientConstructor;
}

let cached: SmpServices | undefined;

export function smpServices(): SmpServices {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'minerva-smp-'));
  try {
    for (const [name, text] of Object.entries(SMP_PROTO_FILES)) writeFileSync(join(dir, name), text, { mode: 0o600 });
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
