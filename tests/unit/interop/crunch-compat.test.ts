/**
 * Compatibility with the PUBLIC Crunch coordinator-side library (crunchdao/model-runner-client
 * 0.12.0, issue 15). Every encoding here is produced or read with the public library's own .proto
 * files (tests/fixtures/crunch/, loaded with protobufjs) and the byte forms its Python code writes
 * (utils/datatype_transformer.py), never with Minerva's copy in src-shared/protocol/smp.proto.ts:
 * a mistake both Minerva sides share shows here. Minerva's side is what the runner and the practice
 * coordinator really use: the gRPC (de)serializers loaded by core and the shared Variant codec.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { fromBase58, fromBase64 } from '@shared/protocol/encoding';
import { certPub, pythonJsonDumps, SMP_METADATA_KEYS, verifySmp } from '@shared/protocol/smp';
import { HEALTH_SERVICE, SMP_SERVICE } from '@shared/protocol/smp.proto';
import { decodeVariant, encodeVariant, VariantError, type VariantValue } from '@shared/protocol/smp-variant';
import { GATEWAY_METADATA_KEYS, gatewayPayloadBytes } from '@shared/protocol/smp-gateway';
import { authenticateGateway } from '@core/runner/auth';
import { smpServices } from '@core/runner/smp-proto';

const FIXTURES = join(__dirname, '../../fixtures/crunch');

function publicRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(FIXTURES, target));
  root.loadSync(['dynamic_subclass.proto', 'health.proto'], { keepCase: true });
  root.resolveAll();
  return root;
}

const pub = publicRoot();
const PublicVariantType = pub.lookupEnum('commons.VariantType').values;
const PublicCallRequest = pub.lookupType('dynamic_subclass.CallRequest');
const PublicCallResponse = pub.lookupType('dynamic_subclass.CallResponse');
const PublicSetupRequest = pub.lookupType('dynamic_subclass.SetupRequest');
const PublicHealthResponse = pub.lookupType('grpc.health.v1.HealthCheckResponse');

/** Minerva's serializers, exactly as the runner's gRPC server uses them. */
const minerva = smpServices();
const MinervaCall = minerva.DynamicSubclassService.service.Call!;
const MinervaSetup = minerva.DynamicSubclassService.service.Setup!;
const MinervaHealthCheck = minerva.Health.service.Check!;

// ---- Python's encode_data (model_runner utils/datatype_transformer.py), written out ----------------
const py = {
  double: (x: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    return b;
  },
  int: (x: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(x);
    return b;
  },
  string: (s: string): Buffer => Buffer.from(s, 'utf8'),
  /** json.dumps default: separators ", " and ": ", ensure_ascii. Enough for the flat payloads below. */
  json: (text: string): Buffer => Buffer.from(text, 'utf8'),
};

/** A CallRequest as the public library builds it (`Argument(position=1, data=Variant(type=…, value=…))`). */
function publicCallBytes(type: keyof typeof PublicVariantType, value: Uint8Array): Buffer {
  const message = PublicCallRequest.fromObject({ methodName: 'tick', methodArguments: [{ position: 1, data: { type: PublicVariantType[type], value } }] });
  return Buffer.from(PublicCallRequest.encode(message).finish());
}

/** What Minerva's runner reads from those bytes. */
function minervaReads(bytes: Buffer): VariantValue {
  const request = MinervaCall.requestDeserialize(bytes) as { methodArguments: { data: { type: string; value: Uint8Array } }[] };
  return decodeVariant(request.methodArguments[0]!.data);
}

/** What the public library reads from Minerva's CallResponse (type number and value bytes). */
function publicReads(value: VariantValue): { type: string; value: Buffer } {
  const bytes = MinervaCall.responseSerialize({ status: { code: 'SUCCESS', message: '' }, methodResponse: encodeVariant(value) });
  const decoded = PublicCallResponse.toObject(PublicCallResponse.decode(bytes), { enums: String, defaults: true }) as { methodResponse: { type: string; value: Uint8Array } };
  return { type: decoded.methodResponse.type, value: Buffer.from(decoded.methodResponse.value) };
}

