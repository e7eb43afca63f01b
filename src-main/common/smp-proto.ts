/**
 * The Secure Model Protocol services for @grpc/grpc-js, loaded from the one .proto text
 * (src-shared/protocol/smp.proto.ts). Used by core's runner (server side) and the practice
 * coordinator (client side); §5 Variants are in src-shared/protocol/smp-variant.ts.
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

/** The two service constructors (service definitions: `X.service`). Loaded once per process. */
export function loadSmpServices(): SmpServices {
  if (cached) return cached;
  // proto-loader reads files only (its imports resolve through includeDirs): write the text to a
  // private temp folder, load, remove.
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
