/**
 * Protobuf definitions of the Secure Model Protocol (PROTOCOLS §5), shared by the runner and the
 * coordinator so both load the very same text. Each constant is one `.proto` file; a loader writes
 * them side by side (same file names) and loads `SMP_PROTO_ENTRY` files with @grpc/proto-loader.
 *
 * - `dynamic_subclass.proto`: `dynamic_subclass.DynamicSubclassService` (Setup, Call, Rest) and its
 *   messages, field numbers exactly as §5 lists them. `VariantType` is numbered exactly as the
 *   public `commons.proto` of crunchdao/model-runner-client 0.12 (NONE 0 … PARQUET 4, ARROW 5,
 *   JSON 6); tests/unit/interop/crunch-compat.test.ts checks it against a copy of that file
 *   (tests/fixtures/crunch/). The public library keeps Variant, Argument, KwArgument and Status in
 *   a package `commons`: message package names never reach the wire, the service path does.
 * - `health.proto`: the standard `grpc.health.v1.Health` (Check, Watch).
 */

export const DYNAMIC_SUBCLASS_PROTO = `syntax = "proto3";

package dynamic_subclass;

import "google/protobuf/empty.proto";

enum VariantType {
  NONE = 0;
  DOUBLE = 1;
  INT = 2;
  STRING = 3;
  PARQUET = 4;
  ARROW = 5;
  JSON = 6;
}

message Variant {
  VariantType type = 2;
  bytes value = 3;
}

message Argument {
  uint32 position = 1;
  Variant data = 2;
}

message KwArgument {
  string keyword = 1;
  Variant data = 2;
}

message Status {
  string code = 1;
  string message = 2;
}

message SetupRequest {
  string className = 1;
  repeated Argument instanceArguments = 2;
  repeated KwArgument instanceKwArguments = 3;
}

message SetupResponse {
  Status status = 1;
}

message CallRequest {
  string methodName = 1;
  repeated Argument methodArguments = 2;
  repeated KwArgument methodKwArguments = 3;
}

message CallResponse {
  Status status = 1;
  Variant methodResponse = 2;
}

message RestResponse {
  Status status = 1;
}

service DynamicSubclassService {
  rpc Setup(SetupRequest) returns (SetupResponse);
  rpc Call(CallRequest) returns (CallResponse);
  rpc Rest(google.protobuf.Empty) returns (RestResponse);
}
`;

export const HEALTH_PROTO = `syntax = "proto3";

package grpc.health.v1;

message HealthCheckRequest {
  string service = 1;
}

message HealthCheckResponse {
  enum ServingStatus {
    UNKNOWN = 0;
    SERVING = 1;
    NOT_SERVING = 2;
    SERVICE_UNKNOWN = 3;
  }
  ServingStatus status = 1;
}

service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

/** File name → text, for a loader that writes them to one folder. */
export const SMP_PROTO_FILES: Readonly<Record<string, string>> = {
  'dynamic_subclass.proto': DYNAMIC_SUBCLASS_PROTO,
  'health.proto': HEALTH_PROTO,
};

export const SMP_SERVICE = 'dynamic_subclass.DynamicSubclassService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** §5: each way, at most 64 MiB per message. */
export const SMP_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** `Variant.type` names (proto-loader with `enums: String`). */
export type VariantTypeName = 'NONE' | 'DOUBLE' | 'INT' | 'STRING' | 'PARQUET' | 'ARROW' | 'JSON';

// ---- the class a competition declares (§5 `SetupRequest.className`) --------------------------------

/**
 * How a competition names its base class: a bare class name (`TrackerBase`) or a dotted module
 * path (`birdgame.trackers.trackerbase.TrackerBase`, as the public examples send it).
 */
export type ClassNameForm = 'bare' | 'module-path';

export function classNameForm(name: string): ClassNameForm {
  return name.includes('.') ? 'module-path' : 'bare';
}

/** The class itself: the last dotted segment. */
export function classNameLastSegment(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * §5: Setup's `className` matches the declared class when their last segments are equal and not
 * empty, whichever form either side uses (`TrackerBase` and `birdgame.trackers.trackerbase.TrackerBase`
 * match each other). The runner serves one model, so the module path adds nothing it could check.
 */
export function classNameMatches(declared: string, received: string): boolean {
  const want = classNameLastSegment(declared);
  return want !== '' && classNameLastSegment(received) === want;
}

/** A runner certificate's DNS name for a model (§5): `model-node-<model_id>.<domain>`. */
export function runnerDnsName(modelId: string, domain: string): string {
  return `model-node-${modelId}.${domain}`;
}

// ---- certificate service request (PROTOCOLS §5; our signed form) -----------------------------------

/**
 * `POST /v1/security-credentials/tls/issue-certificate` carries the §5 body unchanged; a runner
 * proves it holds the wallet registered on chain for the model with three headers:
 *   x-smp-wallet-pubkey  base58 of the 32-byte ed25519 runner wallet key
 *   x-smp-timestamp      unix seconds (decimal), within 300 s of the service's clock
 *   x-smp-signature      canonical padded base64 of the 64-byte raw ed25519 signature over
 *                        `certificateRequestSigningBytes(...)`
 * The model id is the one named by the body's `sanDns`; the body hash binds the TLS key and
 * every other field.
 */
export const CERT_REQUEST_PREFIX = 'minerva-smp-cert-v1';
export const CERT_REQUEST_HEADERS = { wallet: 'x-smp-wallet-pubkey', timestamp: 'x-smp-timestamp', signature: 'x-smp-signature' } as const;
export const CERT_REQUEST_MAX_SKEW_S = 300;
export const CERT_REQUEST_PATH = '/v1/security-credentials/tls/issue-certificate';

/** `minerva-smp-cert-v1:<competition_id>:<model_id>:<timestamp>:<sha256 hex of the exact body bytes>` as UTF-8. */
export function certificateRequestSigningBytes(competitionId: string, modelId: string, timestamp: number, bodySha256Hex: string): Uint8Array {
  return new TextEncoder().encode(`${CERT_REQUEST_PREFIX}:${competitionId}:${modelId}:${timestamp}:${bodySha256Hex}`);
}

/** The §5 request body. */
export interface IssueCertificateBody {
  tlsPublicKeyPemString: string;
  commonName: string;
  isClient: boolean;
  isServer: boolean;
  /** Exactly one name for a runner: `model-node-<model_id>.<domain>` (a one-element array or the string). */
  sanDns: string[] | string;
  daysValid: number;
}

export interface IssueCertificateAnswer {
  authorityCertificatePemString: string;
  tlsCertificatePemString: string;
}