describe('Variant encodings against the public commons.proto', () => {
  it('the public enum is NONE=0, DOUBLE=1, INT=2, STRING=3, PARQUET=4, ARROW=5, JSON=6 (the fixture itself)', () => {
    expect(PublicVariantType).toEqual({ NONE: 0, DOUBLE: 1, INT: 2, STRING: 3, PARQUET: 4, ARROW: 5, JSON: 6 });
  });

  it('public → Minerva: each type as the library sends it is read as that type', () => {
    expect(minervaReads(publicCallBytes('NONE', new Uint8Array(0)))).toBeNull();
    expect(minervaReads(publicCallBytes('DOUBLE', py.double(21.179864629354732)))).toBe(21.179864629354732);
    expect(minervaReads(publicCallBytes('STRING', py.string('dove ✓ 🐦')))).toBe('dove ✓ 🐦');
    // The README's tick payload: a dict goes as JSON (6).
    const tick = '{"falcon_location": 21.179864629354732, "time": 230.96231205799998, "dove_location": 19.164986723324326, "falcon_id": 1}';
    expect(minervaReads(publicCallBytes('JSON', py.json(tick)))).toEqual({ json: { falcon_location: 21.179864629354732, time: 230.96231205799998, dove_location: 19.164986723324326, falcon_id: 1 } });
  });

  it('public → Minerva: INT is signed 64-bit little-endian over the whole range, losslessly', () => {
    for (const n of [0n, 1n, -1n, 42n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      expect(minervaReads(publicCallBytes('INT', py.int(n)))).toBe(n);
    }
  });

  it('public → Minerva: PARQUET and ARROW are recognised as themselves and refused (not mistaken for JSON)', () => {
    for (const type of ['PARQUET', 'ARROW'] as const) {
      const request = MinervaCall.requestDeserialize(publicCallBytes(type, Buffer.from('PAR1'))) as { methodArguments: { data: { type: string } }[] };
      expect(request.methodArguments[0]!.data.type).toBe(type);
      expect(() => minervaReads(publicCallBytes(type, Buffer.from('PAR1')))).toThrow(VariantError);
    }
  });

  it('Minerva → public: each answer carries the public type number and the bytes Python decodes', () => {
    expect(publicReads(null)).toEqual({ type: 'NONE', value: Buffer.alloc(0) });
    expect(publicReads(0.125)).toEqual({ type: 'DOUBLE', value: py.double(0.125) });
    expect(publicReads(2n ** 63n - 1n)).toEqual({ type: 'INT', value: py.int(2n ** 63n - 1n) });
    expect(publicReads(-(2n ** 63n))).toEqual({ type: 'INT', value: py.int(-(2n ** 63n)) });
    expect(publicReads('façon')).toEqual({ type: 'STRING', value: py.string('façon') });
    const json = publicReads({ json: { mean: [1.5], ok: true } });
    expect(json.type).toBe('JSON');
    expect(JSON.parse(json.value.toString('utf8'))).toEqual({ mean: [1.5], ok: true });
  });

  it('Minerva → public: a JSON answer is never labelled PARQUET (the number the old enum gave JSON)', () => {
    const bytes = MinervaCall.responseSerialize({ status: { code: 'SUCCESS', message: '' }, methodResponse: encodeVariant({ json: [1] }) });
    const decoded = PublicCallResponse.decode(bytes) as unknown as { methodResponse: { type: number } };
    expect(decoded.methodResponse.type).toBe(PublicVariantType.JSON);
  });
});

describe('messages and services against the public protos', () => {
  it('SetupRequest with a dotted className and keyword arguments reads the same on both sides', () => {
    const message = PublicSetupRequest.fromObject({
      className: 'birdgame.trackers.trackerbase.TrackerBase',
      instanceArguments: [{ position: 1, data: { type: PublicVariantType.INT, value: py.int(3n) } }],
      instanceKwArguments: [{ keyword: 'horizon', data: { type: PublicVariantType.DOUBLE, value: py.double(0.5) } }],
    });
    const read = MinervaSetup.requestDeserialize(Buffer.from(PublicSetupRequest.encode(message).finish())) as {
      className: string;
      instanceArguments: { position: number; data: { type: string; value: Uint8Array } }[];
      instanceKwArguments: { keyword: string; data: { type: string; value: Uint8Array } }[];
    };
    expect(read.className).toBe('birdgame.trackers.trackerbase.TrackerBase');
    expect(read.instanceArguments[0]!.position).toBe(1);
    expect(decodeVariant(read.instanceArguments[0]!.data)).toBe(3n);
    expect(read.instanceKwArguments[0]!.keyword).toBe('horizon');
    expect(decodeVariant(read.instanceKwArguments[0]!.data)).toBe(0.5);
  });

  it('service paths and health names are the public ones', () => {
    const service = pub.lookupService('dynamic_subclass.DynamicSubclassService');
    expect(SMP_SERVICE).toBe(service.fullName.slice(1));
    for (const name of ['Setup', 'Call', 'Rest']) expect(minerva.DynamicSubclassService.service[name]!.path).toBe(`/${service.fullName.slice(1)}/${name}`);
    const health = pub.lookupService('grpc.health.v1.Health');
    expect(HEALTH_SERVICE).toBe(health.fullName.slice(1));
    expect(MinervaHealthCheck.path).toBe('/grpc.health.v1.Health/Check');
    // The library's health probe is Check(service="") and wants SERVING (1).
    const serving = MinervaHealthCheck.responseSerialize({ status: 'SERVING' });
    expect((PublicHealthResponse.decode(serving) as unknown as { status: number }).status).toBe(1);
  });

  it('Status codes are the strings the library compares (SUCCESS, INVALID_ARGUMENT, FAILED_PRECONDITION, BAD_IMPLEMENTATION)', () => {
    for (const code of ['SUCCESS', 'INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'BAD_IMPLEMENTATION']) {
      const bytes = MinervaCall.responseSerialize({ status: { code, message: 'm' }, methodResponse: encodeVariant(null) });
      expect(PublicCallResponse.toObject(PublicCallResponse.decode(bytes))).toMatchObject({ status: { code, message: 'm' } });
    }
  });
});

describe('authentication material as the public code writes it', () => {
  it('metadata key names: x-server-auth-* (runner → coordinator) and x-auth-* (coordinator → runner, ≤ 0.11)', () => {
    // security/grpc_auth_interceptor.py (client) and model_runner/interceptors/auth_interceptor.py (runner).
    expect(SMP_METADATA_KEYS.runner).toEqual({ message: 'x-server-auth-message', signature: 'x-server-auth-signature', wallet: 'x-server-wallet-pubkey' });
    expect(SMP_METADATA_KEYS.coordinator).toEqual({ message: 'x-auth-message', signature: 'x-auth-signature', wallet: 'x-auth-wallet-pubkey' });
  });

  it('a delegation container signed by the public Crunch tooling: Minerva reads its encodings, bytes and signature', () => {
    const container = JSON.parse(readFileSync(join(FIXTURES, 'cruncher_msg.json'), 'utf8')) as { message_b64: string; wallet_pubkey_b58: string; signature_b64: string };
    const certPem = readFileSync(join(FIXTURES, 'cruncher_tls.crt'), 'utf8');
    // Python's base64.b64encode and base58 are the canonical forms Minerva insists on.
    const message = fromBase64(container.message_b64, 'message');
    const signature = fromBase64(container.signature_b64, 'signature');
    const wallet = fromBase58(container.wallet_pubkey_b58, 'wallet', { length: 32 });
    expect(ed25519.verify(signature, message, wallet)).toBe(true);
    // The bytes are Python's json.dumps with its default separators, as Minerva writes them.
    const certPubB64 = certPub(certPem);
    expect(Buffer.from(message).toString('utf8')).toBe(pythonJsonDumps([['cert_pub', certPubB64]]));
    // cert_pub is the DER SubjectPublicKeyInfo of the certificate (cryptography's public_bytes(DER, SPKI)).
    expect(createHash('sha256').update(Buffer.from(certPubB64, 'base64')).digest('hex')).toMatch(/^[0-9a-f]{64}$/);
    // This older public message has no hotkey or model_id: Minerva's §5 check names that, after the signature passed.
    const verdict = verifySmp(container, { role: 'runner', expectedWallet: wallet, peerCert: certPem, expectedHotkey: 'h', expectedModelId: 'm' });
    expect(verdict).toMatchObject({ valid: false, check: 'keys' });
  });

  it('gateway mode (0.12): x-gateway-auth-* made by Python exactly as the public interceptor does verify here, byte for byte', () => {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, 'gateway_auth_python.json'), 'utf8')) as { model_id: string; timestamp: number; metadata: Record<string, string>; message_utf8: string };
    expect(Object.keys(fixture.metadata).sort()).toEqual(Object.values(GATEWAY_METADATA_KEYS).sort());
    // json.dumps(..., separators=(",", ":")) with ensure_ascii: the ü is \u00fc on the wire.
    expect(Buffer.from(gatewayPayloadBytes(fixture.model_id, fixture.timestamp)).toString('utf8')).toBe(fixture.message_utf8);
    expect(Buffer.from(fixture.metadata['x-gateway-auth-message']!, 'base64').toString('utf8')).toBe(fixture.message_utf8);
    const hash = createHash('sha256').update(Buffer.from(fixture.metadata['x-gateway-auth-pubkey']!, 'base64')).digest('hex');
    const facts = { walletB58: 'w', hotkey: 'h', certHashes: ['0'.repeat(64), hash] as const };
    const get = (key: string): string[] => (fixture.metadata[key] === undefined ? [] : [fixture.metadata[key]]);
    expect(authenticateGateway(facts, fixture.model_id, get, fixture.timestamp * 1000 + 29_000)).toEqual({ ok: true, mechanism: 'gateway' });
    expect(authenticateGateway(facts, fixture.model_id, get, fixture.timestamp * 1000 + 31_000)).toMatchObject({ ok: false, reason: 'gateway.timestamp' });
    expect(authenticateGateway(facts, 'model-u-42', get, fixture.timestamp * 1000)).toMatchObject({ ok: false, reason: 'gateway.model_id' });
    expect(authenticateGateway({ ...facts, certHashes: ['0'.repeat(64), '0'.repeat(64)] }, fixture.model_id, get, fixture.timestamp * 1000)).toMatchObject({ ok: false, reason: 'gateway.cert_hash' });
  });
});
